//! Benchmarks of `pallet-crucible-leases`: every call and each kind of sweep step on its worst
//! path (the most models, GPUs and bids an order may have; bids offering one device of each
//! model, so every per-model counter and price entry is touched; providers with the most
//! devices; a settlement that warns of low funds; a bidding close that voids every bid but the
//! worst), plus the scaling benchmarks run only by
//! `scripts/lease-scaling.sh`: `settle`, `withdraw` and an empty block's market overhead
//! with `l = 10^e` other open leases in committed state, and two baselines of the trie's own
//! growth at the same size.

use super::*;

use crate::meter::Meter;
use alloc::vec::Vec;
use codec::Encode;
use crucible_primitives::{
	bme::CreditLedger,
	bme::Credits,
	leases::FaultKind,
	providers::{DeviceId, GpuModelId, LeaseId, OrderId, ProviderRegistry, SlashReason, Slashing},
	Balance, BlockNumber,
};
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{fungible::Mutate, EnsureOrigin, Get, Hooks},
	BoundedVec,
};
use frame_system::RawOrigin;
use sp_runtime::traits::UniqueSaturatedInto;

/// A price per block that leaves room for everything below.
const PRICE: Credits = Credits(1_000_000);

fn set_block<T: Config>(n: BlockNumber) {
	frame_system::Pallet::<T>::set_block_number(n.into());
}

fn now<T: Config>() -> BlockNumber {
	frame_system::Pallet::<T>::block_number().unique_saturated_into()
}

/// A tenant with plenty of purchased credits, and CRU for order deposits.
fn tenant<T: Config>(i: u32) -> T::AccountId {
	let who: T::AccountId = account("tenant", i, 0);
	T::BenchmarkHelper::fund(&who, Credits(PRICE.0 * 1_000_000));
	T::Currency::set_balance(&who, 1_000_000 * crucible_primitives::currency::CRU);
	who
}

/// A request for the most GPUs an order may have, of `models` (the first with devices).
fn request<T: Config>(models: &[GpuModelId]) -> RequestOf<T> {
	Request {
		models: BoundedVec::truncate_from(models.to_vec()),
		min_vram_mib: 0,
		gpus: T::MaxGpusPerOrder::get(),
		region: Some(BoundedVec::truncate_from(b"eu".to_vec())),
	}
}

/// The worst model mix: the most models an order may accept (a bid's devices are one of each,
/// up to the most GPUs an order may have).
fn mix<T: Config>() -> Vec<GpuModelId> {
	T::BenchmarkHelper::models(T::MaxModelsPerOrder::get())
}

/// Provider `i`, with the most devices a provider may have, the last of them one of each of
/// `models` (registered on first use).
fn provider<T: Config>(i: u32, models: &[GpuModelId]) -> T::AccountId {
	let who: T::AccountId = account("provider", i, 0);
	if T::Registry::status(&who).is_none() {
		let count = T::BenchmarkHelper::max_devices().max(T::MaxGpusPerOrder::get());
		T::BenchmarkHelper::provider(&who, models, count);
	}
	who
}

/// The devices a provider's bid offers: the last `gpus` (the worst to find, each of another
/// model).
fn offer<T: Config>(gpus: u32) -> BoundedVec<DeviceId, T::MaxGpusPerOrder> {
	let count = T::BenchmarkHelper::max_devices().max(T::MaxGpusPerOrder::get());
	BoundedVec::truncate_from(((count - gpus)..count).collect())
}

/// An order by tenant 0 with the longest window, escrow for `blocks` blocks at `PRICE`.
fn order<T: Config>(models: &[GpuModelId], blocks: u128) -> (T::AccountId, OrderId) {
	provider::<T>(0, models);
	let who = tenant::<T>(0);
	let id = NextId::<T>::get();
	let window = Params::<T>::get().max_bid_window;
	Pallet::<T>::create_order(
		RawOrigin::Signed(who.clone()).into(),
		request::<T>(models),
		PRICE,
		Params::<T>::get().max_duration.min(10_000),
		Credits(PRICE.0 * blocks),
		window,
	)
	.expect("orders");
	(who, id)
}

