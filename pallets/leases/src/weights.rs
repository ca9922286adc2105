//! Weights of `pallet_crucible_leases`: ESTIMATES written by hand before the first benchmark
//! run. `make weights` replaces this file with measured weights.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::ParityDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed by `pallet_crucible_leases`.
pub trait WeightInfo {
	fn create_order(m: u32, ) -> Weight;
	fn bid(g: u32, ) -> Weight;
	fn accept_bid(b: u32, ) -> Weight;
	fn cancel_order(b: u32, ) -> Weight;
	fn settle() -> Weight;
	fn withdraw() -> Weight;
	fn top_up() -> Weight;
	fn close_lease() -> Weight;
	fn provider_fault() -> Weight;
	fn set_params() -> Weight;
	fn sweep_idle() -> Weight;
	fn sweep_check_lease() -> Weight;
	fn sweep_close_lease() -> Weight;
	fn sweep_close_bidding(b: u32, ) -> Weight;
}

/// Weights for `pallet_crucible_leases` in the runtime, priced with its `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_order(m: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 10_000)
			.saturating_add(Weight::from_parts(1_000_000, 3_000).saturating_mul(m.into()))
			.saturating_add(T::DbWeight::get().reads(6_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(T::DbWeight::get().reads(2_u64.saturating_mul(m.into())))
	}
	fn bid(g: u32, ) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(2_000_000, 3_000).saturating_mul(g.into()))
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
			.saturating_add(T::DbWeight::get().reads(2_u64.saturating_mul(g.into())))
	}
	fn accept_bid(b: u32, ) -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(Weight::from_parts(40_000_000, 3_000).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(12_u64))
			.saturating_add(T::DbWeight::get().writes(10_u64))
			.saturating_add(T::DbWeight::get().reads(2_u64.saturating_mul(b.into())))
	}
	fn cancel_order(b: u32, ) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(35_000_000, 3_000).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
			.saturating_add(T::DbWeight::get().reads(2_u64.saturating_mul(b.into())))
	}
	fn settle() -> Weight {
		Weight::from_parts(25_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(60_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn top_up() -> Weight {
		Weight::from_parts(70_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(8_u64))
			.saturating_add(T::DbWeight::get().writes(6_u64))
	}
	fn close_lease() -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(14_u64))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
	fn provider_fault() -> Weight {
		Weight::from_parts(170_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(18_u64))
			.saturating_add(T::DbWeight::get().writes(15_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(0_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn sweep_idle() -> Weight {
		Weight::from_parts(4_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(0_u64))
	}
	fn sweep_check_lease() -> Weight {
		Weight::from_parts(30_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn sweep_close_lease() -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(T::DbWeight::get().reads(14_u64))
			.saturating_add(T::DbWeight::get().writes(12_u64))
	}
	fn sweep_close_bidding(b: u32, ) -> Weight {
		Weight::from_parts(150_000_000, 10_000)
			.saturating_add(Weight::from_parts(40_000_000, 3_000).saturating_mul(b.into()))
			.saturating_add(T::DbWeight::get().reads(14_u64))
			.saturating_add(T::DbWeight::get().writes(11_u64))
			.saturating_add(T::DbWeight::get().reads(2_u64.saturating_mul(b.into())))
	}
}

// For the mock runtimes, priced with `ParityDbWeight`.
impl WeightInfo for () {
	fn create_order(m: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 10_000)
			.saturating_add(Weight::from_parts(1_000_000, 3_000).saturating_mul(m.into()))
			.saturating_add(ParityDbWeight::get().reads(6_u64))
			.saturating_add(ParityDbWeight::get().writes(3_u64))
			.saturating_add(ParityDbWeight::get().reads(2_u64.saturating_mul(m.into())))
	}
	fn bid(g: u32, ) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(2_000_000, 3_000).saturating_mul(g.into()))
			.saturating_add(ParityDbWeight::get().reads(8_u64))
			.saturating_add(ParityDbWeight::get().writes(5_u64))
			.saturating_add(ParityDbWeight::get().reads(2_u64.saturating_mul(g.into())))
	}
	fn accept_bid(b: u32, ) -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(Weight::from_parts(40_000_000, 3_000).saturating_mul(b.into()))
			.saturating_add(ParityDbWeight::get().reads(12_u64))
			.saturating_add(ParityDbWeight::get().writes(10_u64))
			.saturating_add(ParityDbWeight::get().reads(2_u64.saturating_mul(b.into())))
	}
	fn cancel_order(b: u32, ) -> Weight {
		Weight::from_parts(80_000_000, 10_000)
			.saturating_add(Weight::from_parts(35_000_000, 3_000).saturating_mul(b.into()))
			.saturating_add(ParityDbWeight::get().reads(8_u64))
			.saturating_add(ParityDbWeight::get().writes(6_u64))
			.saturating_add(ParityDbWeight::get().reads(2_u64.saturating_mul(b.into())))
	}
	fn settle() -> Weight {
		Weight::from_parts(25_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(2_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn withdraw() -> Weight {
		Weight::from_parts(60_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(8_u64))
			.saturating_add(ParityDbWeight::get().writes(5_u64))
	}
	fn top_up() -> Weight {
		Weight::from_parts(70_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(8_u64))
			.saturating_add(ParityDbWeight::get().writes(6_u64))
	}
	fn close_lease() -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(14_u64))
			.saturating_add(ParityDbWeight::get().writes(12_u64))
	}
	fn provider_fault() -> Weight {
		Weight::from_parts(170_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(18_u64))
			.saturating_add(ParityDbWeight::get().writes(15_u64))
	}
	fn set_params() -> Weight {
		Weight::from_parts(10_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(0_u64))
			.saturating_add(ParityDbWeight::get().writes(1_u64))
	}
	fn sweep_idle() -> Weight {
		Weight::from_parts(4_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(1_u64))
			.saturating_add(ParityDbWeight::get().writes(0_u64))
	}
	fn sweep_check_lease() -> Weight {
		Weight::from_parts(30_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(3_u64))
			.saturating_add(ParityDbWeight::get().writes(2_u64))
	}
	fn sweep_close_lease() -> Weight {
		Weight::from_parts(120_000_000, 10_000)
			.saturating_add(ParityDbWeight::get().reads(14_u64))
			.saturating_add(ParityDbWeight::get().writes(12_u64))
	}
	fn sweep_close_bidding(b: u32, ) -> Weight {
		Weight::from_parts(150_000_000, 10_000)
			.saturating_add(Weight::from_parts(40_000_000, 3_000).saturating_mul(b.into()))
			.saturating_add(ParityDbWeight::get().reads(14_u64))
			.saturating_add(ParityDbWeight::get().writes(11_u64))
			.saturating_add(ParityDbWeight::get().reads(2_u64.saturating_mul(b.into())))
	}
}
