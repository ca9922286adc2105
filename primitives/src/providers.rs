//! The provider registry: the GPU catalogue, providers, their devices, and the traits through
//! which the lease market and (later) attestation reserve devices, record reputation and slash
//! bonds. The `providers` pallet implements the traits; the runtime API and the node's
//! `crucible_*` JSON-RPC methods return the views below.
//!
//! A device is always typed by a catalogue entry ([`GpuModelId`]), never by free text: the
//! catalogue states what a provider claims (model, VRAM, peak INT8 throughput), and attestation
//! later checks the claim. In JSON, CRU amounts are decimal strings (see [`crate::bme::amount`]).

use crate::{bme::amount, Balance, BlockNumber};
use alloc::{string::String, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::{DispatchError, DispatchResult, Weight};

/// The id of a GPU model in the governed catalogue.
pub type GpuModelId = u16;

/// The id of a device within its provider (assigned in order, never reused by that provider).
pub type DeviceId = u32;

/// The id of an order of the lease market (a bid reserves devices for it).
pub type OrderId = u64;

/// The id of a lease of the lease market.
pub type LeaseId = u64;

/// The worker client's signing key: reports and challenge answers are signed with it.
pub type WorkerKey = sp_core::sr25519::Public;

/// Who makes a GPU.
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
pub enum GpuVendor {
	/// NVIDIA.
	Nvidia,
	/// AMD.
	Amd,
	/// Intel.
	Intel,
}

/// How a GPU is attached.
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
pub enum GpuInterface {
	/// A PCI Express card.
	Pcie,
	/// An SXM (or OAM) module on a baseboard.
	Sxm,
}

/// The bond class of a GPU model: each class has its own governed per-device bond.
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
pub enum GpuClass {
	/// Consumer cards (e.g. RTX 4090).
	Consumer,
	/// Workstation cards (e.g. RTX 6000 Ada).
	Workstation,
	/// Data-centre GPUs (e.g. H100, A100).
	Datacenter,
}

/// What a provider's device is: a device's status towards the market.
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
pub enum DeviceUse {
	/// Offered in an open bid on this order.
	Offered(OrderId),
	/// Leased under this lease.
	Leased(LeaseId),
}

/// A device's state: free, or in one use.
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
pub enum DeviceState {
	/// Neither offered nor leased.
	Free,
	/// Offered or leased.
	InUse(DeviceUse),
}

/// A provider's status, as stored and as the market sees it.
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
pub enum ProviderStatus {
	/// Serving: may bid and be leased.
	Active,
	/// Suspended by governance (the reason is recorded in the status history): no new bids.
	Suspended,
	/// Deregistered; the bond stays held (and slashable) until this block, then it may be
	/// withdrawn.
	Unbonding {
		/// The first block at which `withdraw_bond` succeeds.
		until: BlockNumber,
	},
	/// The bond was withdrawn and the record removed (appears in events and in the last
	/// history entry, never in storage).
	Gone,
}

/// What happened to a provider, for its reputation.
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
pub enum ReputationEvent {
	/// A lease ran to its end (or the tenant closed it) without a fault.
	LeaseCompleted,
	/// A lease was closed for a provider fault.
	LeaseFaulted,
	/// The provider passed an attestation round.
	AttestationPassed,
	/// The provider failed an attestation round.
	AttestationFailed,
}

/// A provider's reputation counters (saturating).
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
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ReputationCounters {
	/// Leases completed without a fault.
	pub leases_completed: u32,
	/// Leases closed for a provider fault.
	pub leases_faulted: u32,
	/// Attestation rounds passed.
	pub attestations_passed: u32,
	/// Attestation rounds failed.
	pub attestations_failed: u32,
}

impl ReputationCounters {
	/// Count one event.
	pub fn record(&mut self, event: ReputationEvent) {
		let counter = match event {
			ReputationEvent::LeaseCompleted => &mut self.leases_completed,
			ReputationEvent::LeaseFaulted => &mut self.leases_faulted,
			ReputationEvent::AttestationPassed => &mut self.attestations_passed,
			ReputationEvent::AttestationFailed => &mut self.attestations_failed,
		};
		*counter = counter.saturating_add(1);
	}
}

/// Why a bond is slashed.
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
pub enum SlashReason {
	/// The provider faulted on this lease; the tenant is compensated.
	LeaseFault(LeaseId),
	/// The provider failed attestation.
	AttestationFailed,
	/// A fraud proof showed a wrong result.
	Fraud,
	/// The market-admin track slashed it for a cause its referendum states.
	Governance,
}

/// A device as the market sees it.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct DeviceView {
	/// Its id within the provider.
	pub id: DeviceId,
	/// Its catalogue model.
	pub model: GpuModelId,
	/// The bond held for it (CRU plancks).
	#[serde(with = "amount")]
	pub bond: Balance,
	/// Free, offered or leased.
	pub state: DeviceState,
	/// The block it was added in (a device is due in a census only if added before the opening).
	pub added_at: BlockNumber,
}

