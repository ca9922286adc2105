//! Benchmarks of `pallet-crucible-bme`: every call, and the boundary work per cursor step,
//! each on its worst path (full feeder list, a top-up that moves a request between rounds, a
//! redemption that mints into a new account).

use super::*;

use alloc::vec::Vec;
use crucible_primitives::{
	bme::{Credits, EpochSummary, Price, TripReason, CREDIT},
	currency::CRU,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		EnsureOrigin, Get,
	},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::FixedPointNumber;

const PRICE: u128 = 2;

fn price() -> Price {
	Price::saturating_from_integer(PRICE)
}

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	T::Currency::set_balance(&who, 1_000_000 * CRU);
	who
}

fn fill_feeders<T: Config>(n: u32) -> Vec<T::AccountId> {
	let now: u32 = 1;
	let records: Vec<FeederRecord<T::AccountId>> = (0..n)
		.map(|i| FeederRecord {
			who: account("feeder", i, 0),
			feed: Some(Feed { price: price(), at: now }),
		})
		.collect();
	let who = records.iter().map(|r| r.who.clone()).collect();
	Feeders::<T>::put(BoundedVec::try_from(records).expect("n <= MaxFeeders"));
	who
}

/// A live oracle at `PRICE` with a clean window.
fn live<T: Config>() {
	let window = OracleConfig::<T>::get().twap_window;
	Oracle::<T>::put(OracleState {
		health: Health::Live,
		median: Some(price()),
		run: window,
		sum: price().into_inner() * u128::from(window),
		reference: Some(price()),
		oldest_feed: 10,
	});
}

/// A pending mint of 1,000 CRU by `who` quoted at `PRICE` (its hold is not taken).
fn pending<T: Config>(who: T::AccountId) -> PendingMint<T::AccountId> {
	PendingMint {
		who,
		cru: 1_000 * CRU,
		quoted: price(),
		min_credits: Credits::ZERO,
		due: 10,
		requested_at: 0,
	}
}

/// `who` holds `amount` earned credits.
fn give_earned<T: Config>(who: &T::AccountId, amount: Credits) {
	Pallet::<T>::mutate_account(who, |a| a.earned = a.earned.saturating_add(amount));
	Totals::<T>::mutate(|t| {
		t.minted = t.minted.saturating_add(amount);
		t.earned = t.earned.saturating_add(amount);
	});
}

/// A boundary batch in its redeem phase at `PRICE`, with `pool` in the remint pool.
fn redeeming_batch(pool: u128) -> Batch {
	Batch {
		summary: EpochSummary::default(),
		phase: Phase::Redeem(None),
		price: Some(price()),
		fill: None,
		cap_left: u128::MAX,
		pool_left: pool,
		provider_pot: 0,
		pot_paid: 0,
	}
}

