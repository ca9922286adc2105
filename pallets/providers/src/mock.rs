//! A test runtime: System, Balances, and the provider registry with the standard catalogue.

use crate as pallet_providers;
use crate::{GpuModel, ProviderParams};
use crucible_primitives::{currency::CRU, providers::WorkerKey, Balance};
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Providers: pallet_providers,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<Balance>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = frame_support::traits::ConstU128<{ CRU / 1000 }>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

pub const TREASURY: u64 = 999;
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
pub const CHARLIE: u64 = 3;
/// An account with too little CRU for the base bond.
pub const POOR: u64 = 4;
/// Devices per provider in the tests.
pub const MAX_DEVICES: u32 = 16;
/// Catalogue ids of the standard catalogue used below.
pub const H100_SXM: u16 = 1;
pub const L40S: u16 = 5;
pub const RTX_4090: u16 = 6;
/// The unbonding period in the tests.
pub const UNBONDING: u32 = 10;
/// The shortest unbonding period `set_params` accepts in the tests.
pub const MIN_UNBONDING: u32 = 2;
/// The grace period of an underbonded provider in the tests.
pub const GRACE: u32 = 5;

parameter_types! {
	pub const Treasury: u64 = TREASURY;
}

impl pallet_providers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MarketOrigin = EnsureRoot<u64>;
	type TreasuryAccount = Treasury;
	type MaxDevices = ConstU32<MAX_DEVICES>;
	type MaxModels = ConstU32<8>;
	type MinUnbondingPeriod = ConstU32<MIN_UNBONDING>;
	type WeightInfo = ();
}

pub fn params() -> ProviderParams {
	ProviderParams {
		unbonding_period: UNBONDING,
		underbonded_grace: GRACE,
		..ProviderParams::production()
	}
}

/// A worker key made from one byte.
pub fn key(n: u8) -> WorkerKey {
	WorkerKey::from_raw([n; 32])
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let balances = vec![
		(ALICE, 1_000_000 * CRU),
		(BOB, 1_000_000 * CRU),
		(CHARLIE, 1_000_000 * CRU),
		(POOR, 500 * CRU),
		(TREASURY, 1_000 * CRU),
	];
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_providers::GenesisConfig::<Test> {
		catalogue: GpuModel::standard_catalogue(),
		params: params(),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Run `f` in a fresh test externality, then check every invariant.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		Providers::do_try_state().expect("invariants hold");
	});
}
