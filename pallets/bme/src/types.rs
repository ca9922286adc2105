//! Storage and parameter types of the BME pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	bme::{amount, Credits, EpochIndex, EpochSummary, Price, TripReason, CREDIT},
	currency::CRU,
	Balance, BlockNumber,
};
use frame_support::{traits::ConstU32, BoundedVec};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::{PerThing, Perbill, Permill};

/// Parameters of the price oracle. Governed by the oracle-admin track.
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OracleParams {
	/// Registered feeders a live price needs.
	pub min_feeders: u32,
	/// Fresh feeds a live price needs.
	pub min_fresh: u32,
	/// A feed older than this many blocks is stale.
	pub staleness: BlockNumber,
	/// A fresh feed further than this from the median is dropped.
	pub max_deviation: Permill,
	/// Most fresh feeds dropped as outliers with the price still live (k): one more trips the
	/// breaker (`Spread`). At most (`min_fresh` − 1) / 2, so that k dropped feeds can never be
	/// a majority of those a price needs.
	pub max_outliers: u32,
	/// The breaker trips, and the boundary is deferred, when the TWAP moved more than this
	/// since the previous boundary.
	pub max_twap_move: Permill,
	/// Blocks of the TWAP window; also the clean window that must pass after a trip, and how
	/// long a redemption request waits at least.
	pub twap_window: BlockNumber,
}

impl OracleParams {
	/// A public network: 5 feeders, 3 fresh within 50 blocks, feeds 1.5% from the median
	/// dropped, at most 1 of them, 15% move, a 300-block (30-minute) window.
	pub const fn production() -> Self {
		OracleParams {
			min_feeders: 5,
			min_fresh: 3,
			staleness: 50,
			max_deviation: Permill::from_parts(15_000),
			max_outliers: 1,
			max_twap_move: Permill::from_parts(150_000),
			twap_window: 300,
		}
	}

	/// A development chain: one feeder (so no outlier), a feed fresh for 10 blocks, a 3-block
	/// window.
	pub const fn development() -> Self {
		OracleParams {
			min_feeders: 1,
			min_fresh: 1,
			max_outliers: 0,
			staleness: 10,
			twap_window: 3,
			..Self::production()
		}
	}

	/// Whether these parameters are usable with at most `max_feeders` feeders and a TWAP
	/// window of at most `max_window` blocks.
	pub fn is_valid(&self, max_feeders: u32, max_window: u32) -> bool {
		self.min_fresh >= 1
			&& self.max_outliers.saturating_mul(2).saturating_add(1) <= self.min_fresh
			&& self.min_feeders >= self.min_fresh
			&& self.min_feeders <= max_feeders
			&& self.staleness >= 1
			&& self.twap_window >= 1
			&& self.twap_window <= max_window
			&& !self.max_twap_move.is_zero()
	}
}

impl Default for OracleParams {
	fn default() -> Self {
		Self::production()
	}
}

/// Parameters of minting and redeeming credits. Governed by the general-admin track.
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MarketParams {
	/// Taken off the mid price when minting credits (burned for good, never reminted).
	pub spread: Permill,
	/// Burned off every payment from an escrow to a provider (in credits).
	pub take_rate: Permill,
	/// The fewest credits one `mint_credits` may yield.
	pub min_mint: Credits,
	/// The fewest credits one `redeem` may queue.
	pub min_redeem: Credits,
	/// A boundary pays at most this multiple of the moving average of CRU paid per boundary
	/// (at most 5).
	pub cap_multiple: u32,
	/// ... but never less than this (in CRU plancks), so a young chain can redeem at all.
	#[serde(with = "amount")]
	pub cap_floor: Balance,
	/// Blocks a mint waits before it settles, at the lower of its quote and the mint price
	/// then (at most [`MAX_MINT_DELAY`]; 0 settles in the call). Longer than the oracle needs
	/// to reflect a move, so a mint on a stale price after a jump gets the new price.
	pub mint_delay: BlockNumber,
}

/// The longest mint delay governance may set (an hour of 6-second blocks).
pub const MAX_MINT_DELAY: BlockNumber = 600;

/// The highest redemption-cap floor governance may set: 100x the standard floor. Above it
/// the floor, not the payout history, would set every boundary's cap.
pub const MAX_CAP_FLOOR: Balance = 1_000_000 * CRU;

