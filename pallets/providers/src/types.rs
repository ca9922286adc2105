//! Storage and parameter types of the provider registry.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	currency::CRU,
	providers::{
		DeviceId, DeviceState, GpuClass, GpuInterface, GpuModelId, GpuVendor, ProviderStatus,
		ReputationCounters, WorkerKey,
	},
	time::DAYS,
	Balance, BlockNumber,
};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::Perbill;

/// Longest worker-client endpoint URL, in bytes.
pub const MAX_ENDPOINT_LEN: u32 = 128;
/// Longest provider metadata, in bytes (UTF-8).
pub const MAX_METADATA_LEN: u32 = 256;
/// Longest GPU model name, in bytes (UTF-8).
pub const MAX_MODEL_NAME_LEN: u32 = 32;
/// Longest governance reason, in bytes (UTF-8).
pub const MAX_REASON_LEN: u32 = 64;
/// Status changes kept per provider (the oldest is dropped first).
pub const HISTORY_LEN: u32 = 8;

/// A validated http(s) URL.
pub type Endpoint = BoundedVec<u8, ConstU32<MAX_ENDPOINT_LEN>>;
/// A validated region code (the one type of [`crucible_primitives::bounds`]).
pub use crucible_primitives::bounds::{Region, MAX_REGION_LEN};
/// UTF-8 metadata.
pub type Metadata = BoundedVec<u8, ConstU32<MAX_METADATA_LEN>>;
/// A UTF-8 model name.
pub type ModelName = BoundedVec<u8, ConstU32<MAX_MODEL_NAME_LEN>>;
/// A UTF-8 reason recorded by governance.
pub type Reason = BoundedVec<u8, ConstU32<MAX_REASON_LEN>>;

/// Serde of a bounded UTF-8 byte string as a JSON string (chain specs stay readable).
pub mod text {
	use alloc::string::String;
	use frame_support::{traits::Get, BoundedVec};
	use serde::{de::Error, Deserialize, Deserializer, Serializer};

	/// Writes the bytes as a string (lossy if they are not UTF-8, which validation prevents).
	pub fn serialize<S: Serializer, N: Get<u32>>(
		v: &BoundedVec<u8, N>,
		s: S,
	) -> Result<S::Ok, S::Error> {
		s.serialize_str(&String::from_utf8_lossy(v))
	}

	/// Reads a string that fits the bound.
	pub fn deserialize<'de, D: Deserializer<'de>, N: Get<u32>>(
		d: D,
	) -> Result<BoundedVec<u8, N>, D::Error> {
		let s = String::deserialize(d)?;
		BoundedVec::try_from(s.into_bytes()).map_err(|_| D::Error::custom("text too long"))
	}
}

/// A GPU model of the catalogue: what a provider claims a device is.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct GpuModel {
	/// Vendor.
	pub vendor: GpuVendor,
	/// Model name, e.g. "H100 SXM" (UTF-8, non-empty).
	#[serde(with = "text")]
	pub name: ModelName,
	/// Memory, MiB (non-zero).
	pub vram_mib: u32,
	/// PCIe or SXM.
	pub interface: GpuInterface,
	/// Peak dense INT8 tensor throughput, TOPS (non-zero): what attestation's timing is
	/// calibrated against.
	pub int8_tops: u32,
	/// The bond class, which sets the per-device bond.
	pub class: GpuClass,
}

impl GpuModel {
	/// A catalogue entry (name truncated to the bound; presets use short names).
	pub fn new(
		vendor: GpuVendor,
		name: &str,
		vram_mib: u32,
		interface: GpuInterface,
		int8_tops: u32,
		class: GpuClass,
	) -> Self {
		let name = BoundedVec::truncate_from(name.as_bytes().to_vec());
		Self { vendor, name, vram_mib, interface, int8_tops, class }
	}

