//! The market's stored types: parameters, orders, bids, leases, the sweep's tasks.

use crate::meter::Meter;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	bme::Credits,
	currency::CRU,
	providers::{DeviceId, GpuModelId},
	time::{DAYS, HOURS},
	Balance, BlockNumber,
};
use frame_support::{
	traits::{ConstU32, Get},
	BoundedVec, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound,
};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};

pub use crucible_primitives::leases::{CloseReason, FaultKind, OrderCloseReason, Region};

/// How many blocks on from its due block a task may be placed when the blocks between are
/// full (`SweepPerBlock` tasks each); past that, placing fails with `AgendaFull`.
pub const AGENDA_SEARCH: u32 = 32;
/// Times a failing sweep task is put back on the agenda before it is parked.
pub const MAX_TASK_RETRIES: u8 = 3;
/// Blocks between a failed attempt of a sweep task and its next.
pub const RETRY_DELAY: BlockNumber = 10;
/// Most parked sweep tasks (while full, a failing task keeps being retried instead).
pub const MAX_STUCK_TASKS: u32 = 64;

/// The longest low-funds horizon governance may set: a week.
pub const MAX_LOW_FUNDS_HORIZON: BlockNumber = 7 * DAYS;
/// Lease starts whose prices each model keeps for its median (the latest ones).
pub const RECENT_PRICES: u32 = 32;
/// Hours of lease-start counts each model keeps.
pub const DAY_HOURS: u32 = 24;

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
	/// A lease whose escrow runs dry within this many blocks is "running low" (at most
	/// [`MAX_LOW_FUNDS_HORIZON`]).
	pub low_funds_horizon: BlockNumber,
	/// CRU slashed from a provider's bond per GPU of a lease it faults, paid to the tenant.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub fault_compensation_per_gpu: Balance,
	/// CRU held from a tenant per open order, released when the order closes or its lease
	/// starts: an order reserves agenda room and the market's attention, so it is not free.
	#[serde(with = "crucible_primitives::bme::amount")]
	pub order_deposit: Balance,
	/// A lease that ends without a fault counts as completed in its provider's reputation
	/// only if it ran at least this many blocks...
	pub reputation_min_blocks: BlockNumber,
	/// ...and paid the provider at least this many credits (before the take-rate). A provider
	/// leasing to itself through a second account pays the take-rate on this for each point.
	pub reputation_min_paid: Credits,
}

impl LeaseParams {
	/// A public network: 10 CRU per bid and per order, 16 bids per order, a bid window of one
	/// minute to one hour, leases up to 90 days, a one-hour low-funds warning, 50 CRU per GPU
	/// for a fault; a lease counts for reputation from one hour and 10 credits.
	pub const fn production() -> Self {
		Self {
			bid_deposit: 10 * CRU,
			max_bids: 16,
			min_bid_window: 10,
			max_bid_window: HOURS,
			max_duration: 90 * DAYS,
			low_funds_horizon: HOURS,
			fault_compensation_per_gpu: 50 * CRU,
			order_deposit: 10 * CRU,
			reputation_min_blocks: HOURS,
			reputation_min_paid: Credits::from_credits(10),
		}
	}

	/// Development chains: bid windows from two blocks, a ten-block low-funds warning, and
	/// reputation from ten blocks and one credit.
	pub const fn development() -> Self {
		Self {
			min_bid_window: 2,
			low_funds_horizon: 10,
			reputation_min_blocks: 10,
			reputation_min_paid: Credits::from_credits(1),
			..Self::production()
		}
	}

	/// Whether the parameters make sense under the storage bound on bids.
	pub fn is_valid(&self, max_bids_bound: u32) -> bool {
		self.max_bids > 0
			&& self.max_bids <= max_bids_bound
			&& self.min_bid_window > 0
			&& self.min_bid_window <= self.max_bid_window
			&& self.max_duration > 0
			&& self.low_funds_horizon <= MAX_LOW_FUNDS_HORIZON
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
	/// CRU held from the tenant for the order.
	pub deposit: Balance,
	/// When the order was placed.
	pub created_at: BlockNumber,
	/// The first block at which no bid is taken; the best bid wins then.
	pub bid_until: BlockNumber,
	/// The block of the order's one agenda entry: `bid_until`, or the first block after it
	/// with room on the agenda.
	pub close_at: BlockNumber,
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
	/// The catalogue model of each offered device, in the same order.
	pub models: BoundedVec<GpuModelId, MaxGpus>,
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
pub use crucible_primitives::leases::SweepTask as Task;

/// A sweep task parked after failing every attempt.
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
pub struct StuckTask {
	/// The block it was parked at.
	pub since: BlockNumber,
	/// Its last error.
	pub error: sp_runtime::DispatchError,
}

/// One model's lease starts over the last day, kept as they happen so that the market summary
/// reads one entry per model and sorts at most [`RECENT_PRICES`] prices.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct ModelDay {
	/// Starts per hour: slot `h % 24` holds `(h, starts in hour h)`, hour `h` being blocks
	/// `h × HOURS ..`; a slot of an older hour is reset when its hour comes round again.
	pub hours: [(u32, u32); DAY_HOURS as usize],
	/// The latest starts: (block, credits per GPU-hour), oldest first.
	pub recent: BoundedVec<(BlockNumber, Credits), ConstU32<RECENT_PRICES>>,
}

impl ModelDay {
	/// Count a lease start at block `now` at `per_gpu_hour`.
	pub fn record(&mut self, now: BlockNumber, per_gpu_hour: Credits) {
		let hour = now / HOURS;
		let slot = &mut self.hours[(hour % DAY_HOURS) as usize];
		if slot.0 != hour {
			*slot = (hour, 0);
		}
		slot.1 = slot.1.saturating_add(1);
		if self.recent.is_full() {
			self.recent.remove(0);
		}
		// Cannot fail: a slot was just made free.
		let _ = self.recent.try_push((now, per_gpu_hour));
	}

	/// Starts in the hour of block `now` and the 23 hours before it.
	pub fn starts(&self, now: BlockNumber) -> u32 {
		let hour = now / HOURS;
		self.hours
			.iter()
			.filter(|(h, _)| *h <= hour && hour - *h < DAY_HOURS)
			.fold(0u32, |sum, (_, n)| sum.saturating_add(*n))
	}

	/// The median (the lower middle of an even count) of the kept prices of starts at or after
	/// block `since`.
	pub fn median(&self, since: BlockNumber) -> Option<Credits> {
		let mut prices: alloc::vec::Vec<Credits> =
			self.recent.iter().filter(|(at, _)| *at >= since).map(|(_, p)| *p).collect();
		prices.sort_unstable();
		(!prices.is_empty()).then(|| prices[(prices.len() - 1) / 2])
	}
}

/// Credits per GPU-hour of `price` credits per block for `gpus` GPUs, rounded down.
pub fn per_gpu_hour(price: Credits, gpus: u32) -> Credits {
	Credits(price.0.saturating_mul(u128::from(HOURS)) / u128::from(gpus.max(1)))
}
