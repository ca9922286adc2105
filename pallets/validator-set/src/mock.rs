//! A runtime with just this pallet, for its unit tests.

use crate as pallet_validator_set;
use frame_support::{derive_impl, parameter_types};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		ValidatorSet: pallet_validator_set,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

parameter_types! {
	/// Accounts pallet-session has among its active validators or queued keys.
	pub storage InSession: Vec<u64> = vec![];
	/// Accounts whose keys were purged.
	pub storage Purged: Vec<u64> = vec![];
}

/// Every account has session keys except account 100 and those purged.
pub struct HasKeys;
impl frame_support::traits::Contains<u64> for HasKeys {
	fn contains(who: &u64) -> bool {
		*who != 100 && !Purged::get().contains(who)
	}
}

/// A stand-in for pallet-session: [`InSession`] and [`Purged`].
pub struct MockSession;
impl crate::SessionKeyManager<u64> for MockSession {
	fn in_session(who: &u64) -> bool {
		InSession::get().contains(who)
	}
	fn purge(who: &u64) -> frame_support::dispatch::DispatchResult {
		use frame_support::traits::Contains;
		frame_support::ensure!(HasKeys::contains(who), "no keys");
		let mut purged = Purged::get();
		purged.push(*who);
		Purged::set(&purged);
		Ok(())
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for HasKeys {
	fn register_session_keys(_who: &u64) {}
}

parameter_types! {
	pub const MaxValidators: u32 = 4;
	pub const MinValidators: u32 = 2;
}

impl pallet_validator_set::Config for Test {
	type UpdateOrigin = EnsureRoot<u64>;
	type HasSessionKeys = HasKeys;
	type SessionKeys = MockSession;
	type MaxValidators = MaxValidators;
	type MinValidators = MinValidators;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = HasKeys;
}

/// Genesis: validators 1 and 2, sessions of 5 blocks.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_validator_set::GenesisConfig::<Test> { validators: vec![1, 2], session_length: 5 }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}
