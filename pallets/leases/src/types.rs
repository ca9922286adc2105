//! The market's stored types: parameters, orders, bids, leases, the sweep's tasks.

use crate::meter::Meter;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	bme::Credits,
	currency::CRU,
	providers::{DeviceId, GpuModelId, LeaseId, OrderId},
	time::{DAYS, HOURS},
	Balance, BlockNumber,
};
use frame_support::{
	traits::Get, BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

pub use crucible_primitives::leases::{CloseReason, FaultKind, OrderCloseReason, Region};

/// The market's governed parameters.
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
pub struct LeaseParams {
	/// CRU held from a provider per bid, released when the bid is decided.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub bid_deposit: Balance,
	/// Most bids per order (at most the runtime's storage bound).
	pub max_bids: u32,
	/// Shortest bid window, blocks.
	pub min_bid_window: BlockNumber,
	/// Longest bid window, blocks (devices offered in a bid stay reserved this long at most).
	pub max_bid_window: BlockNumber,
	/// Longest lease, blocks.
	pub max_duration: BlockNumber,
	/// A lease whose escrow runs dry within this many blocks is "running low".
	pub low_funds_horizon: BlockNumber,
	/// CRU slashed from a provider's bond per GPU of a lease it faults, paid to the tenant.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub fault_compensation_per_gpu: Balance,
}

impl LeaseParams {
	/// A public network: 10 CRU per bid, 16 bids per order, a bid window of one minute to one
	/// hour, leases up to 90 days, a one-hour low-funds warning, 50 CRU per GPU for a fault.
	pub const fn production() -> Self {
		Self {
			bid_deposit: 10 * CRU,
			max_bids: 16,
			min_bid_window: 10,
			max_bid_window: HOURS,
			max_duration: 90 * DAYS,
			low_funds_horizon: HOURS,
			fault_compensation_per_gpu: 50 * CRU,
		}
	}

	/// Development chains: bid windows from two blocks and a ten-block low-funds warning.
	pub const fn development() -> Self {
		Self { min_bid_window: 2, low_funds_horizon: 10, ..Self::production() }
	}

	/// Whether the parameters make sense under the storage bound on bids.
	pub fn is_valid(&self, max_bids_bound: u32) -> bool {
		self.max_bids > 0
			&& self.max_bids <= max_bids_bound
			&& self.min_bid_window > 0
			&& self.min_bid_window <= self.max_bid_window
			&& self.max_duration > 0
	}
}

impl Default for LeaseParams {
	fn default() -> Self {
		Self::production()
	}
}

/// What a tenant asks for.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxModels))]
pub struct Request<MaxModels: Get<u32>> {
	/// Catalogue models the tenant accepts (distinct).
	pub models: BoundedVec<GpuModelId, MaxModels>,
	/// Least memory per GPU, MiB.
	pub min_vram_mib: u32,
	/// GPUs wanted, all from one provider.
	pub gpus: u32,
	/// The provider's region, if the tenant cares.
	pub region: Option<Region>,
}

/// An open order: bidding runs until `bid_until`.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxModels))]
// The `NoBound` derives restate the account bound at each field.
#[allow(clippy::multiple_bound_locations)]
pub struct Order<AccountId: Clone + Eq + core::fmt::Debug, MaxModels: Get<u32>> {
	/// Who ordered and pays.
	pub tenant: AccountId,
	/// What is asked for.
	pub request: Request<MaxModels>,
	/// Highest acceptable price, credits per block.
	pub max_price: Credits,
	/// Lease length, blocks.
	pub duration: BlockNumber,
	/// Credits locked in the order's escrow.
	pub escrow: Credits,
	/// When the order was placed.
	pub created_at: BlockNumber,
	/// The first block at which no bid is taken; the best bid wins then.
	pub bid_until: BlockNumber,
}

/// A provider's bid on an order.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxGpus))]
// The `NoBound` derives restate the account bound at each field.
#[allow(clippy::multiple_bound_locations)]
pub struct Bid<AccountId: Clone + Eq + core::fmt::Debug, MaxGpus: Get<u32>> {
	/// The bidder.
	pub provider: AccountId,
	/// Credits per block.
	pub price: Credits,
	/// The exact devices offered (reserved while the bid stands).
	pub devices: BoundedVec<DeviceId, MaxGpus>,
	/// CRU held for the bid.
	pub deposit: Balance,
	/// When the bid was placed.
	pub placed_at: BlockNumber,
}

/// A running lease. Its id is the id of the order it came from, and so is its escrow's.
#[derive(
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	DebugNoBound,
)]
#[scale_info(skip_type_params(MaxGpus))]
// The `NoBound` derives restate the account bound at each field.
#[allow(clippy::multiple_bound_locations)]
pub struct Lease<AccountId: Clone + Eq + core::fmt::Debug, MaxGpus: Get<u32>> {
	/// Who pays.
	pub tenant: AccountId,
	/// Who serves and is paid.
	pub provider: AccountId,
	/// The leased devices.
	pub devices: BoundedVec<DeviceId, MaxGpus>,
	/// The block the lease started.
	pub start: BlockNumber,
	/// Price, term, blocks paid and credits left in escrow.
	pub meter: Meter,
	/// Settled to the provider, not yet withdrawn (still in the escrow).
	pub accrued: Credits,
	/// Withdrawn by the provider (its earned credits plus the take-rate burned).
	pub withdrawn: Credits,
	/// Credits put into the escrow: the order's escrow plus every top-up.
	pub funded: Credits,
	/// The block of the lease's one entry in the sweep's agenda.
	pub check_at: BlockNumber,
	/// Whether `LeaseLowFunds` was emitted since the escrow last had enough.
	pub low_warned: bool,
}

/// What the sweep does at a block.
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
pub enum Task {
	/// The order's bid window ends: the best bid wins, or the order expires.
	CloseBidding(OrderId),
	/// Look at the lease: warn when it runs low, close it when due.
	CheckLease(LeaseId),
}

/// A lease's price as recorded when it started, for the market's median prices.
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
pub struct PricePoint {
	/// When the lease started.
	pub at: BlockNumber,
	/// A model among its devices.
	pub model: GpuModelId,
	/// Credits per GPU-hour: price per block × blocks per hour / GPUs (rounded down).
	pub per_gpu_hour: Credits,
}

/// Credits per GPU-hour of `price` credits per block for `gpus` GPUs, rounded down.
pub fn per_gpu_hour(price: Credits, gpus: u32) -> Credits {
	Credits(price.0.saturating_mul(u128::from(HOURS)) / u128::from(gpus.max(1)))
}
