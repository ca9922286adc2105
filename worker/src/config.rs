//! The worker's TOML configuration (`--config`; command-line flags override it).
//!
//! ```toml
//! node = "ws://127.0.0.1:9944"          # the node's JSON-RPC (WebSocket)
//! provider = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"  # SS58 or 0x-hex
//! key_file = "worker.key"               # hex seed, mode 0600 (`crucible-worker key generate`)
//! # suri = "//Bob"                      # instead of key_file: Development or Local chains only
//! listen = "0.0.0.0:8844"               # the HTTP API
//! public_url = "http://203.0.113.7:8844" # = the endpoint registered on chain
//! backend = "auto"                      # auto | cpu
//! threads = 0                           # 0: every core
//! shutdown_grace_secs = 120
//! [log]
//! level = "info"                        # error | warn | info | debug | trace
//! format = "text"                       # text | json
//! [[device]]
//! id = 0                                # the on-chain device id
//! map = "cpu"                           # cpu, or an NVIDIA GPU's UUID ("GPU-…")
//! model = 9                             # the on-chain catalogue model id
//! ```

use serde::Deserialize;
use std::{collections::BTreeSet, net::SocketAddr, path::PathBuf};

/// Which compute backend to use.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
	/// The best available (today: the CPU).
	#[default]
	Auto,
	/// The CPU kernels.
	Cpu,
}

/// Log output.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Log {
	/// The level.
	#[serde(default = "default_level")]
	pub level: String,
	/// `text` or `json`.
	#[serde(default = "default_format")]
	pub format: String,
}

fn default_level() -> String {
	"info".into()
}
fn default_format() -> String {
	"text".into()
}
fn default_grace() -> u64 {
	120
}

impl Default for Log {
	fn default() -> Self {
		Self { level: default_level(), format: default_format() }
	}
}

/// What runs a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceMap {
	/// The CPU backend.
	Cpu,
	/// An NVIDIA GPU, by NVML UUID.
	Gpu(String),
}

/// One device of the provider.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Device {
	/// The on-chain device id.
	pub id: u32,
	/// `cpu` or a GPU UUID.
	pub map: String,
	/// The on-chain catalogue model id.
	pub model: u16,
}

impl Device {
	/// What runs it.
	pub fn mapped(&self) -> DeviceMap {
		if self.map == "cpu" {
			DeviceMap::Cpu
		} else {
			DeviceMap::Gpu(self.map.clone())
		}
	}
}

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
	/// The node's WebSocket JSON-RPC URL.
	pub node: String,
	/// The provider account (SS58 or 0x-hex of 32 bytes).
	pub provider: String,
	/// The worker key file.
	#[serde(default)]
	pub key_file: Option<PathBuf>,
	/// A secret URI instead of a key file (Development and Local chains only).
	#[serde(default)]
	pub suri: Option<String>,
	/// The HTTP API's listen address.
	pub listen: SocketAddr,
	/// The public URL of the HTTP API (the on-chain endpoint).
	pub public_url: String,
	/// The backend.
	#[serde(default)]
	pub backend: Backend,
	/// Worker threads (0: every core).
	#[serde(default)]
	pub threads: usize,
	/// Seconds to keep serving openings after SIGINT/SIGTERM.
	#[serde(default = "default_grace")]
	pub shutdown_grace_secs: u64,
	/// Logging.
	#[serde(default)]
	pub log: Log,
	/// The devices.
	#[serde(default, rename = "device")]
	pub devices: Vec<Device>,
}

impl Config {
	/// Parses and validates a configuration.
	pub fn parse(text: &str) -> Result<Self, String> {
		let config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
		config.validate()?;
		Ok(config)
	}

