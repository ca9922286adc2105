//! The lease market: why orders and leases close, and the views the runtime API and the node's
//! `crucible_*` JSON-RPC methods return. Prices are compute credits per block (micro-credit
//! units as decimal strings in JSON, like every amount), CRU amounts are plancks.

use crate::{
	bme::{amount, Credits},
	providers::{DeviceId, GpuModelId, LeaseId, OrderId},
	Balance, BlockNumber,
};
use alloc::{string::String, vec::Vec};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

pub use crate::bounds::{Region, MAX_REGION_LEN};

/// What the fault was, when governance (later: attestation) closes a lease for a provider
/// fault.
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
pub enum FaultKind {
	/// The worker client stopped answering.
	Unreachable,
	/// The devices are not what the catalogue entry claims.
	HardwareMismatch,
	/// Work came back wrong.
	WrongResults,
	/// The service level agreed was not met (throughput, uptime).
	ServiceLevel,
}

/// Why a lease closed.
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
pub enum CloseReason {
	/// The tenant closed it before its end.
	Tenant,
	/// The provider walked away before its end (counted as a fault in reputation, no slash).
	Provider,
	/// It ran to its end.
	Expired,
	/// Its escrow ran dry before its end.
	InsufficientFunds,
	/// Governance (later: attestation) found a provider fault: refund plus compensation.
	ProviderFault(FaultKind),
	/// Its sweep task kept failing and the market-admin track closed it (`force_close`): the
	/// provider paid to then, the rest refunded, counted neither way in reputation.
	ForceClosed,
}

/// Why an order closed without a lease.
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
pub enum OrderCloseReason {
	/// No provider bid, though enough devices of the allowed models were free.
	NoBids,
	/// No provider bid, and too few devices of the allowed models were free at the window's end.
	NoFreeDevices,
	/// Every bid became invalid before the window's end (its provider was suspended).
	NoValidBids,
	/// The tenant cancelled it.
	Cancelled,
	/// Its window's sweep task kept failing and the market-admin track closed it
	/// (`force_close`).
	ForceClosed,
	/// A bid won but the lease's first check found no room on the sweep's agenda (32 full
	/// blocks): the order closed rather than keep its bidders' devices reserved.
	AgendaFull,
}

/// What the lease market's sweep does at a block.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
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
pub enum SweepTask {
	/// The order's bid window ends: the best bid wins, or the order expires.
	CloseBidding(OrderId),
	/// Look at the lease: warn when it runs low, close it when due.
	CheckLease(LeaseId),
}

/// A sweep task that failed its every attempt and waits for the market-admin track's
/// `force_close` (its order or lease, escrow and devices untouched meanwhile).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StuckTaskView {
	/// The task.
	pub task: SweepTask,
	/// The block it was parked at.
	pub since: BlockNumber,
	/// Its last error.
	pub error: sp_runtime::DispatchError,
}

/// A page of parked sweep tasks.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StuckPage {
	/// The tasks, in storage order.
	pub tasks: Vec<StuckTaskView>,
	/// Pass as `cursor` for the next page; `None` when the list is complete.
	pub next: Option<SweepTask>,
}

/// A bid, as explorers see it.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidView<AccountId> {
	/// The bidder.
	pub provider: AccountId,
	/// Credits per block.
	pub price: Credits,
	/// The devices offered.
	pub devices: Vec<DeviceId>,
	/// The catalogue model of each offered device, in the same order.
	pub models: Vec<GpuModelId>,
	/// CRU held for the bid.
	#[serde(with = "amount")]
	pub deposit: Balance,
	/// When it was placed.
	pub placed_at: BlockNumber,
}

/// An open order with its bids.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderView<AccountId> {
	/// Its id (its lease and escrow will have the same).
	pub id: OrderId,
	/// Who ordered.
	pub tenant: AccountId,
	/// Accepted catalogue models.
	pub models: Vec<GpuModelId>,
	/// Least memory per GPU, MiB.
	pub min_vram_mib: u32,
	/// GPUs wanted.
	pub gpus: u32,
	/// Required region, if any.
	pub region: Option<String>,
	/// Highest acceptable price, credits per block.
	pub max_price: Credits,
	/// Lease length, blocks.
	pub duration: BlockNumber,
	/// Credits locked in escrow.
	pub escrow: Credits,
	/// When it was placed.
	pub created_at: BlockNumber,
	/// Bids are taken before this block; the best wins at it.
	pub bid_until: BlockNumber,
	/// The bids, in the order placed.
	pub bids: Vec<BidView<AccountId>>,
}