/// What attestation reads of a provider.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct AttestationView {
	/// The worker key (signs commits).
	pub worker_key: WorkerKey,
	/// The worker client's endpoint.
	pub endpoint: Vec<u8>,
	/// Block of registration.
	pub registered_at: BlockNumber,
	/// Status.
	pub status: ProviderStatus,
	/// CRU on hold for the bond now.
	pub bond_held: Balance,
}

/// The provider registry, as the lease market and attestation use it.
///
/// Reserving, rebinding and releasing are all-or-nothing: on error nothing changes.
pub trait ProviderRegistry<AccountId> {
	/// The provider's status, or `None` if `who` is not a provider.
	fn status(who: &AccountId) -> Option<ProviderStatus>;
	/// The provider's devices (at most the registry's per-provider bound).
	fn devices(who: &AccountId) -> Vec<DeviceView>;
	/// A catalogue entry's VRAM (MiB) and class, if it exists.
	fn model(model: GpuModelId) -> Option<(u32, GpuClass)>;
	/// Free devices of `model` at Active providers, in O(1).
	fn free_devices(model: GpuModelId) -> u32;
	/// Free devices of `model` at Active providers registered in `region`, in O(1).
	fn free_devices_in(model: GpuModelId, region: &[u8]) -> u32;
	/// Whether provider `who` registered `region` (a lowercase region code).
	fn in_region(who: &AccountId, region: &[u8]) -> bool;
	/// Whether provider `who` holds at least the governed fraction of its required bond, so
	/// that it may bid and be leased (false if `who` is not a provider).
	fn bonded(who: &AccountId) -> bool;
	/// Devices offered and leased across all providers, from the counters (for invariant
	/// checks; O(catalogue)).
	fn in_use() -> (u32, u32);
	/// Mark `devices` of Active provider `who` as in `to`; each must be free.
	fn reserve(who: &AccountId, devices: &[DeviceId], to: DeviceUse) -> DispatchResult;
	/// Move `devices` from use `from` to use `to` (an accepted bid's devices become leased).
	fn rebind(
		who: &AccountId,
		devices: &[DeviceId],
		from: DeviceUse,
		to: DeviceUse,
	) -> DispatchResult;
	/// Free `devices`, each of which must be in use `from`.
	fn release(who: &AccountId, devices: &[DeviceId], from: DeviceUse) -> DispatchResult;
	/// Free every device of `who` in use `from`, whatever else is wrong: the repair path once
	/// [`Self::release`] found a broken invariant, so that no device stays bound to a closed
	/// order or lease. Returns how many were freed.
	fn release_bound(who: &AccountId, from: DeviceUse) -> u32;
	/// Weight of [`Self::reserve`], [`Self::rebind`], [`Self::release`] or
	/// [`Self::release_bound`] of up to the per-provider bound of devices.
	fn device_update_weight() -> Weight;
	/// What attestation reads of provider `who`.
	fn attestation_view(who: &AccountId) -> Option<AttestationView>;
	/// A catalogue model's peak INT8 TOPS.
	fn int8_tops(model: GpuModelId) -> Option<u32>;
	/// Up to `limit` providers after `after` (from the first when `None`), in storage order: a
	/// cursor over every provider.
	fn providers_after(after: Option<&AccountId>, limit: u32) -> Vec<AccountId>;
	/// Whether the chain allows private endpoints (dev and local).
	fn allow_private_endpoints() -> bool;
	/// Suspend Active provider `who` with `reason` (truncated to the registry's bound).
	fn suspend(who: &AccountId, reason: &[u8]) -> DispatchResult;
	/// Weight of [`Self::attestation_view`] (with the devices read by [`Self::devices`]).
	fn attestation_view_weight() -> Weight;
	/// Weight of [`Self::providers_after`] returning `n` providers.
	fn providers_after_weight(n: u32) -> Weight;
	/// Weight of [`Self::suspend`].
	fn suspend_weight() -> Weight;
}