#[benchmarks(
	where
		T: Send + Sync,
		<T as frame_system::Config>::RuntimeCall: From<Call<T>>
			+ frame_support::traits::IsSubType<Call<T>>
			+ sp_runtime::traits::Dispatchable<Info = frame_support::dispatch::DispatchInfo>,
)]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn mint_credits() {
		live::<T>();
		frame_system::Pallet::<T>::set_block_number(10u32.into());
		let delay = MarketConfig::<T>::get().mint_delay.max(1);
		MarketConfig::<T>::mutate(|m| m.mint_delay = delay);
		// The settlement block's queue one short of full: the push decodes and encodes it all.
		let settles_at = Pallet::<T>::now() + delay;
		let max = T::MaxPendingMints::get();
		let others: Vec<_> = (1..max).map(|i| pending::<T>(funded::<T>("other", i))).collect();
		PendingMints::<T>::insert(settles_at, BoundedVec::try_from(others).expect("< max"));
		let who = funded::<T>("buyer", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), 1_000 * CRU, Credits::ZERO);
		assert_eq!(PendingMints::<T>::get(settles_at).len() as u32, max);
	}

	/// Settling `n` mints of `n` accounts new to the ledger, on the path that buys (the
	/// other paths do less: a refund releases a hold, a wait moves the entry to the next
	/// block's queue, one read and one write for all of them).
	#[benchmark]
	fn settle_mints(n: Linear<0, { T::MaxPendingMints::get() }>) {
		live::<T>();
		frame_system::Pallet::<T>::set_block_number(10u32.into());
		let now = Pallet::<T>::now();
		let mut queue = Vec::new();
		for i in 0..n {
			let who = funded::<T>("buyer", i);
			let entry = pending::<T>(who.clone());
			T::Currency::hold(&HoldReason::PendingMint.into(), &who, entry.cru)
				.expect("funded above the hold");
			queue.push(entry);
		}
		PendingMints::<T>::insert(now, BoundedVec::try_from(queue).expect("n <= max"));
		MintHeld::<T>::put(u128::from(n) * 1_000 * CRU);
		#[block]
		{
			Pallet::<T>::settle_mints(now);
		}
		assert_eq!(Totals::<T>::get().purchased.is_zero(), n == 0);
		assert!(!PendingMints::<T>::contains_key(now));
	}

	/// `n` mints that cannot settle yet (the oracle tripped) move to the next block's queue,
	/// which already holds the rest of a full queue: both are decoded and the next one
	/// written, whole.
	#[benchmark]
	fn settle_mints_deferred(n: Linear<1, { T::MaxPendingMints::get() }>) {
		live::<T>();
		Oracle::<T>::mutate(|o| {
			o.health = Health::Tripped { reason: TripReason::Stale, since: 1 };
			o.median = None;
		});
		frame_system::Pallet::<T>::set_block_number(10u32.into());
		let now = Pallet::<T>::now();
		let max = T::MaxPendingMints::get();
		let mut queue = Vec::new();
		for i in 0..n {
			let who = funded::<T>("buyer", i);
			let mut entry = pending::<T>(who.clone());
			entry.due = now;
			T::Currency::hold(&HoldReason::PendingMint.into(), &who, entry.cru)
				.expect("funded above the hold");
			queue.push(entry);
		}
		PendingMints::<T>::insert(now, BoundedVec::try_from(queue).expect("n <= max"));
		let next: Vec<_> = (n..max).map(|i| pending::<T>(funded::<T>("next", i))).collect();
		PendingMints::<T>::insert(now + 1, BoundedVec::try_from(next).expect("< max"));
		MintHeld::<T>::put(u128::from(max) * 1_000 * CRU);
		#[block]
		{
			Pallet::<T>::settle_mints(now);
		}
		assert_eq!(PendingMints::<T>::get(now + 1).len() as u32, max);
	}

	#[benchmark]
	fn redeem() {
		let who = funded::<T>("provider", 0);
		give_earned::<T>(&who, Credits::from_credits(1_000));
		// An open request in a merged round: the top-up moves it to a new round.
		frame_system::Pallet::<T>::set_block_number(10u32.into());
		assert!(Pallet::<T>::redeem(
			RawOrigin::Signed(who.clone()).into(),
			Credits::from_credits(10)
		)
		.is_ok());
		NextRound::<T>::put(100);
		Totals::<T>::mutate(|t| t.eligible = t.queued);
		Rounds::<T>::remove(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), Credits::from_credits(100));
		assert_eq!(Requests::<T>::get(&who).map(|r| r.credits), Some(Credits::from_credits(110)));
	}

	#[benchmark]
	fn submit_price(n: Linear<1, { T::MaxFeeders::get() }>) {
		let feeders = fill_feeders::<T>(n);
		let who = feeders[n as usize - 1].clone();
		frame_system::Pallet::<T>::set_block_number(2u32.into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who), price());
	}

	#[benchmark]
	fn add_feeder(n: Linear<0, { T::MaxFeeders::get() - 1 }>) -> Result<(), BenchmarkError> {
		fill_feeders::<T>(n);
		let origin =
			T::OracleOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let who: T::AccountId = account("new", 0, 0);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who);
		assert_eq!(Feeders::<T>::get().len() as u32, n + 1);
		Ok(())
	}

	#[benchmark]
	fn remove_feeder(n: Linear<1, { T::MaxFeeders::get() }>) -> Result<(), BenchmarkError> {
		let feeders = fill_feeders::<T>(n);
		let origin =
			T::OracleOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, feeders[n as usize - 1].clone());
		assert_eq!(Feeders::<T>::get().len() as u32, n - 1);
		Ok(())
	}

	#[benchmark]
	fn set_oracle_params() -> Result<(), BenchmarkError> {
		let origin =
			T::OracleOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let mut params = OracleConfig::<T>::get();
		params.twap_window = params.twap_window % T::MaxTwapWindow::get() + 1;
		params.min_feeders = params.min_feeders.min(T::MaxFeeders::get());
		params.min_fresh = params.min_fresh.min(params.min_feeders);
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);
		assert_eq!(OracleConfig::<T>::get(), params);
		Ok(())
	}

	#[benchmark]
	fn set_market_params() -> Result<(), BenchmarkError> {
		let origin =
			T::EconomicsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, MarketParams::standard());
		Ok(())
	}

	#[benchmark]
	fn set_emission_params() -> Result<(), BenchmarkError> {
		let origin =
			T::EconomicsOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, EmissionParams::production());
		Ok(())
	}

	#[benchmark]
	fn note_issuance_adjustment() {
		// The root track minted outside the BME; the note makes the accounts whole again.
		let who = funded::<T>("adjusted", 0);
		T::Currency::mint_into(&who, 1_000 * CRU).expect("below the maximum issuance");
		let counted = Supply::<T>::get()
			.expected_issuance(GenesisIssuance::<T>::get())
			.expect("the accounts were whole");
		let delta = T::Currency::total_issuance() - counted;
		let reason = BoundedVec::try_from(alloc::vec![b'x'; MAX_ADJUSTMENT_REASON as usize])
			.expect("exactly the bound");
		#[extrinsic_call]
		_(RawOrigin::Root, delta as i128, reason);
		assert_eq!(Supply::<T>::get().adjusted_up, delta);
	}

	/// The feeder last in a full list: one read of the list, a scan to its end.
	#[benchmark]
	fn check_feeder(n: Linear<1, { T::MaxFeeders::get() }>) -> Result<(), BenchmarkError> {
		use frame_support::dispatch::GetDispatchInfo;
		use sp_runtime::traits::TransactionExtension;
		let who = fill_feeders::<T>(n).pop().expect("n >= 1");
		let call: <T as frame_system::Config>::RuntimeCall =
			Call::<T>::submit_price { price: price() }.into();
		let info = call.get_dispatch_info();
		let origin: T::RuntimeOrigin = RawOrigin::Signed(who).into();
		let ext = CheckFeeder::<T>::new();
		#[block]
		{
			ext.validate(
				origin,
				&call,
				&info,
				0,
				(),
				&sp_runtime::traits::TxBaseImplication(()),
				frame_support::pallet_prelude::TransactionSource::External,
			)
			.map_err(|_| BenchmarkError::Stop("a feeder's feed is valid"))?;
		}
		Ok(())
	}

	#[benchmark]
	fn oracle_tick(n: Linear<1, { T::MaxFeeders::get() }>) {
		fill_feeders::<T>(n);
		let mut params = OracleConfig::<T>::get();
		params.min_feeders = 1;
		params.min_fresh = 1;
		OracleConfig::<T>::put(params);
		live::<T>();
		#[block]
		{
			Pallet::<T>::tick_oracle(2);
		}
		assert!(Oracle::<T>::get().median.is_some());
	}

	/// The hook with no boundary due and none running: it reads the epoch and the batch.
	#[benchmark]
	fn boundary_idle() {
		let epoch = Epoch::<T>::get();
		#[block]
		{
			Pallet::<T>::advance_boundary(epoch.start);
		}
		assert!(Boundary::<T>::get().is_none());
	}

	/// Starting a boundary that walks `r` rounds, every one ripe and merged (governance
	/// shortening the epochs can leave up to a TWAP window of one-block epochs behind).
	#[benchmark]
	fn boundary_start(r: Linear<1, { T::MaxTwapWindow::get() + 2 }>) {
		live::<T>();
		// A full history and `r` ripe rounds to merge.
		History::<T>::put(BoundedVec::truncate_from(
			(0..AVERAGE_EPOCHS).map(|_| PastEpoch { paid: CRU, earned: Credits(CREDIT) }).collect(),
		));
		for i in 0..r {
			Rounds::<T>::insert(i, Round { credits: Credits(CREDIT), ripe_at: 0 });
		}
		Totals::<T>::mutate(|t| {
			t.minted = Credits(CREDIT * u128::from(r));
			t.queued = t.minted;
			t.requested = t.minted;
		});
		let epoch = EpochState { index: r - 1, ..Epoch::<T>::get() };
		Epoch::<T>::put(epoch);
		let treasury = T::TreasuryAccount::get();
		T::Currency::set_balance(&treasury, 1_000 * CRU);
		#[block]
		{
			assert_eq!(Pallet::<T>::start_boundary(epoch.start + epoch.length, epoch), r);
		}
		assert!(Boundary::<T>::get().is_some_and(|b| b.summary.executed));
		assert_eq!(NextRound::<T>::get(), r);
	}

	#[benchmark]
	fn boundary_redeem_step() {
		let who: T::AccountId = account("redeemer", 0, 0);
		give_earned::<T>(&who, Credits::from_credits(100));
		assert!(Pallet::<T>::redeem(
			RawOrigin::Signed(who.clone()).into(),
			Credits::from_credits(100)
		)
		.is_ok());
		NextRound::<T>::put(u32::MAX);
		Rounds::<T>::remove(Requests::<T>::get(&who).map(|r| r.round).unwrap_or(0));
		Totals::<T>::mutate(|t| t.eligible = t.queued);
		let mut batch = redeeming_batch(0);
		#[block]
		{
			Pallet::<T>::redeem_steps(&mut batch, None, 1);
		}
		assert!(Requests::<T>::get(&who).is_none());
	}

	#[benchmark]
	fn boundary_emit_step() {
		let who: T::AccountId = account("provider", 0, 0);
		Earned::<T>::insert(0, &who, Credits(CREDIT));
		let mut batch = redeeming_batch(0);
		batch.phase = Phase::Emit;
		batch.provider_pot = 100 * CRU;
		batch.summary.credits_earned = Credits(CREDIT);
		#[block]
		{
			Pallet::<T>::emit_steps(&mut batch, 1);
		}
		assert_eq!(batch.pot_paid, 100 * CRU);
	}

	#[benchmark]
	fn boundary_finish() {
		let treasury = T::TreasuryAccount::get();
		T::Currency::set_balance(&treasury, 1_000 * CRU);
		History::<T>::put(BoundedVec::truncate_from(
			(0..AVERAGE_EPOCHS).map(|_| PastEpoch::default()).collect(),
		));
		let mut batch = redeeming_batch(0);
		batch.phase = Phase::Finish;
		batch.provider_pot = CRU;
		batch.summary.epoch = SUMMARY_EPOCHS + 1;
		Summaries::<T>::insert(1, EpochSummary::default());
		Boundary::<T>::put(batch.clone());
		#[block]
		{
			Pallet::<T>::finish_boundary(batch);
		}
		assert!(Boundary::<T>::get().is_none());
		assert!(Summaries::<T>::get(1).is_none());
	}

	#[benchmark]
	fn ledger_lock() {
		let who: T::AccountId = account("tenant", 0, 0);
		Pallet::<T>::mutate_account(&who, |a| a.purchased = Credits::from_credits(100));
		Totals::<T>::mutate(|t| {
			t.minted = Credits::from_credits(100);
			t.purchased = Credits::from_credits(100);
		});
		#[block]
		{
			assert!(<Pallet<T> as CreditLedger<T::AccountId>>::lock(
				&who,
				1,
				Credits::from_credits(50)
			)
			.is_ok());
		}
	}

	#[benchmark]
	fn ledger_pay() {
		let who: T::AccountId = account("tenant", 0, 0);
		let provider: T::AccountId = account("provider", 0, 0);
		Escrows::<T>::insert(1, Escrow { owner: who, amount: Credits::from_credits(100) });
		Totals::<T>::mutate(|t| {
			t.minted = Credits::from_credits(100);
			t.escrowed = Credits::from_credits(100);
		});
		#[block]
		{
			assert!(<Pallet<T> as CreditLedger<T::AccountId>>::pay(
				1,
				&provider,
				Credits::from_credits(50)
			)
			.is_ok());
		}
	}

	#[benchmark]
	fn ledger_refund() {
		let who: T::AccountId = account("tenant", 0, 0);
		Escrows::<T>::insert(1, Escrow { owner: who, amount: Credits::from_credits(100) });
		Totals::<T>::mutate(|t| {
			t.minted = Credits::from_credits(100);
			t.escrowed = Credits::from_credits(100);
		});
		#[block]
		{
			assert!(<Pallet<T> as CreditLedger<T::AccountId>>::refund(
				1,
				Credits::from_credits(50)
			)
			.is_ok());
		}
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