/// `b` bids on `order` by providers 0..b, the last one the cheapest.
fn bids<T: Config>(order: OrderId, models: &[GpuModelId], b: u32) -> Vec<T::AccountId> {
	(0..b)
		.map(|i| {
			let who = provider::<T>(i, models);
			let price = Credits(PRICE.0 - u128::from(i));
			Pallet::<T>::bid(
				RawOrigin::Signed(who.clone()).into(),
				order,
				price,
				offer::<T>(T::MaxGpusPerOrder::get()),
			)
			.expect("bids");
			who
		})
		.collect()
}

/// A running lease of the most GPUs, funded for `blocks` blocks.
fn lease<T: Config>(blocks: u128) -> (T::AccountId, T::AccountId, LeaseId) {
	let models = mix::<T>();
	let (who, id) = order::<T>(&models, blocks);
	let provider = bids::<T>(id, &models, 1).remove(0);
	Pallet::<T>::accept_bid(RawOrigin::Signed(who.clone()).into(), id, provider.clone())
		.expect("accepts");
	(who, provider, id)
}

/// Parks `task` (on the agenda at `at`) as the sweep does after its last failed attempt.
fn park<T: Config>(task: Task, at: BlockNumber) {
	Pallet::<T>::unschedule(at, task);
	StuckTasks::<T>::insert(
		task,
		StuckTask { since: now::<T>(), error: sp_runtime::DispatchError::Other("benchmark") },
	);
}

/// Makes a record's last device one its provider does not have (the worst defect to find).
fn break_devices<S: Get<u32>>(devices: &mut BoundedVec<DeviceId, S>) {
	if let Some(last) = devices.last_mut() {
		*last = DeviceId::MAX;
	}
}

/// The number of other open leases of a scaling benchmark's exponent component.
fn scale(e: u32) -> u32 {
	10u32.pow(e)
}

/// Devices of each provider of the other leases.
const OTHER_DEVICES: u32 = 10;