/// Reputation counters, written by the lease market and attestation.
pub trait Reputation<AccountId> {
	/// Count `event` for provider `who` (no-op if `who` is not a provider).
	fn record(who: &AccountId, event: ReputationEvent);
	/// The counters of provider `who`.
	fn reputation(who: &AccountId) -> Option<ReputationCounters>;
	/// Weight of [`Self::record`].
	fn record_weight() -> Weight;
}

/// Slashing of provider bonds.
pub trait Slashing<AccountId> {
	/// Move up to `amount` of `who`'s held bond to `beneficiary` (or the treasury when `None`),
	/// for `reason`. Bounded by what is held; returns what was slashed. Emits an event.
	fn slash(
		who: &AccountId,
		amount: Balance,
		beneficiary: Option<&AccountId>,
		reason: SlashReason,
	) -> Result<Balance, DispatchError>;
	/// Weight of [`Self::slash`].
	fn slash_weight() -> Weight;
}

/// A catalogue entry, as explorers see it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GpuModelView {
	/// Its id.
	pub id: GpuModelId,
	/// Vendor.
	pub vendor: GpuVendor,
	/// Model name, e.g. "H100 SXM".
	pub name: String,
	/// Memory, MiB.
	pub vram_mib: u32,
	/// PCIe or SXM.
	pub interface: GpuInterface,
	/// Peak dense INT8 tensor throughput, TOPS.
	pub int8_tops: u32,
	/// Bond class.
	pub class: GpuClass,
	/// The bond a new device of this model holds now (CRU plancks).
	#[serde(with = "amount")]
	pub bond_per_device: Balance,
}

/// One status change.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusChangeView {
	/// The block of the change.
	pub at: BlockNumber,
	/// The new status.
	pub status: ProviderStatus,
	/// Governance's recorded reason (suspension and reinstatement), else empty.
	pub reason: String,
}

/// A provider's bond: what is `required` (base plus device bonds), what is `held` (required
/// plus top-ups, less slashes and what removals released), and everything ever slashed.
#[derive(
	Clone, Copy, Default, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct BondView {
	/// The base bond required since registration.
	#[serde(with = "amount")]
	pub base: Balance,
	/// The sum of the per-device bonds of its devices.
	#[serde(with = "amount")]
	pub devices: Balance,
	/// `base + devices`.
	#[serde(with = "amount")]
	pub required: Balance,
	/// On hold now.
	#[serde(with = "amount")]
	pub held: Balance,
	/// Slashed over the provider's life (never decreases).
	#[serde(with = "amount")]
	pub slashed_total: Balance,
	/// Set while `held` is below the governed fraction of `required`: the block the grace
	/// period runs from (when the hold fell below it, or when governance last changed the
	/// fraction, whichever is later). The provider may not bid, and may be suspended once
	/// the grace period has passed.
	pub underbonded_since: Option<BlockNumber>,
}

/// A provider in a list.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderSummary<AccountId> {
	/// The owner account.
	pub owner: AccountId,
	/// Status.
	pub status: ProviderStatus,
	/// Region code.
	pub region: String,
	/// Worker-client endpoint.
	pub endpoint: String,
	/// Devices registered.
	pub devices: u32,
	/// Of which free.
	pub free: u32,
	/// Bond held now (CRU plancks).
	#[serde(with = "amount")]
	pub bond: Balance,
}

/// One provider with everything about it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView<AccountId> {
	/// The owner account.
	pub owner: AccountId,
	/// Status.
	pub status: ProviderStatus,
	/// The worker client's sr25519 key (SS58 in JSON).
	pub worker_key: WorkerKey,
	/// Worker-client endpoint.
	pub endpoint: String,
	/// Region code.
	pub region: String,
	/// The provider's own description.
	pub metadata: String,
	/// Registered at this block.
	pub registered_at: BlockNumber,
	/// Bond.
	pub bond: BondView,
	/// Devices.
	pub devices: Vec<DeviceView>,
	/// The latest status changes, oldest first.
	pub history: Vec<StatusChangeView>,
	/// Reputation counters.
	pub reputation: ReputationCounters,
}

