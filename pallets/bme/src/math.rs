//! The BME's arithmetic as plain functions over plain values: price conversions, the mint
//! quote, the oracle's aggregate, the emission schedule and the caps. The pallet calls these
//! and nothing else for its numbers, so that they are tested (and simulated) on their own.
//!
//! Rounding: what is paid out is floored, what is burned is ceiled. Every product of two
//! large numbers goes through `multiply_by_rational_with_rounding`, which works in 256 bits,
//! so nothing overflows at any supply that fits a `u128`.

use crate::types::{Feed, OracleParams};
use alloc::vec::Vec;
use crucible_primitives::{
	bme::{Credits, EpochIndex, Price, TripReason},
	Balance, BlockNumber,
};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding as mul_div,
	traits::{Saturating, Zero},
	PerThing, Perbill, Permill, Perquintill, Rounding,
};

/// Plancks (10^-12 CRU) times a price's inner value (10^-18 USD per CRU), divided by this, is
/// micro-credits (10^-6 USD).
const SCALE: u128 = 1_000_000_000_000_000_000_000_000;

/// The credits `cru` plancks are worth at `price`, rounded as asked. `None` on overflow.
pub fn cru_to_credits(cru: Balance, price: Price, rounding: Rounding) -> Option<Credits> {
	mul_div(cru, price.into_inner(), SCALE, rounding).map(Credits)
}

/// The plancks `credits` are worth at `price`, rounded as asked. `None` on overflow or a zero
/// price.
pub fn credits_to_cru(credits: Credits, price: Price, rounding: Rounding) -> Option<Balance> {
	if price.is_zero() {
		return None;
	}
	mul_div(credits.0, SCALE, price.into_inner(), rounding)
}

/// `price` less `spread`, rounded down.
pub fn less_spread(price: Price, spread: Permill) -> Price {
	Price::from_inner(spread.left_from_one().mul_floor(price.into_inner()))
}

/// What burning up to `cru` plancks for credits does.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct MintQuote {
	/// Credits minted: `cru` at the mint price, floored.
	pub credits: Credits,
	/// Plancks burned: the credits at the mint price, ceiled (never more than `cru`; the rest
	/// stays with the buyer).
	pub cost: Balance,
	/// Of the cost, the credits' worth at the mid price, floored: the remint pool's inflow.
	pub to_pool: Balance,
	/// The rest of the cost: the spread, burned for good.
	pub spread: Balance,
	/// The mint price.
	pub price: Price,
}

/// Quotes `mint_credits(cru)` at mid price `mid` (min(TWAP, median)). `None` on overflow or a
/// zero price. A quote with zero credits costs nothing.
pub fn quote_mint(cru: Balance, mid: Price, spread: Permill) -> Option<MintQuote> {
	let price = less_spread(mid, spread);
	let credits = cru_to_credits(cru, price, Rounding::Down)?;
	if credits.is_zero() {
		return Some(MintQuote { price, ..Default::default() });
	}
	let cost = credits_to_cru(credits, price, Rounding::Up)?;
	let to_pool = credits_to_cru(credits, mid, Rounding::Down)?.min(cost);
	Some(MintQuote { credits, cost, to_pool, spread: cost - to_pool, price })
}

/// The median of sorted prices (the mean of the middle two for an even count, floored).
fn median(sorted: &[Price]) -> Option<Price> {
	let n = sorted.len();
	if n == 0 {
		return None;
	}
	if n % 2 == 1 {
		return Some(sorted[n / 2]);
	}
	let (a, b) = (sorted[n / 2 - 1].into_inner(), sorted[n / 2].into_inner());
	Some(Price::from_inner(a / 2 + b / 2 + (a % 2 + b % 2) / 2))
}

/// The oracle's verdict for one block, with a flag pair per feeder.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Aggregate {
	/// The price, or why there is none.
	pub result: Result<Price, TripReason>,
	/// Per feeder: whether its feed is fresh.
	pub fresh: Vec<bool>,
	/// Per feeder: whether its fresh feed was dropped as an outlier.
	pub dropped: Vec<bool>,
}

