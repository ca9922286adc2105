//! A test runtime: System, Balances, and the BME pallet with five feeders.

use crate as pallet_bme;
use crate::{EmissionParams, MarketParams, OracleParams};
use crucible_primitives::{
	bme::{Credits, Price},
	currency::CRU,
	Balance,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks},
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, FixedPointNumber, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Bme: pallet_bme,
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
pub const FEEDERS: [u64; 5] = [101, 102, 103, 104, 105];
/// The oracle's TWAP window in the tests.
pub const WINDOW: u32 = 4;
/// Blocks per epoch in the tests.
pub const EPOCH: u32 = 10;
/// Most mints settling in one block in the tests.
pub const MAX_PENDING: u32 = 4;

parameter_types! {
	pub const Treasury: u64 = TREASURY;
	pub static Steps: u32 = 8;
}

pub struct StepsPerBlock;
impl frame_support::traits::Get<u32> for StepsPerBlock {
	fn get() -> u32 {
		Steps::get()
	}
}

impl pallet_bme::Config for Test {
	type Currency = Balances;
	type OracleOrigin = EnsureRoot<u64>;
	type EconomicsOrigin = EnsureRoot<u64>;
	type TreasuryAccount = Treasury;
	type MaxFeeders = ConstU32<16>;
	type MaxTwapWindow = ConstU32<600>;
	type BoundaryStepsPerBlock = StepsPerBlock;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxPendingMints = ConstU32<MAX_PENDING>;
	type WeightInfo = ();
}

pub fn oracle_params() -> OracleParams {
	OracleParams { staleness: 10, twap_window: WINDOW, ..OracleParams::production() }
}

pub fn emission_params() -> EmissionParams {
	EmissionParams {
		epoch_length: EPOCH,
		decay: Perbill::zero(),
		subnet_pot_cap: 1_000 * CRU,
		..EmissionParams::production()
	}
}

/// A price of `usd_milli` thousandths of a dollar per CRU.
pub fn usd(usd_milli: u128) -> Price {
	Price::saturating_from_rational(usd_milli, 1000)
}

pub fn credits(n: u128) -> Credits {
	Credits::from_credits(n)
}

/// Standard market parameters, mints settling in the call (the tests of the delayed
/// settlement set a delay themselves).
pub fn market_params() -> MarketParams {
	MarketParams { mint_delay: 0, ..MarketParams::standard() }
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	ext_with(market_params())
}

pub fn ext_with(market: MarketParams) -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(u64, Balance)> =
		vec![(ALICE, 1_000_000 * CRU), (BOB, 1_000_000 * CRU), (CHARLIE, 1_000 * CRU)];
	balances.push((TREASURY, 1_000 * CRU));
	balances.extend(FEEDERS.iter().map(|f| (*f, 10 * CRU)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_bme::GenesisConfig::<Test> {
		feeders: FEEDERS.to_vec(),
		oracle: oracle_params(),
		market,
		emission: emission_params(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext: sp_io::TestExternalities = storage.into();
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Runs `on_initialize` for every block up to `n`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Bme::on_initialize(next);
	}
}

/// Every feeder submits `price` in the current block.
pub fn feed_all(price: Price) {
	for f in FEEDERS {
		Bme::submit_price(RuntimeOrigin::signed(f), price).unwrap();
	}
}

/// Feeds `price` each block until the TWAP window is clean and the price live.
pub fn make_live(price: Price) {
	for _ in 0..=WINDOW {
		feed_all(price);
		run_to(System::block_number() + 1);
	}
	assert!(Bme::usable_prices().is_ok(), "oracle should be live");
}

/// Feeds `price` every block for `blocks` blocks.
pub fn feed_for(price: Price, blocks: u64) {
	for _ in 0..blocks {
		feed_all(price);
		run_to(System::block_number() + 1);
	}
}

/// Runs to the end of the current boundary batch, feeding `price` every block.
pub fn finish_boundaries(price: Price) {
	while crate::Boundary::<Test>::exists() {
		feed_for(price, 1);
	}
}

pub fn events() -> Vec<pallet_bme::Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| if let RuntimeEvent::Bme(e) = r.event { Some(e) } else { None })
		.collect()
}