/// Why governed market and oracle parameters are refused (each a pallet error).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParamsError {
	/// `mint_delay` is 0: a mint would settle in its own call, at a price that may not have
	/// caught a jump yet, and lag arbitrage pays.
	MintDelayZero,
	/// `cap_floor` is above [`MAX_CAP_FLOOR`].
	CapFloorTooHigh,
	/// A colluding feeder majority could move the price by b ≈ `max_deviation` /
	/// (1 − `max_deviation`) up for a mint and down for a redemption: the round trip gains
	/// unless (1 + b) / (1 − b) < 1 / ((1 − spread)(1 − take_rate)).
	CollusionMarginTooThin,
}

/// Whether a mint-redeem round trip at prices skewed by a colluding majority loses: with
/// d = `max_deviation` and b = d / (1 − d), (1 + b) / (1 − b) = 1 / (1 − 2d), so the condition
/// (1 + b) / (1 − b) < 1 / ((1 − s)(1 − τ)) is (1 − s)(1 − τ) < 1 − 2d, checked exactly in
/// parts per million.
pub fn collusion_margin_holds(oracle: &OracleParams, market: &MarketParams) -> bool {
	let million = u128::from(Permill::ACCURACY);
	let d = u128::from(oracle.max_deviation.deconstruct());
	let kept = (million - u128::from(market.spread.deconstruct()))
		* (million - u128::from(market.take_rate.deconstruct()));
	2 * d < million && kept < (million - 2 * d) * million
}

/// Checks what governance sets with `set_market_params`, beyond [`MarketParams::is_valid`],
/// against the stored oracle parameters (`set_oracle_params` checks the collusion margin
/// against the stored market). Genesis checks only the structural rules, so mocks and the
/// simulator's mint-delay-0 control run.
pub fn check_governed(oracle: &OracleParams, market: &MarketParams) -> Result<(), ParamsError> {
	if market.mint_delay == 0 {
		return Err(ParamsError::MintDelayZero);
	}
	if market.cap_floor > MAX_CAP_FLOOR {
		return Err(ParamsError::CapFloorTooHigh);
	}
	if !collusion_margin_holds(oracle, market) {
		return Err(ParamsError::CollusionMarginTooThin);
	}
	Ok(())
}

impl MarketParams {
	/// 50 bp spread, 5% take-rate, 10-credit minimums, 5x cap with a 10,000 CRU floor, mints
	/// settling 10 blocks (a minute) later.
	pub const fn standard() -> Self {
		MarketParams {
			spread: Permill::from_parts(5_000),
			take_rate: Permill::from_parts(50_000),
			min_mint: Credits(10 * CREDIT),
			min_redeem: Credits(10 * CREDIT),
			cap_multiple: 5,
			cap_floor: 10_000 * CRU,
			mint_delay: 10,
		}
	}

	/// Whether these parameters are usable.
	pub fn is_valid(&self) -> bool {
		self.spread < Permill::one()
			&& self.take_rate < Permill::one()
			&& !self.min_mint.is_zero()
			&& !self.min_redeem.is_zero()
			&& (1..=5).contains(&self.cap_multiple)
			&& self.mint_delay <= MAX_MINT_DELAY
	}
}

impl Default for MarketParams {
	fn default() -> Self {
		Self::standard()
	}
}

/// Parameters of the epochs and the emission schedule. Governed by the general-admin track.
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
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmissionParams {
	/// Blocks per epoch (takes effect from the next epoch).
	pub epoch_length: BlockNumber,
	/// Scheduled emission of epoch 0, in CRU plancks.
	#[serde(with = "amount")]
	pub initial: Balance,
	/// Each epoch's schedule is the previous one's times (1 − decay).
	pub decay: Perbill,
	/// Share of the schedule for providers (by earned credits, capped).
	pub providers: Perbill,
	/// Share of the schedule accrued to the subnet pot; the rest goes to the treasury.
	pub subnets: Perbill,
	/// k in the provider cap k x (spread + take-rate) x moving average of earned credits;
	/// below one, so that leasing to oneself costs more than it earns.
	pub provider_cap_k: Permill,
	/// The most the subnet pot holds; accruals above it are withheld.
	#[serde(with = "amount")]
	pub subnet_pot_cap: Balance,
}