/// Aggregates the feeders' latest feeds at block `now`. The fresh feeds (age at most
/// `staleness`) have a median m; each fresh feed further than `max_deviation` from m is
/// dropped; the price is the median of the rest. Trips on too few feeders, on more than
/// `max_outliers` feeds dropped (`Spread`: so k + 1 feeders together can trip, one bad feeder
/// never does), and on fewer than `min_fresh` feeds left (`Stale`). A colluding majority moves
/// m, and so drops the honest feeds: more than k of them trips.
pub fn aggregate(feeds: &[Option<Feed>], now: BlockNumber, params: &OracleParams) -> Aggregate {
	let fresh: Vec<bool> = feeds
		.iter()
		.map(|f| f.is_some_and(|f| now.saturating_sub(f.at) <= params.staleness))
		.collect();
	let mut dropped = alloc::vec![false; feeds.len()];
	let mut prices: Vec<Price> = feeds
		.iter()
		.zip(&fresh)
		.filter_map(|(f, fresh)| f.filter(|_| *fresh).map(|f| f.price))
		.collect();
	prices.sort();

	if (feeds.len() as u32) < params.min_feeders {
		return Aggregate { result: Err(TripReason::TooFewFeeders), fresh, dropped };
	}
	let Some(mid) = median(&prices) else {
		return Aggregate { result: Err(TripReason::Stale), fresh, dropped };
	};
	let limit = params.max_deviation.mul_floor(mid.into_inner());
	let far = |p: Price| p.into_inner().abs_diff(mid.into_inner()) > limit;
	for (i, f) in feeds.iter().enumerate() {
		if let Some(f) = f.filter(|_| fresh[i]) {
			dropped[i] = far(f.price);
		}
	}
	let kept: Vec<Price> = prices.into_iter().filter(|p| !far(*p)).collect();
	let outliers = dropped.iter().filter(|d| **d).count() as u32;
	let result = if outliers > params.max_outliers {
		Err(TripReason::Spread)
	} else if (kept.len() as u32) < params.min_fresh {
		Err(TripReason::Stale)
	} else {
		// At least `min_fresh` (>= 1) feeds are kept.
		Ok(median(&kept).unwrap_or(mid))
	};
	Aggregate { result, fresh, dropped }
}

/// Whether the TWAP moved more than `max_move` from `reference`.
pub fn moved_too_far(reference: Price, twap: Price, max_move: Permill) -> bool {
	let (a, b) = (reference.into_inner(), twap.into_inner());
	a.abs_diff(b) > max_move.mul_floor(a)
}

/// The scheduled emission of `epoch`: `initial` x (1 − `decay`)^`epoch`, floored.
pub fn scheduled_emission(initial: Balance, decay: Perbill, epoch: EpochIndex) -> Balance {
	let keep = Perquintill::from_rational(
		u64::from(decay.left_from_one().deconstruct()),
		u64::from(Perbill::ACCURACY),
	);
	keep.saturating_pow(epoch as usize).mul_floor(initial)
}

/// How a scheduled emission splits.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct EmissionSplit {
	/// Providers' share, before their cap.
	pub providers: Balance,
	/// Subnet pot's share, before the pot's cap.
	pub subnets: Balance,
	/// The treasury's share: what is left, so that the three sum exactly to the schedule.
	pub treasury: Balance,
}

/// Splits `scheduled` by the providers' and subnets' shares (floored); the treasury gets the
/// rest.
pub fn split_emission(scheduled: Balance, providers: Perbill, subnets: Perbill) -> EmissionSplit {
	let p = providers.mul_floor(scheduled);
	let s = subnets.mul_floor(scheduled).min(scheduled - p);
	EmissionSplit { providers: p, subnets: s, treasury: scheduled - p - s }
}

/// The providers' emission cap: k x (spread + take-rate) x `earned` valued at `price`, where
/// `earned` is the smaller of the moving average of earned credits over past epochs and this
/// epoch's earned credits. With k < 1, providers as a whole never receive more emission than
/// the spread and take-rate their volume burned.
pub fn provider_cap(
	earned: Credits,
	price: Price,
	spread: Permill,
	take_rate: Permill,
	k: Permill,
) -> Balance {
	let value = credits_to_cru(earned, price, Rounding::Down).unwrap_or(0);
	let rate = u128::from(spread.deconstruct()) + u128::from(take_rate.deconstruct());
	let factor = u128::from(k.deconstruct()) * rate;
	let million = u128::from(Permill::ACCURACY);
	mul_div(value, factor, million * million, Rounding::Down).unwrap_or(0)
}

/// The boundary's cap on CRU paid to redemptions: `multiple` x the moving average of CRU paid
/// per boundary (at least `floor`), and at most the remint pool plus the scheduled emission
/// (so new supply never exceeds the schedule).
pub fn redemption_cap(
	average_paid: Balance,
	multiple: u32,
	floor: Balance,
	pool: Balance,
	scheduled: Balance,
) -> Balance {
	average_paid.saturating_mul(multiple.into()).max(floor).min(pool.saturating_add(scheduled))
}

/// The share of `amount` that `part` of `whole` is, floored (`amount` when `part >= whole`).
pub fn pro_rata(amount: u128, part: u128, whole: u128) -> u128 {
	if part >= whole {
		return amount;
	}
	mul_div(amount, part, whole, Rounding::Down).unwrap_or(0)
}

/// The mean of `values` over `window` slots (missing slots count as zero), floored.
pub fn average(values: impl Iterator<Item = u128>, window: u32) -> u128 {
	if window.is_zero() {
		return 0;
	}
	values.fold(0u128, |acc, v| acc.saturating_add(v)) / u128::from(window)
}
