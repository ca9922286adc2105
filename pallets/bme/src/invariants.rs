//! The invariants `try_state` checks.

use crate::{pallet::*, types::round_key};
use crucible_primitives::{bme::Credits, Balance};
use frame_support::{
	ensure,
	traits::fungible::{Inspect, InspectHold},
};

impl<T: Config> Pallet<T> {
	/// The invariants: CRU issuance has a counted cause for every change; credits minted
	/// equal their buckets plus what was redeemed and burned; the remint pool is not
	/// negative; the bucket totals equal a full recount; each account with pending mints
	/// holds exactly their CRU, and all of them together `MintHeld`; every redemption
	/// requested is queued or redeemed.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let s = Supply::<T>::get();
		let expected = s.expected_issuance(GenesisIssuance::<T>::get());
		ensure!(
			expected == Some(T::Currency::total_issuance()),
			"CRU issuance differs from genesis + counted flows"
		);
		ensure!(
			s.burned_for_credits >= s.reminted.saturating_add(s.realized_net_burn),
			"remint pool is negative"
		);
		let t = Totals::<T>::get();
		let sum = [t.purchased, t.escrowed, t.earned, t.queued, t.redeemed, t.take_rate_burned]
			.iter()
			.try_fold(Credits::ZERO, |acc, c| acc.checked_add(*c));
		ensure!(sum == Some(t.minted), "credits minted differ from their buckets");
		ensure!(
			t.queued.checked_add(t.redeemed) == Some(t.requested),
			"a redemption was lost or paid twice: requested differs from queued + redeemed"
		);

		let (mut purchased, mut earned) = (Credits::ZERO, Credits::ZERO);
		for (_, a) in Accounts::<T>::iter() {
			purchased = purchased.saturating_add(a.purchased);
			earned = earned.saturating_add(a.earned);
		}
		ensure!(purchased == t.purchased, "purchased total differs from the accounts");
		ensure!(earned == t.earned, "earned total differs from the accounts");
		let escrowed =
			Escrows::<T>::iter_values().fold(Credits::ZERO, |acc, e| acc.saturating_add(e.amount));
		ensure!(escrowed == t.escrowed, "escrowed total differs from the escrows");
		let next_round = NextRound::<T>::get();
		let (mut queued, mut eligible, mut count) = (Credits::ZERO, Credits::ZERO, 0u32);
		for (_, r) in Requests::<T>::iter() {
			queued = queued.saturating_add(r.credits);
			if r.round < next_round {
				eligible = eligible.saturating_add(r.credits);
			}
			count += 1;
		}
		ensure!(queued == t.queued, "queued total differs from the requests");
		ensure!(eligible == t.eligible, "eligible total differs from the requests");
		ensure!(count == RequestCount::<T>::get(), "request count differs");
		let mut indexed = 0u32;
		for (round, who) in Queue::<T>::iter_keys() {
			let request = Requests::<T>::get(&who).ok_or("a queue entry without a request")?;
			ensure!(round_key(request.round) == round, "a request queued under another round");
			indexed += 1;
		}
		ensure!(indexed == count, "requests missing from the queue index");
		let rounds =
			Rounds::<T>::iter_values().fold(Credits::ZERO, |acc, r| acc.saturating_add(r.credits));
		ensure!(
			rounds.saturating_add(t.eligible) == t.queued,
			"rounds and eligible credits differ from the queue"
		);
		let mut held = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
		for (_, queue) in PendingMints::<T>::iter() {
			for p in queue {
				let entry = held.entry(p.who).or_default();
				*entry = entry.saturating_add(p.cru);
			}
		}
		let pending = held.values().fold(0 as Balance, |acc, c| acc.saturating_add(*c));
		ensure!(pending == MintHeld::<T>::get(), "the pending mints differ from MintHeld");
		for (who, cru) in held {
			ensure!(
				T::Currency::balance_on_hold(&HoldReason::PendingMint.into(), &who) == cru,
				"CRU on hold differs from the account's pending mints"
			);
		}
		// An account holding `PendingMint` CRU with no pending mint is caught where the
		// runtime (or the mock) sums every account's holds against `MintHeld`.
		Ok(())
	}
}
