//! Weights of `pallet-crucible-validator-set`.
//!
//! Both calls scan a `BoundedVec` of at most `MaxValidators` accounts; the weight is charged for
//! the full bound. These figures are not yet measured: they count the storage accesses (priced
//! with the runtime's `DbWeight`) and add a compute allowance per call and per validator. The
//! FRAME benchmarks in `benchmarking.rs` run as tests (`make test-benchmarks`); generating this
//! file from them needs the benchmark CLI in a feature-gated node build, which is not wired yet.

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, Weight},
};

/// Weight functions needed by this pallet.
pub trait WeightInfo {
	/// `add_validator` with `n` validators already in the set.
	fn add_validator(n: u32) -> Weight;
	/// `remove_validator` with `n` validators in the set.
	fn remove_validator(n: u32) -> Weight;
}

/// Weights for the runtime, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// Storage: `Session::NextKeys` (r:1), `ValidatorSet::Validators` (r:1 w:1),
	/// `ValidatorSet::PendingChange` (w:1).
	fn add_validator(n: u32) -> Weight {
		Weight::from_parts(12_000_000, 1_600)
			.saturating_add(Weight::from_parts(40_000, 32).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2))
			.saturating_add(T::DbWeight::get().writes(2))
	}
	/// Storage: `ValidatorSet::Validators` (r:1 w:1), `ValidatorSet::PendingChange` (w:1).
	fn remove_validator(n: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_600)
			.saturating_add(Weight::from_parts(40_000, 32).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1))
			.saturating_add(T::DbWeight::get().writes(2))
	}
}

/// For tests: the same formula priced with ParityDB's weights.
impl WeightInfo for () {
	fn add_validator(n: u32) -> Weight {
		Weight::from_parts(12_000_000, 1_600)
			.saturating_add(Weight::from_parts(40_000, 32).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(2))
			.saturating_add(ParityDbWeight::get().writes(2))
	}
	fn remove_validator(n: u32) -> Weight {
		Weight::from_parts(10_000_000, 1_600)
			.saturating_add(Weight::from_parts(40_000, 32).saturating_mul(n.into()))
			.saturating_add(ParityDbWeight::get().reads(1))
			.saturating_add(ParityDbWeight::get().writes(2))
	}
}