/// A page of open orders.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPage<AccountId> {
	/// The orders.
	pub orders: Vec<OrderView<AccountId>>,
	/// Pass as `cursor` for the next page; `None` when the list is complete.
	pub next: Option<OrderId>,
}

/// Where a lease stands.
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
pub enum LeaseStatus {
	/// Running, funded beyond the low-funds horizon (or to its end).
	Running,
	/// Running, and its escrow runs dry within the low-funds horizon.
	Low,
	/// Past its end or its dry block: paid to there, closed when the sweep reaches it.
	Due,
}

/// A lease as of the block queried.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseView<AccountId> {
	/// Its id (that of its order and escrow).
	pub id: LeaseId,
	/// Who pays.
	pub tenant: AccountId,
	/// Who serves.
	pub provider: AccountId,
	/// The leased devices of the provider.
	pub devices: Vec<DeviceId>,
	/// Credits per block.
	pub price: Credits,
	/// First leased block.
	pub start: BlockNumber,
	/// First block not leased.
	pub end: BlockNumber,
	/// Blocks before this one are settled.
	pub settled_at: BlockNumber,
	/// Owed to the provider as of now and not yet settled.
	pub owed: Credits,
	/// In escrow as of now and not owed: what the tenant would get back on closing now.
	pub remaining: Credits,
	/// Settled or owed and not yet withdrawn: what `withdraw` would pay now (before the
	/// take-rate).
	pub withdrawable: Credits,
	/// Withdrawn so far (before the take-rate).
	pub withdrawn: Credits,
	/// Put into escrow: the order's escrow plus top-ups.
	pub funded: Credits,
	/// The block the lease stops being paid: its end, or its dry block if earlier.
	pub due: BlockNumber,
	/// Whether that is because the escrow runs dry.
	pub runs_dry: bool,
	/// Where it stands.
	pub status: LeaseStatus,
}

/// Which leases to list.
#[derive(
	Clone,
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
#[serde(rename_all = "camelCase", default, bound(deserialize = "AccountId: Deserialize<'de>"))]
pub struct LeaseFilter<AccountId> {
	/// Only this tenant's.
	pub tenant: Option<AccountId>,
	/// Only this provider's.
	pub provider: Option<AccountId>,
	/// Only those in this status.
	pub status: Option<LeaseStatus>,
}

impl<AccountId> Default for LeaseFilter<AccountId> {
	fn default() -> Self {
		Self { tenant: None, provider: None, status: None }
	}
}

/// A page of leases.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeasePage<AccountId> {
	/// The leases (in storage order; by id for `running_low`).
	pub leases: Vec<LeaseView<AccountId>>,
	/// Pass as `cursor` for the next page; `None` when the list is complete.
	pub next: Option<LeaseId>,
}

/// One model's market.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelMarketView {
	/// The catalogue model.
	pub model: GpuModelId,
	/// Devices registered.
	pub registered: u32,
	/// Devices leased now.
	pub leased: u32,
	/// Leased / registered, parts per million (0 when none is registered).
	pub utilization_ppm: u32,
	/// Leases of this model started in the current hour and the 23 hours before it (exact:
	/// counted per hour as leases start).
	pub leases_last_day: u32,
	/// Median price, credits per GPU-hour (the lower middle of an even count), of the latest
	/// lease starts of this model in the last day: the latest 32 at most.
	pub median_per_gpu_hour: Option<Credits>,
}

/// The market as a whole.
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketSummary {
	/// Orders taking bids.
	pub open_orders: u32,
	/// Leases not yet closed (running or due).
	pub active_leases: u32,
	/// GPUs under those leases.
	pub leased_gpus: u32,
	/// Per catalogue model, in id order.
	pub models: Vec<ModelMarketView>,
}