	/// The catalogue every network starts with (ids 1..): peak dense INT8 tensor TOPS from
	/// the vendors' data sheets.
	pub fn standard_catalogue() -> alloc::vec::Vec<(GpuModelId, GpuModel)> {
		use GpuClass::*;
		use GpuInterface::*;
		use GpuVendor::*;
		alloc::vec![
			(1, GpuModel::new(Nvidia, "H100 SXM", 81_920, Sxm, 1_979, Datacenter)),
			(2, GpuModel::new(Nvidia, "H100 PCIe", 81_920, Pcie, 1_513, Datacenter)),
			(3, GpuModel::new(Nvidia, "H200 SXM", 144_384, Sxm, 1_979, Datacenter)),
			(4, GpuModel::new(Nvidia, "A100 SXM", 81_920, Sxm, 624, Datacenter)),
			(5, GpuModel::new(Nvidia, "L40S", 49_152, Pcie, 733, Workstation)),
			(6, GpuModel::new(Nvidia, "RTX 4090", 24_576, Pcie, 661, Consumer)),
		]
	}
}

/// The bond each device holds, per class.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ClassBonds {
	/// Per consumer device.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub consumer: Balance,
	/// Per workstation device.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub workstation: Balance,
	/// Per data-centre device.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub datacenter: Balance,
}

impl ClassBonds {
	/// The bond of one device of `class`.
	pub fn of(&self, class: GpuClass) -> Balance {
		match class {
			GpuClass::Consumer => self.consumer,
			GpuClass::Workstation => self.workstation,
			GpuClass::Datacenter => self.datacenter,
		}
	}
}

/// Governed parameters of the registry.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ProviderParams {
	/// Held at registration, whatever the capacity.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub base_bond: Balance,
	/// Held per device, by class, when the device is added.
	pub device_bonds: ClassBonds,
	/// Blocks between `deregister` and `withdraw_bond`; the bond stays slashable meanwhile.
	pub unbonding_period: BlockNumber,
	/// Whether endpoints may be private: `localhost`, `*.local`, loopback, RFC 1918, link-local
	/// and every other IP that is not public unicast ([`crucible_primitives::endpoint`]).
	/// Validators' off-chain workers fetch endpoints, so only dev and local chains set it.
	pub allow_private_endpoints: bool,
	/// The fraction of its required bond (base plus device bonds) a provider must hold to bid
	/// and be leased; below it, bids are refused and standing bids voided.
	pub min_bond_ratio: Perbill,
	/// Blocks a provider may stay below `min_bond_ratio` before anyone may suspend it with
	/// `suspend_underbonded`.
	pub underbonded_grace: BlockNumber,
}

impl ProviderParams {
	/// A public network: 1,000 CRU base; 500 / 250 / 100 CRU per data-centre / workstation /
	/// consumer GPU; seven days of unbonding (longer than any attestation round and fault
	/// report needs to land, and than the market-admin track's shortest path to a slash);
	/// at least 90% of the required bond held to take work, one day to top up after a slash.
	pub const fn production() -> Self {
		Self {
			base_bond: 1_000 * CRU,
			device_bonds: ClassBonds {
				consumer: 100 * CRU,
				workstation: 250 * CRU,
				datacenter: 500 * CRU,
			},
			unbonding_period: 7 * DAYS,
			allow_private_endpoints: false,
			min_bond_ratio: Perbill::from_percent(90),
			underbonded_grace: DAYS,
		}
	}

	/// Development chains: the same bonds, ten blocks of unbonding (twice the fast tracks'
	/// shortest path to enactment), ten blocks of grace, private endpoints (the worker client
	/// runs on the same machine or network).
	pub const fn development() -> Self {
		Self {
			unbonding_period: 10,
			allow_private_endpoints: true,
			underbonded_grace: 10,
			..Self::production()
		}
	}

	/// Whether the parameters make sense: a bond of zero would make registration free, a
	/// ratio of zero would let a fully slashed provider keep bidding.
	pub fn is_valid(&self) -> bool {
		self.base_bond > 0
			&& self.device_bonds.consumer > 0
			&& self.device_bonds.workstation > 0
			&& self.device_bonds.datacenter > 0
			&& self.unbonding_period > 0
			&& self.min_bond_ratio != Perbill::from_parts(0)
	}
}

