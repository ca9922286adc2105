//! What the runtime API returns.

use crate::{math, pallet::*, types::*};
use alloc::vec::Vec;
use crucible_primitives::bme::{
	AccountCreditsView, BreakerView, Credits, EpochIndex, EpochPage, FeedView, PriceView,
	QueueView, SupplyView,
};
use frame_support::traits::fungible::{Inspect, InspectHold};
use sp_runtime::Rounding;

impl<T: Config> Pallet<T> {
	/// The live price, each feed and the breaker.
	pub fn price_view() -> PriceView<T::AccountId> {
		let now = Self::now();
		let params = OracleConfig::<T>::get();
		let feeders = Feeders::<T>::get();
		let feeds: Vec<Option<Feed>> = feeders.iter().map(|r| r.feed).collect();
		let verdict = math::aggregate(&feeds, now, &params);
		let oracle = Oracle::<T>::get();
		let twap = Self::twap(&oracle).filter(|_| oracle.median.is_some());
		let spread = MarketConfig::<T>::get().spread;
		let usable = Self::usable_prices().ok();
		let breaker = match oracle.health {
			Health::Live => BreakerView::Live,
			Health::Tripped { reason, since } => BreakerView::Tripped { reason, since },
			Health::Recovering { reason } => BreakerView::Recovering {
				reason,
				clean_at: now.saturating_add(params.twap_window.saturating_sub(oracle.run)),
			},
		};
		PriceView {
			block: now,
			median: oracle.median,
			twap,
			mint_price: usable.map(|(t, m)| math::less_spread(t.min(m), spread)),
			redeem_price: usable.map(|(t, m)| Self::redeem_price(t, m, oracle.reference)),
			previous_twap: oracle.reference,
			breaker,
			feeds: feeders
				.into_iter()
				.enumerate()
				.map(|(i, r)| FeedView {
					feeder: r.who,
					price: r.feed.map(|f| f.price),
					submitted_at: r.feed.map(|f| f.at),
					age: r.feed.map(|f| now.saturating_sub(f.at)),
					fresh: verdict.fresh[i],
					dropped: verdict.dropped[i],
				})
				.collect(),
		}
	}

	/// One account's credits.
	pub fn account_view(who: T::AccountId) -> AccountCreditsView {
		let account = Accounts::<T>::get(&who);
		let request = Requests::<T>::get(&who);
		AccountCreditsView {
			purchased: account.purchased,
			earned: account.earned,
			queued: request.map_or(Credits::ZERO, |r| r.credits),
			requested_at: request.map(|r| r.requested_at),
			eligible: request.is_some_and(|r| r.round < NextRound::<T>::get()),
			minting: T::Currency::balance_on_hold(&HoldReason::PendingMint.into(), &who),
		}
	}

	/// Net issuance change over the last `n` completed epochs.
	pub(crate) fn net_change(n: u32) -> i128 {
		let current = Epoch::<T>::get().index;
		(current.saturating_sub(n.saturating_add(1))..current)
			.rev()
			.filter_map(Summaries::<T>::get)
			.take(n as usize)
			.fold(0i128, |acc, s| acc.saturating_add(s.flows.net_change()))
	}

	/// CRU supply as the BME sees it.
	pub fn supply_view() -> SupplyView {
		SupplyView {
			genesis_issuance: GenesisIssuance::<T>::get(),
			total_issuance: T::Currency::total_issuance(),
			cumulative: Supply::<T>::get(),
			remint_pool: Self::remint_pool(),
			subnet_pot: SubnetPot::<T>::get(),
			net_change_24: Self::net_change(24),
			net_change_720: Self::net_change(SUMMARY_EPOCHS),
		}
	}

	/// The redemption queue, valued at the current redeem price.
	pub fn queue_view() -> QueueView {
		let totals = Totals::<T>::get();
		let oracle = Oracle::<T>::get();
		let price =
			Self::prices_of(&oracle).ok().map(|(t, m)| Self::redeem_price(t, m, oracle.reference));
		let value = |c| price.and_then(|p| math::credits_to_cru(c, p, Rounding::Down)).unwrap_or(0);
		let e = EmissionConfig::<T>::get();
		let scheduled = math::scheduled_emission(e.initial, e.decay, Epoch::<T>::get().index);
		let next_cap = Self::redemption_cap(
			&MarketConfig::<T>::get(),
			&History::<T>::get(),
			Self::remint_pool(),
			scheduled,
		);
		QueueView {
			requests: RequestCount::<T>::get(),
			credits: totals.queued,
			eligible: totals.eligible,
			expected_cru: value(totals.queued),
			next_cap,
		}
	}

	/// Completed epochs, newest first, older than `before` (clamped to the running epoch).
	/// Reads at most `limit` (1..=100, clamped) summaries plus three entries, whatever
	/// `before` is: `u32::MAX` walks from the running epoch, not from 4 billion.
	pub fn epochs_page(before: Option<EpochIndex>, limit: u32) -> EpochPage {
		let limit = limit.clamp(1, crucible_primitives::bounds::MAX_PAGE);
		let current = Epoch::<T>::get().index;
		let mut epoch = before.unwrap_or(current).min(current);
		let oldest = current.saturating_sub(SUMMARY_EPOCHS + 1);
		let mut epochs = Vec::new();
		for _ in 0..limit {
			if epoch <= oldest {
				break;
			}
			epoch -= 1;
			if let Some(s) = Summaries::<T>::get(epoch) {
				epochs.push(s);
			}
		}
		let next = (epoch > 0 && Summaries::<T>::contains_key(epoch - 1)).then_some(epoch);
		EpochPage { epochs, next }
	}
}
