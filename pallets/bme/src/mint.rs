//! Mint settlement: the CRU of a mint waits on hold until its settlement block.

use crate::{math, pallet::*, types::*, WeightInfo};
use alloc::vec::Vec;
use crucible_primitives::{bme::Price, BlockNumber};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::{Fortitude, Precision},
	},
};
use sp_runtime::{traits::Saturating, TokenError};

impl<T: Config> Pallet<T> {
	/// Settles the mints whose settlement block is `now`, at this block's mint price. A mint
	/// waits while the oracle cannot price or its median still uses a feed from before the
	/// request (a feeder may post up to `staleness` blocks apart: a price jump after the
	/// request must be in the price it settles at): in the next block's queue, ahead of
	/// the mints due there, up to two TWAP windows past its due block. What no longer fits
	/// that queue, the youngest first, is refunded.
	pub(crate) fn settle_mints(now: BlockNumber) -> Weight {
		let queue = PendingMints::<T>::take(now);
		if queue.is_empty() {
			return T::WeightInfo::settle_mints(0);
		}
		// Priced as if every mint of the queue settled, plus the move of those that wait.
		let n = queue.len() as u32;
		let oracle = Oracle::<T>::get();
		let mid = Self::prices_of(&oracle).ok().map(|(twap, median)| twap.min(median));
		let market = MarketConfig::<T>::get();
		let patience = OracleConfig::<T>::get().twap_window.saturating_mul(2);
		let mut waiting = Vec::new();
		for pending in queue {
			match mid.filter(|_| oracle.oldest_feed > pending.requested_at) {
				Some(mid) => Self::settle(pending, Ok(mid), &market),
				None if now >= pending.due.saturating_add(patience) => {
					Self::settle(pending, Err(MintRefund::OracleUnavailable), &market)
				}
				None => waiting.push(pending),
			}
		}
		if waiting.is_empty() {
			return T::WeightInfo::settle_mints(n);
		}
		// The next block's own mints are at most one queue: what does not fit is refunded
		// here, at most `n` of them.
		let next_block = now.saturating_add(1);
		let deferred = waiting.len();
		let due_next = PendingMints::<T>::take(next_block);
		let mut next = BoundedVec::<_, T::MaxPendingMints>::new();
		let mut settled = n;
		for (i, pending) in waiting.into_iter().chain(due_next).enumerate() {
			if let Err(pending) = next.try_push(pending) {
				if i >= deferred {
					settled.saturating_inc();
				}
				Self::settle(pending, Err(MintRefund::QueueFull), &market);
			}
		}
		if !next.is_empty() {
			PendingMints::<T>::insert(next_block, next);
		}
		// The waiting mints are counted in `settled` as if bought, and their move to the next
		// block's queue (read and written whole) as measured.
		T::WeightInfo::settle_mints(settled)
			.saturating_add(T::WeightInfo::settle_mints_deferred(deferred as u32))
	}

	/// Settles one mint at the lower of its quote and `mid` (the mint's mid price now, or why
	/// it cannot settle): burns the cost of the credits it buys from the hold and releases
	/// the rest, or releases everything when it cannot settle.
	pub(crate) fn settle(
		pending: PendingMint<T::AccountId>,
		mid: Result<Price, MintRefund>,
		market: &MarketParams,
	) {
		let reason = HoldReason::PendingMint.into();
		let PendingMint { who, cru, quoted, min_credits, .. } = pending;
		// The whole hold leaves the pending total here: burned, released or refunded.
		MintHeld::<T>::mutate(|h| h.saturating_reduce(cru));
		let settled = match mid {
			Err(why) => Err(why),
			Ok(mid) => {
				// The same CRU bought at least as many credits at the (higher) quote, so
				// this cannot overflow; an overflow would settle nothing.
				let quote =
					math::quote_mint(cru, quoted.min(mid), market.spread).unwrap_or_default();
				if quote.credits.is_zero()
					|| quote.credits < market.min_mint
					|| quote.credits < min_credits
				{
					Err(MintRefund::TooFewCredits)
				} else {
					Ok(quote)
				}
			}
		};
		let settled = settled.and_then(|quote| {
			// Polite: CRU a lock or freeze (a vote) covers is not burned; the mint is refunded.
			T::Currency::burn_held(&reason, &who, quote.cost, Precision::Exact, Fortitude::Polite)
				.map(|_| quote)
				.map_err(|e| match e {
					DispatchError::Token(TokenError::Frozen) => MintRefund::Frozen,
					_ => MintRefund::HoldMissing,
				})
		});
		let quote = match settled {
			Ok(quote) => quote,
			Err(why) => {
				let released = T::Currency::release(&reason, &who, cru, Precision::BestEffort)
					.unwrap_or_default();
				Self::deposit_event(Event::MintRefunded { who, cru: released, reason: why });
				return;
			}
		};
		// The rounding remainder of the held CRU goes back.
		let rest = cru.saturating_sub(quote.cost);
		if !rest.is_zero() {
			let _ = T::Currency::release(&reason, &who, rest, Precision::BestEffort);
		}
		Totals::<T>::mutate(|t| {
			t.minted = t.minted.saturating_add(quote.credits);
			t.purchased = t.purchased.saturating_add(quote.credits);
		});
		Self::mutate_account(&who, |a| a.purchased = a.purchased.saturating_add(quote.credits));
		Supply::<T>::mutate(|s| {
			s.burned_for_credits.saturating_accrue(quote.to_pool);
			s.spread_burned.saturating_accrue(quote.spread);
		});
		Epoch::<T>::mutate(|e| {
			e.burned_for_credits.saturating_accrue(quote.to_pool);
			e.spread_burned.saturating_accrue(quote.spread);
			e.credits_minted = e.credits_minted.saturating_add(quote.credits);
		});
		Self::deposit_event(Event::CreditsMinted {
			who,
			cost: quote.cost,
			to_pool: quote.to_pool,
			spread: quote.spread,
			credits: quote.credits,
			price: quote.price,
		});
	}
}
