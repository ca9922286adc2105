//! The machine's inventory: NVIDIA GPUs through NVML (loaded at run time; informational: nothing
//! here is proven to the chain), the CPU kernels, and the configured device map.

use crate::{config::Config, gemm::Kernel};
use nvml_wrapper::{enum_wrappers::device::TemperatureSensor, Nvml};
use serde::Serialize;

/// The message when NVML cannot be loaded.
pub const NO_DRIVER: &str = "no NVIDIA driver: CPU backend";

/// One GPU as NVML reports it.
#[derive(Clone, Debug, Serialize)]
pub struct Gpu {
	/// NVML index.
	pub index: u32,
	/// NVML UUID (`GPU-…`), what the device map names.
	pub uuid: String,
	/// Product name.
	pub name: String,
	/// Total memory, bytes.
	pub memory_bytes: u64,
	/// PCI bus id.
	pub pci_bus_id: String,
	/// CUDA compute capability, `major.minor`.
	pub compute_capability: String,
	/// Whether confidential computing is on (`None`: not reported).
	pub confidential_computing: Option<bool>,
	/// GPU utilization, percent.
	pub utilization_percent: Option<u32>,
	/// Power draw, milliwatts.
	pub power_mw: Option<u32>,
	/// Temperature, degrees Celsius.
	pub temperature_c: Option<u32>,
}

/// One configured device.
#[derive(Clone, Debug, Serialize)]
pub struct MappedDevice {
	/// On-chain id.
	pub id: u32,
	/// `cpu` or a GPU UUID.
	pub map: String,
	/// On-chain model id.
	pub model: u16,
	/// A warning about the mapping, if any.
	pub warning: Option<String>,
}

/// The whole inventory.
#[derive(Clone, Debug, Serialize)]
pub struct Inventory {
	/// The NVIDIA driver version, if NVML loaded.
	pub driver: Option<String>,
	/// Why there are no GPUs, if NVML did not load.
	pub note: Option<String>,
	/// The GPUs.
	pub gpus: Vec<Gpu>,
	/// Logical CPU cores.
	pub cpu_cores: usize,
	/// CPU GEMM kernels available, fastest first.
	pub cpu_kernels: Vec<&'static str>,
	/// The configured devices (empty without `--config`).
	pub devices: Vec<MappedDevice>,
	/// The configured service (without `--config`: none).
	pub service: Option<Service>,
}

/// The configured service, as `inventory` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Service {
	/// Listen address.
	pub listen: String,
	/// Public URL.
	pub public_url: String,
	/// Backend.
	pub backend: String,
	/// Threads (0: every core).
	pub threads: usize,
	/// Shutdown grace, seconds.
	pub shutdown_grace_secs: u64,
}

fn gpus(nvml: &Nvml) -> Vec<Gpu> {
	let count = nvml.device_count().unwrap_or(0);
	(0..count)
		.filter_map(|i| {
			let d = nvml.device_by_index(i).ok()?;
			let cc = d.cuda_compute_capability().ok();
			Some(Gpu {
				index: d.index().unwrap_or(i),
				uuid: d.uuid().unwrap_or_default(),
				name: d.name().unwrap_or_default(),
				memory_bytes: d.memory_info().map(|m| m.total).unwrap_or(0),
				pci_bus_id: d.pci_info().map(|p| p.bus_id).unwrap_or_default(),
				compute_capability: cc
					.map(|c| format!("{}.{}", c.major, c.minor))
					.unwrap_or_default(),
				confidential_computing: d.is_cc_enabled().ok(),
				utilization_percent: d.utilization_rates().ok().map(|u| u.gpu),
				power_mw: d.power_usage().ok(),
				temperature_c: d.temperature(TemperatureSensor::Gpu).ok(),
			})
		})
		.collect()
}

/// Reads the inventory; `model_name` names a catalogue model id where the caller knows the
/// catalogue (a mapped GPU whose name differs from its model gets a warning).
pub fn read(config: Option<&Config>, model_name: &dyn Fn(u16) -> Option<String>) -> Inventory {
	let (driver, note, gpus) = match Nvml::init() {
		Ok(nvml) => (nvml.sys_driver_version().ok(), None, gpus(&nvml)),
		Err(_) => (None, Some(NO_DRIVER.to_string()), Vec::new()),
	};
	let devices = config
		.map(|c| {
			c.devices
				.iter()
				.map(|d| {
					let warning = match d.mapped() {
						crate::config::DeviceMap::Cpu => None,
						crate::config::DeviceMap::Gpu(uuid) => match gpus
							.iter()
							.find(|g| g.uuid == uuid)
						{
							None => Some(format!("GPU {uuid} not found")),
							Some(g) => model_name(d.model).and_then(|m| {
								(!g.name.to_lowercase().contains(&m.to_lowercase())).then(|| {
									format!("GPU {uuid} is a {:?}, mapped as model {m:?}", g.name)
								})
							}),
						},
					};
					MappedDevice { id: d.id, map: d.map.clone(), model: d.model, warning }
				})
				.collect()
		})
		.unwrap_or_default();
	Inventory {
		driver,
		note,
		gpus,
		cpu_cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
		cpu_kernels: Kernel::available().iter().map(|k| k.name()).collect(),
		devices,
		service: config.map(|c| Service {
			listen: c.listen.to_string(),
			public_url: c.public_url.clone(),
			backend: format!("{:?}", c.backend).to_lowercase(),
			threads: c.threads,
			shutdown_grace_secs: c.shutdown_grace_secs,
		}),
	}
}

impl Inventory {
	/// The human-readable form.
	pub fn text(&self) -> String {
		let mut out = String::new();
		match (&self.driver, &self.note) {
			(Some(v), _) => {
				out.push_str(&format!("NVIDIA driver {v}, {} GPU(s)\n", self.gpus.len()))
			}
			(None, Some(note)) => out.push_str(&format!("{note}\n")),
			(None, None) => out.push_str("NVIDIA driver version unknown\n"),
		}
		for g in &self.gpus {
			out.push_str(&format!(
				"  gpu {}: {} {} {} MiB, pci {}, sm {}, cc {:?}, util {:?} %, power {:?} mW, temp {:?} C\n",
				g.index,
				g.uuid,
				g.name,
				g.memory_bytes >> 20,
				g.pci_bus_id,
				g.compute_capability,
				g.confidential_computing,
				g.utilization_percent,
				g.power_mw,
				g.temperature_c
			));
		}
		out.push_str(&format!(
			"cpu: {} cores, kernels {}\n",
			self.cpu_cores,
			self.cpu_kernels.join(", ")
		));
		if let Some(s) = &self.service {
			out.push_str(&format!(
				"service: listen {}, public {}, backend {}, threads {}, grace {} s\n",
				s.listen, s.public_url, s.backend, s.threads, s.shutdown_grace_secs
			));
		}
		for d in &self.devices {
			out.push_str(&format!("device {}: {} (model {})", d.id, d.map, d.model));
			if let Some(w) = &d.warning {
				out.push_str(&format!("  warning: {w}"));
			}
			out.push('\n');
		}
		out
	}
}
