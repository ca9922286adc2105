//! The price oracle: which prices minting and redeeming may use, and each block's verdict.

use crate::{math, pallet::*, types::*, WeightInfo};
use alloc::vec::Vec;
use crucible_primitives::{
	bme::{Price, TripReason},
	BlockNumber,
};
use frame_support::pallet_prelude::*;

impl<T: Config> Pallet<T> {
	/// (TWAP, median) when minting may use them; the typed reason otherwise.
	pub(crate) fn usable_prices() -> Result<(Price, Price), Error<T>> {
		Self::prices_of(&Oracle::<T>::get())
	}

	/// (TWAP, median) of `oracle`, when it may price.
	pub(crate) fn prices_of(oracle: &OracleState) -> Result<(Price, Price), Error<T>> {
		match (oracle.health, oracle.median, Self::twap(oracle)) {
			(Health::Live, Some(median), Some(twap)) => Ok((twap, median)),
			(Health::Tripped { reason: TripReason::Stale, .. }, ..) => Err(Error::OracleStale),
			_ => Err(Error::OraclePaused),
		}
	}

	/// The price a boundary redeems at: the highest of the TWAP, the median and the TWAP at
	/// the previous boundary (the look-back). A push of the pool price in the last window
	/// before a boundary moves the first two but not the third, so it cannot price the
	/// boundary below the previous TWAP; in a rising market, whose previous TWAP is lower, it
	/// can still lower the price that far (README, "the boundary push", bounds what that
	/// gains). An honest redeemer pays for the look-back in a falling market, by at most
	/// `max_twap_move` (a larger move defers the boundary).
	pub(crate) fn redeem_price(twap: Price, median: Price, previous: Option<Price>) -> Price {
		twap.max(median).max(previous.unwrap_or_default())
	}

	/// The TWAP, when a full clean window has passed.
	pub(crate) fn twap(oracle: &OracleState) -> Option<Price> {
		let window = OracleConfig::<T>::get().twap_window;
		(oracle.run >= window && window > 0)
			.then(|| Price::from_inner(oracle.sum / u128::from(window)))
	}

	/// This block's oracle verdict and TWAP sample.
	pub(crate) fn tick_oracle(now: BlockNumber) -> Weight {
		let params = OracleConfig::<T>::get();
		let feeders = Feeders::<T>::get();
		let feeds: Vec<Option<Feed>> = feeders.iter().map(|r| r.feed).collect();
		let verdict = math::aggregate(&feeds, now, &params);
		let mut oracle = Oracle::<T>::get();
		match verdict.result {
			Err(reason) => {
				let already =
					matches!(oracle.health, Health::Tripped { reason: r, .. } if r == reason);
				if !already {
					oracle.health = Health::Tripped { reason, since: now };
					Self::deposit_event(Event::OracleTripped { reason });
				}
				oracle.median = None;
				oracle.run = 0;
				oracle.sum = 0;
			}
			Ok(price) => {
				let window = params.twap_window.max(1);
				let slot = now % window;
				if oracle.run >= window {
					oracle.sum = oracle.sum.saturating_sub(TwapSamples::<T>::get(slot));
				}
				TwapSamples::<T>::insert(slot, price.into_inner());
				oracle.sum = oracle.sum.saturating_add(price.into_inner());
				oracle.run = oracle.run.saturating_add(1).min(window);
				oracle.median = Some(price);
				oracle.oldest_feed = feeds
					.iter()
					.enumerate()
					.filter(|(i, _)| verdict.fresh[*i] && !verdict.dropped[*i])
					.filter_map(|(_, f)| f.map(|f| f.at))
					.min()
					.unwrap_or(now);
				let reason = match oracle.health {
					Health::Tripped { reason, .. } | Health::Recovering { reason } => Some(reason),
					Health::Live => None,
				};
				if oracle.run >= window {
					if reason.is_some() {
						let twap = Price::from_inner(oracle.sum / u128::from(window));
						Self::deposit_event(Event::OracleLive { twap });
					}
					oracle.health = Health::Live;
				} else {
					oracle.health =
						Health::Recovering { reason: reason.unwrap_or(TripReason::Stale) };
				}
			}
		}
		Oracle::<T>::put(oracle);
		T::WeightInfo::oracle_tick(feeders.len() as u32)
	}
}
