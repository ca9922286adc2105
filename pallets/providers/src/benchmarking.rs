//! Benchmarks of `pallet-crucible-providers`: every call and trait operation on its worst
//! path — a provider with the most devices, spread over as many catalogue models as exist
//! (one supply-counter write per model), and inputs at their length bounds.

use super::*;

use alloc::vec::Vec;
use crucible_primitives::{
	currency::CRU,
	providers::{
		DeviceId, DeviceUse, GpuClass, GpuInterface, GpuModelId, GpuVendor, ProviderStatus,
		ReputationEvent, SlashReason, WorkerKey,
	},
};
use frame_benchmarking::v2::*;
use frame_support::traits::{
	fungible::{Inspect, Mutate},
	EnsureOrigin, Get,
};
use frame_system::RawOrigin;
use sp_runtime::{traits::UniqueSaturatedInto, Perbill};

fn funded<T: Config>(name: &'static str, i: u32) -> T::AccountId {
	let who: T::AccountId = account(name, i, 0);
	T::Currency::set_balance(&who, 1_000_000_000 * CRU);
	who
}

fn worker_key(i: u32) -> WorkerKey {
	let mut raw = [7u8; 32];
	raw[..4].copy_from_slice(&i.to_le_bytes());
	WorkerKey::from_raw(raw)
}

/// The longest valid endpoint: every byte is checked.
fn long_endpoint() -> Vec<u8> {
	let url = alloc::format!(
		"https://{}.{}:65535/{}",
		"a".repeat(63),
		"b".repeat(40),
		"p".repeat((MAX_ENDPOINT_LEN as usize) - 8 - 63 - 1 - 40 - 6 - 1)
	);
	assert_eq!(url.len(), MAX_ENDPOINT_LEN as usize);
	url.into_bytes()
}

fn bench_model() -> GpuModel {
	GpuModel::new(
		GpuVendor::Nvidia,
		"Benchmark GPU",
		81_920,
		GpuInterface::Sxm,
		1_979,
		GpuClass::Datacenter,
	)
}

/// Fill the catalogue to `MaxModels`; returns every model id.
fn full_catalogue<T: Config>() -> Vec<GpuModelId> {
	let mut next: GpuModelId = 10_000;
	while Catalogue::<T>::count() < T::MaxModels::get() {
		if !Catalogue::<T>::contains_key(next) {
			Catalogue::<T>::insert(next, bench_model());
		}
		next += 1;
	}
	let mut ids: Vec<_> = Catalogue::<T>::iter_keys().collect();
	ids.sort();
	ids
}

/// A registered provider with the longest endpoint and metadata.
fn provider<T: Config>(i: u32) -> T::AccountId {
	let who = funded::<T>("provider", i);
	Pallet::<T>::register_provider(
		RawOrigin::Signed(who.clone()).into(),
		long_endpoint(),
		b"eu-central-1".to_vec(),
		worker_key(i),
		alloc::vec![b'm'; MAX_METADATA_LEN as usize],
	)
	.expect("registers");
	who
}

/// Give `who` `n` devices, one model after another over the whole catalogue.
fn add_spread<T: Config>(who: &T::AccountId, n: u32) {
	let models = full_catalogue::<T>();
	for i in 0..n {
		let model = models[i as usize % models.len()];
		Pallet::<T>::add_devices(RawOrigin::Signed(who.clone()).into(), model, 1).expect("adds");
	}
}

fn device_ids<T: Config>(who: &T::AccountId) -> Vec<DeviceId> {
	Devices::<T>::get(who).iter().map(|d| d.id).collect()
}