/// `l` other open leases as a busy market has them: each with its escrow in the ledger (and
/// its tenant's credit account), its agenda and index entries; `l` tenants; `l / 100`
/// providers (1,000 at 100,000 leases), registered with ten devices each (bonds held, supply
/// counters) and each paid once (an earned credit account and an entry of the epoch's
/// earnings). The lease records
/// are written straight into storage (a bid and an acceptance each would make the set-up of
/// 100,000 leases take hours).
fn other_leases<T: Config>(l: u32) {
	let start = now::<T>();
	let first = NextId::<T>::get();
	let model = mix::<T>()[0];
	let providers = l.div_ceil(100);
	let provider_of = |i: u32| -> T::AccountId { account("other-provider", i % providers, 0) };
	for p in 0..providers {
		T::BenchmarkHelper::provider(&provider_of(p), &[model], OTHER_DEVICES);
	}
	for i in 0..l {
		let id = first + LeaseId::from(i);
		let tenant: T::AccountId = account("other-tenant", i, 0);
		let provider = provider_of(i);
		let meter =
			Meter::new(PRICE, start, start + 100_000, Credits(PRICE.0 * 100_000)).expect("a meter");
		let check_at = start + 1 + (i % 50_000);
		// Its provider's first lease has paid it one block's price.
		let paid = if i < providers { PRICE } else { Credits::ZERO };
		T::BenchmarkHelper::fund(&tenant, meter.remaining.saturating_add(paid));
		T::Ledger::lock(&tenant, id, meter.remaining.saturating_add(paid)).expect("locks");
		if i < providers {
			T::Ledger::pay(id, &provider, paid).expect("pays");
		}
		Leases::<T>::insert(
			id,
			Lease {
				tenant: tenant.clone(),
				provider: provider.clone(),
				devices: BoundedVec::truncate_from(alloc::vec![(i / providers) % OTHER_DEVICES]),
				start,
				meter,
				accrued: Credits::ZERO,
				withdrawn: Credits::ZERO,
				funded: meter.remaining,
				check_at,
				low_warned: false,
			},
		);
		Agenda::<T>::insert(check_at, Task::CheckLease(id), 0);
		AgendaLen::<T>::mutate(check_at, |n| *n += 1);
		TenantLeases::<T>::insert(&tenant, id, ());
		ProviderLeases::<T>::insert(&provider, id, ());
	}
	NextId::<T>::put(first + LeaseId::from(l));
	// They were made in earlier blocks: their events are gone from this one.
	frame_system::Pallet::<T>::reset_events();
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_order(m: Linear<1, { T::MaxModelsPerOrder::get() }>) {
		let models = T::BenchmarkHelper::models(m);
		// Devices of the last model only: every model is looked up before the count suffices.
		provider::<T>(0, &models[models.len() - 1..]);
		let who = tenant::<T>(0);
		let window = Params::<T>::get().max_bid_window;
		// Every block of the agenda search but the last is full: the order's window task is
		// placed at the end of it.
		let bid_until = now::<T>() + window;
		for b in bid_until..bid_until + AGENDA_SEARCH - 1 {
			AgendaLen::<T>::insert(b, T::SweepPerBlock::get());
		}
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who),
			request::<T>(&models),
			PRICE,
			100,
			Credits(PRICE.0 * 100),
			window,
		);
		let o = Orders::<T>::get(0).expect("ordered");
		assert_eq!(o.close_at, bid_until + AGENDA_SEARCH - 1);
	}

	#[benchmark]
	fn bid(g: Linear<1, { T::MaxGpusPerOrder::get() }>) {
		let models = mix::<T>();
		let (_, id) = order::<T>(&models, 100);
		Orders::<T>::mutate(id, |o| o.as_mut().expect("open").request.gpus = g);
		// The order already has all its bids but one.
		let max = Params::<T>::get().max_bids;
		for i in 1..max {
			let who = provider::<T>(i, &models);
			Pallet::<T>::bid(RawOrigin::Signed(who).into(), id, PRICE, offer::<T>(g))
				.expect("bids");
		}
		let who = provider::<T>(0, &models);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, PRICE, offer::<T>(g));
		assert_eq!(Bids::<T>::get(id).len() as u32, max);
	}

	#[benchmark]
	fn accept_bid(b: Linear<1, { T::MaxBidsPerOrder::get() }>) {
		Params::<T>::mutate(|p| p.max_bids = T::MaxBidsPerOrder::get());
		let models = mix::<T>();
		let (who, id) = order::<T>(&models, 100);
		let winner = bids::<T>(id, &models, b).remove(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, winner);
		assert!(Leases::<T>::contains_key(id));
	}

	#[benchmark]
	fn cancel_order(b: Linear<1, { T::MaxBidsPerOrder::get() }>) {
		Params::<T>::mutate(|p| p.max_bids = T::MaxBidsPerOrder::get());
		let models = mix::<T>();
		let (who, id) = order::<T>(&models, 100);
		bids::<T>(id, &models, b);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert!(!Orders::<T>::contains_key(id));
	}

	/// Settling many blocks, with the low-funds warning on the way.
	#[benchmark]
	fn settle() {
		let horizon = Params::<T>::get().low_funds_horizon;
		let (_, _, id) = lease::<T>(u128::from(horizon) + 20);
		set_block::<T>(now::<T>() + 20);
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), id);
		assert!(Leases::<T>::get(id).is_some_and(|l| l.low_warned && !l.accrued.is_zero()));
	}

	#[benchmark]
	fn withdraw() {
		let horizon = Params::<T>::get().low_funds_horizon;
		let (_, provider, id) = lease::<T>(u128::from(horizon) + 20);
		set_block::<T>(now::<T>() + 20);
		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id);
		assert!(Leases::<T>::get(id).is_some_and(|l| !l.withdrawn.is_zero()));
	}

	/// A top-up that settles, re-arms the warning and moves the agenda entry.
	#[benchmark]
	fn top_up() {
		let horizon = Params::<T>::get().low_funds_horizon;
		let (who, _, id) = lease::<T>(u128::from(horizon) + 20);
		set_block::<T>(now::<T>() + 10);
		let before = Leases::<T>::get(id).expect("open").check_at;
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id, Credits(PRICE.0 * 1_000));
		assert!(Leases::<T>::get(id).is_some_and(|l| l.check_at != before));
	}

	#[benchmark]
	fn close_lease() {
		let (who, _, id) = lease::<T>(1_000);
		set_block::<T>(now::<T>() + 10);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), id);
		assert!(!Leases::<T>::contains_key(id));
	}

	#[benchmark]
	fn provider_fault() -> Result<(), BenchmarkError> {
		let (_, _, id) = lease::<T>(1_000);
		set_block::<T>(now::<T>() + 10);
		let origin =
			T::FaultOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, id, FaultKind::WrongResults);
		assert!(!Leases::<T>::contains_key(id));
		Ok(())
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin =
			T::MarketOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let params = LeaseParams { max_bids: 1, ..Params::<T>::get() };
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);
		assert_eq!(Params::<T>::get().max_bids, 1);
		Ok(())
	}

	/// One sweep step over a block with nothing on the agenda.
	#[benchmark]
	fn sweep_idle() {
		let at = now::<T>() + 1;
		set_block::<T>(at);
		SweepCursor::<T>::put(at);
		#[block]
		{
			Pallet::<T>::sweep(at, 1, 1);
		}
		assert_eq!(SweepCursor::<T>::get(), at + 1);
	}

	/// The sweep reaches a lease at its low-funds point: settle, warn, move it to its due block.
	#[benchmark]
	fn sweep_check_lease() {
		let horizon = Params::<T>::get().low_funds_horizon;
		let (_, _, id) = lease::<T>(u128::from(horizon) + 20);
		let at = Leases::<T>::get(id).expect("open").check_at;
		set_block::<T>(at);
		SweepCursor::<T>::put(at);
		#[block]
		{
			Pallet::<T>::sweep(at, 1, 1);
		}
		assert!(Leases::<T>::get(id).is_some_and(|l| l.low_warned && l.check_at > at));
	}

	/// The sweep closes a lease at its due block.
	#[benchmark]
	fn sweep_close_lease() {
		let (_, _, id) = lease::<T>(1_000_000);
		let l = Leases::<T>::get(id).expect("open");
		let at = l.meter.end;
		Pallet::<T>::unschedule(l.check_at, Task::CheckLease(id));
		let at = Pallet::<T>::schedule(Task::CheckLease(id), at).expect("room");
		Leases::<T>::mutate(id, |l| l.as_mut().expect("open").check_at = at);
		set_block::<T>(at);
		SweepCursor::<T>::put(at);
		#[block]
		{
			Pallet::<T>::sweep(at, 1, 1);
		}
		assert!(!Leases::<T>::contains_key(id));
	}

	/// The sweep ends an order's window with `b` bids: the best `b - 1` are void (their
	/// providers were slashed below the bond ratio since they bid: each costs a status and a
	/// bond read before its release), the worst wins, the void ones are released.
	#[benchmark]
	fn sweep_close_bidding(b: Linear<1, { T::MaxBidsPerOrder::get() }>) {
		Params::<T>::mutate(|p| p.max_bids = T::MaxBidsPerOrder::get());
		let models = mix::<T>();
		let (_, id) = order::<T>(&models, 100);
		let bidders = bids::<T>(id, &models, b);
		for who in &bidders[1..] {
			T::Slashing::slash(who, Balance::MAX, None, SlashReason::Governance).expect("slashes");
			assert!(!T::Registry::bonded(who));
		}
		frame_system::Pallet::<T>::reset_events();
		let at = Orders::<T>::get(id).expect("open").close_at;
		set_block::<T>(at);
		SweepCursor::<T>::put(at);
		#[block]
		{
			Pallet::<T>::sweep(at, 1, 1);
		}
		assert!(Leases::<T>::get(id).is_some_and(|l| l.provider == bidders[0]));
	}

	/// The market-admin track force-closes a parked bidding close of `b` bids, each broken the
	/// way that parks a task: its record names a device its provider does not have (the last,
	/// so the registry walks every other before it refuses), and the registry then frees
	/// every device still offered for the order, of every model.
	#[benchmark]
	fn force_close_order(
		b: Linear<1, { T::MaxBidsPerOrder::get() }>,
	) -> Result<(), BenchmarkError> {
		Params::<T>::mutate(|p| p.max_bids = T::MaxBidsPerOrder::get());
		let models = mix::<T>();
		let (_, id) = order::<T>(&models, 100);
		bids::<T>(id, &models, b);
		Bids::<T>::mutate(id, |bids| {
			for offer in bids.iter_mut() {
				break_devices(&mut offer.devices);
			}
		});
		park::<T>(Task::CloseBidding(id), Orders::<T>::get(id).expect("open").close_at);
		let origin =
			T::MarketOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		force_close(origin as T::RuntimeOrigin, Task::CloseBidding(id));
		assert!(
			!Orders::<T>::contains_key(id)
				&& !StuckTasks::<T>::contains_key(Task::CloseBidding(id))
		);
		Ok(())
	}

	/// The market-admin track force-closes a parked lease of the most GPUs whose record names
	/// a device its provider does not have: it is paid to now and refunded, and the registry
	/// frees every device still leased for it.
	#[benchmark]
	fn force_close_lease() -> Result<(), BenchmarkError> {
		let (_, _, id) = lease::<T>(1_000_000);
		let check_at = Leases::<T>::get(id).expect("open").check_at;
		Leases::<T>::mutate(id, |l| break_devices(&mut l.as_mut().expect("open").devices));
		park::<T>(Task::CheckLease(id), check_at);
		set_block::<T>(now::<T>() + 10);
		let origin =
			T::MarketOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		force_close(origin as T::RuntimeOrigin, Task::CheckLease(id));
		assert!(!Leases::<T>::contains_key(id));
		Ok(())
	}

	/// `settle` with `10^e` other open leases in state (run by `scripts/lease-scaling.sh`).
	#[benchmark(extra)]
	fn settle_at_scale(e: Linear<1, 5>) {
		let (_, _, id) = lease::<T>(1_000_000);
		other_leases::<T>(scale(e));
		set_block::<T>(now::<T>() + 20);
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		settle(RawOrigin::Signed(caller), id);
		assert!(Leases::<T>::get(id).is_some_and(|l| !l.accrued.is_zero()));
	}

	/// The trie's own growth, for comparison: one read and one write of another lease's
	/// record (the storage access `settle` makes) with `10^e` open leases in state.
	#[benchmark(extra)]
	fn baseline_at_scale(e: Linear<1, 5>) {
		let l = scale(e);
		let first = NextId::<T>::get();
		other_leases::<T>(l);
		let id = first + LeaseId::from(l / 2);
		#[block]
		{
			let lease = Leases::<T>::get(id).expect("open");
			Leases::<T>::insert(id, lease);
		}
		assert!(Leases::<T>::contains_key(id));
	}

	/// The baseline's cross-check: one read and one write of an entry of a map no pallet
	/// uses, holding `10^e` entries of a lease record's size and nothing else of the market.
	#[benchmark(extra)]
	fn unrelated_at_scale(e: Linear<1, 5>) {
		let l = scale(e);
		let (_, _, id) = lease::<T>(1_000);
		let record = Leases::<T>::get(id).expect("open").encode();
		let key = |i: u32| {
			use frame_support::{Blake2_128Concat, StorageHasher, Twox128};
			let mut key = Twox128::hash(b"CrucibleScaleBaseline").to_vec();
			key.extend(Blake2_128Concat::hash(&i.encode()));
			key
		};
		for i in 0..l {
			frame_support::storage::unhashed::put_raw(&key(i), &record);
		}
		let probe = key(l / 2);
		#[block]
		{
			let value = frame_support::storage::unhashed::get_raw(&probe).expect("written");
			frame_support::storage::unhashed::put_raw(&probe, &value);
		}
		assert!(frame_support::storage::unhashed::exists(&probe));
	}

	/// `withdraw` with `10^e` other open leases in state.
	#[benchmark(extra)]
	fn withdraw_at_scale(e: Linear<1, 5>) {
		let (_, provider, id) = lease::<T>(1_000_000);
		other_leases::<T>(scale(e));
		set_block::<T>(now::<T>() + 20);
		#[extrinsic_call]
		withdraw(RawOrigin::Signed(provider), id);
		assert!(Leases::<T>::get(id).is_some_and(|l| !l.withdrawn.is_zero()));
	}

	/// The market's `on_initialize` in a block with nothing due, `10^e` open leases in state.
	#[benchmark(extra)]
	fn empty_block_at_scale(e: Linear<1, 5>) {
		other_leases::<T>(scale(e));
		let at = now::<T>();
		SweepCursor::<T>::put(at);
		#[block]
		{
			Pallet::<T>::on_initialize(at.into());
		}
		assert_eq!(SweepCursor::<T>::get(), at + 1);
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
