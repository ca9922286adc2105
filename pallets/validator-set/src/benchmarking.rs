//! Benchmarks of `pallet-crucible-validator-set`, worst case: the set one short of full (add) or
//! full (remove), the account at the end of the scan.

use super::*;
use alloc::vec::Vec;
use frame_benchmarking::v2::*;
use frame_support::{
	traits::{Contains, EnsureOrigin},
	BoundedVec,
};
use frame_system::RawOrigin;

#[benchmarks]
mod benchmarks {
	use super::*;

	fn fill<T: Config>(n: u32) {
		let validators: Vec<T::AccountId> =
			(0..n).map(|i| account::<T::AccountId>("validator", i, 0)).collect();
		Validators::<T>::put(BoundedVec::try_from(validators).expect("n <= MaxValidators"));
	}

	#[benchmark]
	fn add_validator(n: Linear<1, { T::MaxValidators::get() - 1 }>) -> Result<(), BenchmarkError> {
		fill::<T>(n);
		let who: T::AccountId = account("new", 0, 0);
		T::BenchmarkHelper::register_session_keys(&who);
		let origin =
			T::UpdateOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(Validators::<T>::get().contains(&who));
		Ok(())
	}

	#[benchmark]
	fn remove_validator(
		n: Linear<{ T::MinValidators::get() + 1 }, { T::MaxValidators::get() }>,
	) -> Result<(), BenchmarkError> {
		fill::<T>(n);
		let who: T::AccountId = account("validator", n - 1, 0);
		let origin =
			T::UpdateOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, who.clone());

		assert!(!Validators::<T>::get().contains(&who));
		Ok(())
	}

	/// The governed set full of others, the caller checked against all of them and against the
	/// session's active and queued validators, then its keys removed.
	#[benchmark]
	fn purge_keys(n: Linear<1, { T::MaxValidators::get() }>) {
		fill::<T>(n);
		let who: T::AccountId = account("leaving", 0, 0);
		T::BenchmarkHelper::register_session_keys(&who);

		#[extrinsic_call]
		_(RawOrigin::Signed(who.clone()));

		assert!(!T::HasSessionKeys::contains(&who));
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