sp_api::decl_runtime_apis! {
	/// Queries of the `leases` pallet, for explorers and the `crucible_*` JSON-RPC methods.
	pub trait LeasesApi<AccountId> where AccountId: codec::Codec {
		/// Open orders with their bids, in storage order after `cursor`: up to `limit`
		/// (at most 100). Reads at most 101 orders and 100 bid lists.
		fn open_orders(cursor: Option<OrderId>, limit: u32) -> OrderPage<AccountId>;
		/// One open order with its bids. Reads two entries.
		fn order(id: OrderId) -> Option<OrderView<AccountId>>;
		/// Leases matching `filter`, in storage order after `cursor`: up to `limit` (at most
		/// 100). Walks the narrowest index the filter allows and reads at most 1,000 of its
		/// keys and their leases (a rare filter returns a short page with a `next`), and the
		/// parameters: at most 2,001 entries, whatever the arguments.
		fn leases(filter: LeaseFilter<AccountId>, cursor: Option<LeaseId>, limit: u32)
			-> LeasePage<AccountId>;
		/// One lease, with what it owes and has left as of now. Reads two entries.
		fn lease(id: LeaseId) -> Option<LeaseView<AccountId>>;
		/// Leases warned that their escrow runs dry within the low-funds horizon, and not
		/// topped up or closed since, in storage order after `cursor` (the `next` of the
		/// previous page): up to `limit` (at most 100). Reads at most `limit + 1` index keys
		/// and `limit` leases, whatever the arguments.
		fn running_low(cursor: Option<LeaseId>, limit: u32) -> LeasePage<AccountId>;
		/// Sweep tasks parked after failing every attempt, waiting for `force_close`, in
		/// storage order after `cursor` (the `next` of the previous page): up to `limit` (at
		/// most 100). Reads at most `limit + 1` entries, whatever the arguments. The map
		/// holds at most 64 tasks, and past that only tasks whose retry found no room on the
		/// agenda (each an open order or lease).
		fn stuck_tasks(cursor: Option<SweepTask>, limit: u32) -> StuckPage;
		/// Orders, leases, utilization and median prices over the last day, per model.
		/// Reads the catalogue, one supply counter and one day summary per model (at most
		/// the registry's `MaxModels` each), and three counters.
		fn summary() -> MarketSummary;
	}
}

/// What attestation needs of the lease market: a lease's start (for a device's share in a
/// census), closing a faulty provider's leases with refunds and compensation, and whether
/// standing is required.
pub trait LeaseFaults<AccountId> {
	/// The block open lease `lease` started in (`None` if it is not open).
	fn lease_started(lease: LeaseId) -> Option<BlockNumber>;
	/// Close every open lease of `provider` (with `devices`, only those holding one of them) as
	/// `ProviderFault(kind)`: each refunded and compensated from the bond, tenants first, as
	/// `provider_fault` does. Returns the leases closed and the compensation paid.
	fn fault_leases(
		provider: &AccountId,
		devices: Option<&[DeviceId]>,
		kind: FaultKind,
	) -> Result<(u32, Balance), sp_runtime::DispatchError>;
	/// Whether bids need standing and missed censuses fault leases (`require_attestation`).
	fn attestation_required() -> bool;
	/// Weight of [`Self::lease_started`].
	fn lease_started_weight() -> sp_runtime::Weight;
	/// Weight of [`Self::fault_leases`] closing up to `leases` leases.
	fn fault_leases_weight(leases: u32) -> sp_runtime::Weight;
}

/// No lease market: nothing is leased, nothing to fault, standing not required.
impl<AccountId> LeaseFaults<AccountId> for () {
	fn lease_started(_: LeaseId) -> Option<BlockNumber> {
		None
	}
	fn fault_leases(
		_: &AccountId,
		_: Option<&[DeviceId]>,
		_: FaultKind,
	) -> Result<(u32, Balance), sp_runtime::DispatchError> {
		Ok((0, 0))
	}
	fn attestation_required() -> bool {
		false
	}
	fn lease_started_weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
	fn fault_leases_weight(_: u32) -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn reasons_and_filters_read_from_json() {
		let r: CloseReason = serde_json::from_str(r#"{"providerFault":"unreachable"}"#).unwrap();
		assert_eq!(r, CloseReason::ProviderFault(FaultKind::Unreachable));
		let f: LeaseFilter<u64> = serde_json::from_str(r#"{"status":"low"}"#).unwrap();
		assert_eq!(f, LeaseFilter { status: Some(LeaseStatus::Low), ..Default::default() });
	}
}