impl EmissionParams {
	/// Hourly epochs (600 blocks), 100 CRU per epoch halving yearly, 50% providers, 30%
	/// subnets, 20% treasury, k = 0.5, a 1,000,000 CRU subnet pot.
	pub const fn production() -> Self {
		EmissionParams {
			epoch_length: 600,
			initial: 100 * CRU,
			// 1 − 0.5^(1/8760): halves after 8,760 hourly epochs.
			decay: Perbill::from_parts(79_123),
			providers: Perbill::from_percent(50),
			subnets: Perbill::from_percent(30),
			provider_cap_k: Permill::from_percent(50),
			subnet_pot_cap: 1_000_000 * CRU,
		}
	}

	/// A development chain: 10-block epochs, otherwise the same.
	pub const fn development() -> Self {
		EmissionParams { epoch_length: 10, ..Self::production() }
	}

	/// Whether these parameters are usable.
	pub fn is_valid(&self) -> bool {
		self.epoch_length >= 1
			&& self.providers.deconstruct().saturating_add(self.subnets.deconstruct())
				<= Perbill::one().deconstruct()
			&& self.provider_cap_k < Permill::one()
	}
}

impl Default for EmissionParams {
	fn default() -> Self {
		Self::production()
	}
}

/// A mint waiting for its settlement block: the CRU it holds and the mid price it was quoted.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct PendingMint<AccountId> {
	/// The buyer.
	pub who: AccountId,
	/// CRU plancks on hold (the quote's cost).
	pub cru: Balance,
	/// The mid price (min(TWAP, median)) of the quote: the settlement's mid price is at most
	/// this (its spread is the one in force then).
	pub quoted: Price,
	/// The fewest credits the buyer accepts; fewer refunds the mint.
	pub min_credits: Credits,
	/// The block it was due to settle in. While the oracle cannot price, or its median still
	/// uses a feed from before the request, it waits block by block, for at most two TWAP
	/// windows past this, then is refunded.
	pub due: BlockNumber,
	/// The block of the request.
	pub requested_at: BlockNumber,
}

/// Why a pending mint was refunded instead of settled.
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
pub enum MintRefund {
	/// For two TWAP windows after the settlement block the oracle could not price (stale,
	/// tripped or recovering) or its median still used a feed from before the request.
	OracleUnavailable,
	/// The oracle could not price at the settlement block and the next block's queue, where
	/// the mint would have waited, was full.
	QueueFull,
	/// At the settlement price the CRU buys fewer credits than the buyer's minimum or the
	/// minimum mint.
	TooFewCredits,
	/// A lock or freeze (a conviction vote) came to cover the held CRU after the request, so
	/// it could not be burned.
	Frozen,
	/// The hold was gone (cannot happen while the invariants hold).
	HoldMissing,
}

/// A feeder's latest price.
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
pub struct Feed {
	/// US dollars per CRU.
	pub price: Price,
	/// The block it was submitted in.
	pub at: BlockNumber,
}

/// A registered feeder. Feeds are keyed by the feeder's account, so a feeder run by an
/// off-chain worker (signing with a keystore key whose account governance registers) uses the
/// same record.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct FeederRecord<AccountId> {
	/// The feeder's account.
	pub who: AccountId,
	/// Its latest feed.
	pub feed: Option<Feed>,
}

/// The breaker's state.
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
pub enum Health {
	/// No live price since block `since`.
	Tripped {
		/// Why.
		reason: TripReason,
		/// Since when.
		since: BlockNumber,
	},
	/// A live price, but fewer than a TWAP window of clean blocks since the last trip.
	Recovering {
		/// Why it last tripped.
		reason: TripReason,
	},
	/// A live price and a full clean TWAP window.
	Live,
}

/// The oracle, as of this block's `on_initialize`.
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
pub struct OracleState {
	/// The breaker.
	pub health: Health,
	/// This block's median, when not tripped.
	pub median: Option<Price>,
	/// Consecutive clean blocks, counted up to the TWAP window.
	pub run: BlockNumber,
	/// Sum of the inner values of the last `run` medians.
	pub sum: u128,
	/// The TWAP at the previous boundary, for the large-move breaker.
	pub reference: Option<Price>,
	/// The block of the oldest feed this block's median used (fresh and not dropped): a
	/// pending mint settles only on a median whose every feed came after its request.
	pub oldest_feed: BlockNumber,
}