/// A status to filter on.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum StatusFilter {
	/// Active providers.
	Active,
	/// Suspended providers.
	Suspended,
	/// Unbonding providers.
	Unbonding,
}

impl StatusFilter {
	/// Whether `status` passes.
	pub fn matches(&self, status: &ProviderStatus) -> bool {
		matches!(
			(self, status),
			(StatusFilter::Active, ProviderStatus::Active)
				| (StatusFilter::Suspended, ProviderStatus::Suspended)
				| (StatusFilter::Unbonding, ProviderStatus::Unbonding { .. })
		)
	}
}

/// Which providers to list.
#[derive(
	Clone, Default, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderFilter {
	/// Only providers in this status.
	pub status: Option<StatusFilter>,
	/// Only this region code.
	pub region: Option<String>,
	/// Only providers with at least one device of this model.
	pub model: Option<GpuModelId>,
}

/// A page of providers.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderPage<AccountId> {
	/// The providers matching the filter, in storage order.
	pub providers: Vec<ProviderSummary<AccountId>>,
	/// Pass as `cursor` for the next page; `None` when the list is complete.
	pub next: Option<AccountId>,
}

/// Devices of one model across all providers.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSupplyView {
	/// The catalogue model.
	pub model: GpuModelId,
	/// Its name.
	pub name: String,
	/// Devices registered (every status).
	pub registered: u32,
	/// Free at Active providers: what the market can lease now.
	pub free: u32,
	/// Offered in open bids.
	pub offered: u32,
	/// Leased.
	pub leased: u32,
}

/// The registry as a whole.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SupplySummary {
	/// Providers with a record (any status).
	pub providers: u32,
	/// Per catalogue model, in id order.
	pub models: Vec<ModelSupplyView>,
}

sp_api::decl_runtime_apis! {
	/// Queries of the `providers` pallet, for explorers and the `crucible_*` JSON-RPC methods.
	pub trait ProvidersApi<AccountId> where AccountId: codec::Codec {
		/// Providers matching `filter`, from `cursor` (exclusive) on: up to `limit` (at most
		/// 100) of them. Reads at most 1,000 provider records (a rare filter returns a short
		/// page with a `next`) and the device list of each that passes the status and region
		/// filters: at most 2,001 entries, whatever the arguments.
		fn providers(filter: ProviderFilter, cursor: Option<AccountId>, limit: u32)
			-> ProviderPage<AccountId>;
		/// One provider. Reads two entries (the record and the device list).
		fn provider(who: AccountId) -> Option<ProviderView<AccountId>>;
		/// The GPU catalogue, in id order. Reads the parameters and every catalogue entry
		/// (at most the runtime's `MaxModels`, 64).
		fn catalogue() -> Vec<GpuModelView>;
		/// Devices registered, free, offered and leased, per model. Reads the catalogue as
		/// above, one supply counter per model and the provider count.
		fn supply() -> SupplySummary;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn reputation_counts_saturate() {
		let mut r = ReputationCounters { leases_faulted: u32::MAX, ..Default::default() };
		r.record(ReputationEvent::LeaseFaulted);
		r.record(ReputationEvent::LeaseCompleted);
		assert_eq!(r.leases_faulted, u32::MAX);
		assert_eq!(r.leases_completed, 1);
	}

	#[test]
	fn filters_and_states_read_from_json() {
		let f: ProviderFilter = serde_json::from_str(r#"{"status":"active","model":3}"#).unwrap();
		assert_eq!(f.status, Some(StatusFilter::Active));
		assert!(StatusFilter::Unbonding.matches(&ProviderStatus::Unbonding { until: 9 }));
		assert_eq!(f.model, Some(3));
		assert_eq!(f.region, None);
		let s = serde_json::to_string(&DeviceState::InUse(DeviceUse::Leased(7))).unwrap();
		assert_eq!(s, r#"{"inUse":{"leased":7}}"#);
	}
}