impl Default for ProviderParams {
	fn default() -> Self {
		Self::production()
	}
}

/// One device of a provider.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Device {
	/// Its id within the provider.
	pub id: DeviceId,
	/// Its catalogue model.
	pub model: GpuModelId,
	/// The bond held for it, fixed when it was added.
	pub bond: Balance,
	/// Free, offered or leased.
	pub state: DeviceState,
	/// The block it was added in.
	pub added_at: BlockNumber,
}

/// A status change with governance's reason, if any.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct StatusChange {
	/// Block of the change.
	pub at: BlockNumber,
	/// The new status.
	pub status: ProviderStatus,
	/// Governance's reason (suspend / reinstate), else empty.
	pub reason: Reason,
}

/// A provider's record.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Provider {
	/// Signs the worker client's reports.
	pub worker_key: WorkerKey,
	/// Where validators reach the worker client.
	pub endpoint: Endpoint,
	/// Region code.
	pub region: Region,
	/// The provider's own description.
	pub metadata: Metadata,
	/// Active, suspended or unbonding.
	pub status: ProviderStatus,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Base bond required since registration.
	pub base_bond: Balance,
	/// Sum of the bonds of its devices.
	pub device_bonds: Balance,
	/// CRU on hold for the bond now: raised by every hold (registration, devices, top-ups),
	/// lowered by every release and slash. May fall below [`Provider::required`] after a slash.
	pub held: Balance,
	/// Slashed over the provider's life; never decreases.
	pub slashed_total: Balance,
	/// The block from which `held` has been below `min_bond_ratio` of `required` (set by the
	/// slash that took it there, cleared by the top-up or removal that restores it).
	pub underbonded_since: Option<BlockNumber>,
	/// The id the next added device gets.
	pub next_device: DeviceId,
	/// The latest status changes, oldest first.
	pub history: BoundedVec<StatusChange, ConstU32<HISTORY_LEN>>,
	/// Reputation counters.
	pub reputation: ReputationCounters,
}

impl Provider {
	/// The bond its registration and devices require: base plus device bonds.
	pub fn required(&self) -> Balance {
		self.base_bond.saturating_add(self.device_bonds)
	}

	/// Whether it holds at least `ratio` of its required bond.
	pub fn bonded(&self, ratio: Perbill) -> bool {
		self.held >= ratio.mul_ceil(self.required())
	}

	/// Re-evaluate `underbonded_since` at block `now` after a change of `held` or `required`:
	/// the clock starts when the hold first falls below `ratio` and stops when it is restored.
	pub fn note_bond(&mut self, ratio: Perbill, now: BlockNumber) {
		if self.bonded(ratio) {
			self.underbonded_since = None;
		} else if self.underbonded_since.is_none() {
			self.underbonded_since = Some(now);
		}
	}

	/// The block from which its grace runs, if it is underbonded at `ratio` now: the later of
	/// `underbonded_since` and `ratio_since`, the block `ratio` took effect. (A clock started
	/// under another ratio says nothing of this one: a provider underbonded at 10, bonded
	/// again after the ratio was lowered, then underbonded when it is raised, gets its whole
	/// grace from the raise.)
	pub fn grace_from(&self, ratio: Perbill, ratio_since: BlockNumber) -> Option<BlockNumber> {
		if self.bonded(ratio) {
			return None;
		}
		Some(self.underbonded_since.unwrap_or(ratio_since).max(ratio_since))
	}

	/// Record a status change, dropping the oldest entry when the history is full.
	pub fn push_status(&mut self, at: BlockNumber, status: ProviderStatus, reason: Reason) {
		self.status = status;
		let change = StatusChange { at, status, reason };
		if self.history.is_full() {
			self.history.remove(0);
		}
		// Cannot fail: an entry was just made free.
		let _ = self.history.try_push(change);
	}
}

/// Devices of one model across all providers.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct DeviceCounts {
	/// Devices registered, any provider status.
	pub registered: u32,
	/// Free devices of Active providers.
	pub free: u32,
	/// Devices offered in open bids.
	pub offered: u32,
	/// Devices leased.
	pub leased: u32,
}