impl Default for OracleState {
	fn default() -> Self {
		OracleState {
			health: Health::Tripped { reason: TripReason::TooFewFeeders, since: 0 },
			median: None,
			run: 0,
			sum: 0,
			reference: None,
			oldest_feed: 0,
		}
	}
}

/// An account's credit balances.
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
pub struct CreditAccount {
	/// Spendable on leases, never redeemable.
	pub purchased: Credits,
	/// Paid by leases, redeemable.
	pub earned: Credits,
}

/// Credits locked for a lease.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Escrow<AccountId> {
	/// The tenant whose purchased credits these were.
	pub owner: AccountId,
	/// Credits left.
	pub amount: Credits,
}

/// An account's open redemption request.
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
pub struct Request {
	/// Credits waiting.
	pub credits: Credits,
	/// The block of the last top-up; the whole request waits for a window starting after it.
	pub requested_at: BlockNumber,
	/// The epoch whose boundary is the first it may execute at.
	pub round: EpochIndex,
}

/// Credits of the requests that first may execute at one epoch's boundary.
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
pub struct Round {
	/// Their credits.
	pub credits: Credits,
	/// The latest block at which one of them ripens (its request block + the TWAP window).
	pub ripe_at: BlockNumber,
}

/// The running epoch.
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
pub struct EpochState {
	/// Its index.
	pub index: EpochIndex,
	/// Its first block.
	pub start: BlockNumber,
	/// Its length, fixed when it starts.
	pub length: BlockNumber,
	/// CRU burned by mints during it (`burned_for_credits`, `spread_burned`).
	pub burned_for_credits: Balance,
	/// Spread burned during it.
	pub spread_burned: Balance,
	/// Credits minted during it.
	pub credits_minted: Credits,
	/// Credits earned by providers during it.
	pub credits_earned: Credits,
	/// Credits burned by the take-rate during it.
	pub take_rate_burned: Credits,
	/// CRU the root track added to issuance during it, as noted.
	pub adjusted_up: Balance,
	/// CRU the root track took from issuance during it, as noted.
	pub adjusted_down: Balance,
}

/// A round's key in [`crate::Queue`]: its index big-endian, so keys sort by round.
pub type RoundKey = [u8; 4];

/// The [`crate::Queue`] key of `round`.
pub fn round_key(round: EpochIndex) -> RoundKey {
	round.to_be_bytes()
}

/// Longest reason of a noted issuance adjustment, in bytes.
pub const MAX_ADJUSTMENT_REASON: u32 = 128;

/// Moving averages over this many epochs (7 days of hourly epochs).
pub const AVERAGE_EPOCHS: u32 = 168;
/// Epoch summaries kept (30 days of hourly epochs).
pub const SUMMARY_EPOCHS: u32 = 720;

/// One past epoch, for the moving averages.
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
pub struct PastEpoch {
	/// CRU paid to redemptions at its boundary.
	pub paid: Balance,
	/// Credits earned by providers during it.
	pub earned: Credits,
}

/// A storage key to resume iteration from.
pub type Cursor = BoundedVec<u8, ConstU32<128>>;

/// Where the boundary batch is.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Phase {
	/// Paying eligible redemption requests, resuming after the cursor's key.
	Redeem(Option<Cursor>),
	/// Paying (or, for a deferred boundary, clearing) the providers' earned-credit shares.
	Emit,
	/// Remainders, the remint-pool cap, the summary.
	Finish,
}

/// A boundary in progress.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct Batch {
	/// The summary being written.
	pub summary: EpochSummary,
	/// Where it is.
	pub phase: Phase,
	/// The redeem price (executing boundaries only).
	pub price: Option<Price>,
	/// `Some((cap, need))`: every eligible request is filled by cap/need; `None`: in full.
	pub fill: Option<(Balance, Balance)>,
	/// CRU the boundary may still pay to redemptions.
	pub cap_left: Balance,
	/// Remint pool still available to this boundary's redemptions.
	pub pool_left: Balance,
	/// CRU for providers, shared by their earned credits in the epoch.
	pub provider_pot: Balance,
	/// Of which paid so far.
	pub pot_paid: Balance,
}