fn market_origin<T: Config>() -> Result<T::RuntimeOrigin, BenchmarkError> {
	T::MarketOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn register_provider() {
		let who = funded::<T>("provider", 0);
		#[extrinsic_call]
		_(
			RawOrigin::Signed(who.clone()),
			long_endpoint(),
			b"eu-central-1".to_vec(),
			worker_key(0),
			alloc::vec![b'm'; MAX_METADATA_LEN as usize],
		);
		assert!(Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn add_devices(n: Linear<1, { T::MaxDevices::get() }>) {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get() - n);
		let model = full_catalogue::<T>()[0];
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), model, n);
		assert_eq!(Devices::<T>::get(&who).len() as u32, T::MaxDevices::get());
	}

	#[benchmark]
	fn remove_devices(n: Linear<1, { T::MaxDevices::get() }>) {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		let ids: Vec<DeviceId> = device_ids::<T>(&who).into_iter().rev().take(n as usize).collect();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), ids);
		assert_eq!(Devices::<T>::get(&who).len() as u32, T::MaxDevices::get() - n);
	}

	#[benchmark]
	fn set_endpoint() {
		let who = provider::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who), long_endpoint());
	}

	#[benchmark]
	fn rotate_worker_key() {
		let who = provider::<T>(0);
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), worker_key(1));
		assert_eq!(WorkerKeys::<T>::get(worker_key(1)), Some(who));
	}

	#[benchmark]
	fn deregister() {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(matches!(
			Providers::<T>::get(&who).map(|p| p.status),
			Some(ProviderStatus::Unbonding { .. })
		));
	}

	#[benchmark]
	fn withdraw_bond() {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		Pallet::<T>::deregister(RawOrigin::Signed(who.clone()).into()).expect("deregisters");
		let period = Params::<T>::get().unbonding_period;
		let now: u32 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		frame_system::Pallet::<T>::set_block_number((now + period).into());
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));
		assert!(!Providers::<T>::contains_key(&who));
	}

	#[benchmark]
	fn top_up_bond() {
		let who = provider::<T>(0);
		let before = Providers::<T>::get(&who).map(|p| p.held).unwrap_or_default();
		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()), CRU);
		assert_eq!(Providers::<T>::get(&who).map(|p| p.held), Some(before + CRU));
	}

	/// A provider with the most devices spread over the catalogue (one free counter written
	/// per model), slashed below the ratio and past its grace.
	#[benchmark]
	fn suspend_underbonded() {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		let held = Providers::<T>::get(&who).map(|p| p.held).unwrap_or_default();
		<Pallet<T> as Slashing<T::AccountId>>::slash(&who, held / 2, None, SlashReason::Fraud)
			.expect("slashes");
		let grace = Params::<T>::get().underbonded_grace;
		let now: u32 = frame_system::Pallet::<T>::block_number().unique_saturated_into();
		frame_system::Pallet::<T>::set_block_number((now + grace).into());
		let caller: T::AccountId = account("anyone", 0, 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), who.clone());
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(ProviderStatus::Suspended));
	}

	#[benchmark]
	fn set_params() -> Result<(), BenchmarkError> {
		let origin = market_origin::<T>()?;
		let period = T::MinUnbondingPeriod::get().saturating_add(77);
		// A new bond ratio: the block it applies from is written too.
		let ratio = match Params::<T>::get().min_bond_ratio == Perbill::from_percent(80) {
			true => Perbill::from_percent(85),
			false => Perbill::from_percent(80),
		};
		let params = ProviderParams {
			unbonding_period: period,
			min_bond_ratio: ratio,
			..ProviderParams::production()
		};
		frame_system::Pallet::<T>::set_block_number(5u32.into());
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, params);
		assert_eq!(Params::<T>::get(), params);
		assert_eq!(BondRatioSince::<T>::get(), 5);
		Ok(())
	}

	#[benchmark]
	fn set_model() -> Result<(), BenchmarkError> {
		// A new entry into a catalogue one short of full: the count is read and written.
		full_catalogue::<T>();
		let last = Catalogue::<T>::iter_keys().max().expect("not empty");
		Catalogue::<T>::remove(last);
		let origin = market_origin::<T>()?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, last, bench_model());
		assert!(Catalogue::<T>::contains_key(last));
		Ok(())
	}

	#[benchmark]
	fn remove_model() -> Result<(), BenchmarkError> {
		let ids = full_catalogue::<T>();
		let origin = market_origin::<T>()?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, ids[0]);
		assert!(!Catalogue::<T>::contains_key(ids[0]));
		Ok(())
	}

	#[benchmark]
	fn suspend() -> Result<(), BenchmarkError> {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		let origin = market_origin::<T>()?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), alloc::vec![b'r'; MAX_REASON_LEN as usize]);
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(ProviderStatus::Suspended));
		Ok(())
	}

	#[benchmark]
	fn reinstate() -> Result<(), BenchmarkError> {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		let origin = market_origin::<T>()?;
		Pallet::<T>::suspend(origin.clone(), who.clone(), b"audit".to_vec())
			.map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone(), alloc::vec![b'r'; MAX_REASON_LEN as usize]);
		assert_eq!(Providers::<T>::get(&who).map(|p| p.status), Some(ProviderStatus::Active));
		Ok(())
	}

	/// `ProviderRegistry::reserve` (the costliest of reserve / rebind / release: it also
	/// reads the status) of `n` devices spread over the catalogue.
	#[benchmark]
	fn move_devices(n: Linear<1, { T::MaxDevices::get() }>) {
		let who = provider::<T>(0);
		add_spread::<T>(&who, T::MaxDevices::get());
		let ids: Vec<DeviceId> = device_ids::<T>(&who).into_iter().take(n as usize).collect();
		#[block]
		{
			<Pallet<T> as ProviderRegistry<T::AccountId>>::reserve(
				&who,
				&ids,
				DeviceUse::Offered(1),
			)
			.expect("reserves");
		}
	}

	#[benchmark]
	fn record_reputation() {
		let who = provider::<T>(0);
		#[block]
		{
			<Pallet<T> as Reputation<T::AccountId>>::record(&who, ReputationEvent::LeaseFaulted);
		}
		assert_eq!(Providers::<T>::get(&who).map(|p| p.reputation.leases_faulted), Some(1));
	}

	/// The worst slash: the named beneficiary is a new account that cannot receive so little
	/// (below the existential deposit), so the transfer is tried, rolled back, and made to the
	/// treasury instead.
	#[benchmark]
	fn slash() {
		let who = provider::<T>(0);
		let beneficiary: T::AccountId = account("tenant", 0, 0);
		let amount = T::Currency::minimum_balance().saturating_sub(1).max(1);
		#[block]
		{
			<Pallet<T> as Slashing<T::AccountId>>::slash(
				&who,
				amount,
				Some(&beneficiary),
				SlashReason::LeaseFault(1),
			)
			.expect("slashes");
		}
		assert_eq!(Providers::<T>::get(&who).map(|p| p.slashed_total), Some(amount));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