	/// The checks that need no chain.
	pub fn validate(&self) -> Result<(), String> {
		if !(self.node.starts_with("ws://") || self.node.starts_with("wss://")) {
			return Err(format!("node: {:?} is not a ws:// or wss:// URL", self.node));
		}
		crate::key::parse_account(&self.provider).map_err(|e| format!("provider: {e}"))?;
		match (&self.key_file, &self.suri) {
			(None, None) => return Err("one of key_file and suri is needed".into()),
			(Some(_), Some(_)) => return Err("key_file and suri exclude each other".into()),
			_ => {}
		}
		if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
			return Err(format!("public_url: {:?} is not an http(s) URL", self.public_url));
		}
		if !["error", "warn", "info", "debug", "trace"].contains(&self.log.level.as_str()) {
			return Err(format!(
				"log.level: {:?} is not error|warn|info|debug|trace",
				self.log.level
			));
		}
		if !["text", "json"].contains(&self.log.format.as_str()) {
			return Err(format!("log.format: {:?} is not text|json", self.log.format));
		}
		if self.devices.is_empty() {
			return Err("no [[device]]".into());
		}
		let mut ids = BTreeSet::new();
		let mut gpus = BTreeSet::new();
		for d in &self.devices {
			if !ids.insert(d.id) {
				return Err(format!("device {} is listed twice", d.id));
			}
			if let DeviceMap::Gpu(uuid) = d.mapped() {
				if !uuid.starts_with("GPU-") && !uuid.starts_with("MIG-") {
					return Err(format!(
						"device {}: map {uuid:?} is neither cpu nor a GPU UUID",
						d.id
					));
				}
				if !gpus.insert(uuid.clone()) {
					return Err(format!("device {}: GPU {uuid} is mapped twice", d.id));
				}
			}
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const GOOD: &str = r#"
node = "ws://127.0.0.1:9944"
provider = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
key_file = "worker.key"
listen = "0.0.0.0:8844"
public_url = "http://203.0.113.7:8844"
[[device]]
id = 0
map = "cpu"
model = 9
[[device]]
id = 1
map = "GPU-5e2a1c3e-0000-0000-0000-000000000000"
model = 3
"#;

	#[test]
	fn a_good_config_parses_with_defaults() {
		let c = Config::parse(GOOD).unwrap();
		assert_eq!(c.backend, Backend::Auto);
		assert_eq!(c.threads, 0);
		assert_eq!(c.log, Log::default());
		assert_eq!(c.shutdown_grace_secs, 120);
		assert_eq!(c.devices[0].mapped(), DeviceMap::Cpu);
		assert_eq!(
			c.devices[1].mapped(),
			DeviceMap::Gpu("GPU-5e2a1c3e-0000-0000-0000-000000000000".into())
		);
	}

	#[test]
	fn bad_configs_say_why() {
		let cases: &[(&str, &str, &str)] = &[
			("ws://127.0.0.1:9944", "http://127.0.0.1:9944", "node"),
			("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty", "5FHne", "provider"),
			("key_file = \"worker.key\"", "", "one of key_file and suri"),
			("key_file = \"worker.key\"", "key_file = \"k\"\nsuri = \"//Bob\"", "exclude"),
			("http://203.0.113.7:8844", "ftp://x", "public_url"),
			("id = 1", "id = 0", "listed twice"),
			("GPU-5e2a1c3e-0000-0000-0000-000000000000", "gpu0", "neither cpu"),
			("model = 9", "model = 9\ncolour = 1", "unknown field"),
		];
		for (from, to, why) in cases {
			let text = GOOD.replacen(from, to, 1);
			let err = Config::parse(&text).unwrap_err();
			assert!(err.contains(why), "{from} -> {to}: {err}");
		}
		let text = GOOD
			.replace("listen = \"0.0.0.0:8844\"", "listen = \"0.0.0.0:8844\"\nbackend = \"cuda\"");
		assert!(Config::parse(&text).unwrap_err().contains("unknown variant"));
		let text = format!("{GOOD}[log]\nlevel = \"loud\"\n");
		assert!(Config::parse(&text).unwrap_err().contains("log.level"));
	}
}
