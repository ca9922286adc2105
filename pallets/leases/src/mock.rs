//! A test runtime: System, Balances, the real BME ledger (oracle live at $1 per CRU), the real
//! provider registry (standard catalogue), and the lease market.

use crate as pallet_leases;
use crate::{LeaseParams, Request};
use crucible_primitives::{
	bme::{Credits, Price},
	currency::CRU,
	providers::{DeviceId, WorkerKey},
	Balance,
};
use frame_support::{
	derive_impl, parameter_types,
	traits::{ConstU32, Hooks},
	BoundedVec,
};
use frame_system::EnsureRoot;
use sp_runtime::{BuildStorage, FixedPointNumber, Perbill};

type Block = frame_system::mocking::MockBlock<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Bme: pallet_crucible_bme,
		Providers: pallet_crucible_providers,
		Leases: pallet_leases,
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
/// Tenants.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// Providers.
pub const PROV_A: u64 = 11;
pub const PROV_B: u64 = 12;
pub const PROV_C: u64 = 13;
/// Neither tenant nor provider.
pub const EVE: u64 = 66;
pub const FEEDERS: [u64; 5] = [101, 102, 103, 104, 105];
/// Catalogue ids of the standard catalogue.
pub const H100_SXM: u16 = 1;
pub const A100: u16 = 4;
pub const RTX_4090: u16 = 6;
/// Storage bounds of the mock market.
pub const MAX_BIDS: u32 = 16;
pub const MAX_GPUS: u32 = 8;
pub const SWEEP_PER_BLOCK: u32 = 4;
/// The low-funds horizon in the tests.
pub const HORIZON: u32 = 5;
/// Compensation per GPU for a fault.
pub const COMPENSATION: Balance = 50 * CRU;
/// The bid deposit.
pub const DEPOSIT: Balance = 10 * CRU;
/// The order deposit in the tests.
pub const ORDER_DEPOSIT: Balance = 5 * CRU;

parameter_types! {
	pub const Treasury: u64 = TREASURY;
}

impl pallet_crucible_bme::Config for Test {
	type Currency = Balances;
	type OracleOrigin = EnsureRoot<u64>;
	type EconomicsOrigin = EnsureRoot<u64>;
	type TreasuryAccount = Treasury;
	type MaxFeeders = ConstU32<16>;
	type MaxTwapWindow = ConstU32<600>;
	type BoundaryStepsPerBlock = ConstU32<8>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MaxPendingMints = ConstU32<8>;
	type WeightInfo = ();
}

impl pallet_crucible_providers::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MarketOrigin = EnsureRoot<u64>;
	type TreasuryAccount = Treasury;
	type MaxDevices = ConstU32<16>;
	type MaxModels = ConstU32<8>;
	type MinUnbondingPeriod = ConstU32<1>;
	type WeightInfo = ();
}

impl pallet_leases::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Ledger = Bme;
	type Registry = Providers;
	type Reputation = Providers;
	type Slashing = Providers;
	type MarketOrigin = EnsureRoot<u64>;
	type FaultOrigin = EnsureRoot<u64>;
	type MaxModelsPerOrder = ConstU32<4>;
	type MaxGpusPerOrder = ConstU32<MAX_GPUS>;
	type MaxBidsPerOrder = ConstU32<MAX_BIDS>;
	type SweepPerBlock = ConstU32<SWEEP_PER_BLOCK>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchHelper;
}

/// Benchmark set-up through the real ledger and registry.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchHelper;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<u64> for BenchHelper {
	fn fund(who: &u64, credits: Credits) {
		Bme::benchmark_fund(who, credits);
	}
	fn models(n: u32) -> Vec<u16> {
		Providers::benchmark_models(n)
	}
	fn provider(who: &u64, models: &[u16], count: u32) {
		Providers::benchmark_provider(who, models, count);
	}
	fn max_devices() -> u32 {
		use frame_support::traits::Get;
		<Test as pallet_crucible_providers::Config>::MaxDevices::get()
	}
}

pub fn lease_params() -> LeaseParams {
	LeaseParams {
		bid_deposit: DEPOSIT,
		max_bids: 4,
		min_bid_window: 2,
		max_bid_window: 50,
		max_duration: 10_000,
		low_funds_horizon: HORIZON,
		fault_compensation_per_gpu: COMPENSATION,
		order_deposit: ORDER_DEPOSIT,
		// Every lease counts for reputation here; `reputation_needs_a_long_enough_paid_lease`
		// sets the minimums.
		reputation_min_blocks: 0,
		reputation_min_paid: Credits::ZERO,
	}
}

/// `n` whole credits.
pub fn credits(n: u128) -> Credits {
	Credits::from_credits(n)
}

/// A worker key made from one byte.
pub fn key(n: u8) -> WorkerKey {
	WorkerKey::from_raw([n; 32])
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	let mut balances: Vec<(u64, Balance)> =
		[ALICE, BOB, PROV_A, PROV_B, PROV_C, EVE].iter().map(|a| (*a, 1_000_000 * CRU)).collect();
	balances.push((TREASURY, 1_000 * CRU));
	balances.extend(FEEDERS.iter().map(|f| (*f, 10 * CRU)));
	pallet_balances::GenesisConfig::<Test> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_crucible_bme::GenesisConfig::<Test> {
		feeders: FEEDERS.to_vec(),
		oracle: pallet_crucible_bme::OracleParams {
			staleness: 1_000_000,
			twap_window: 2,
			..pallet_crucible_bme::OracleParams::production()
		},
		// Mints settle in the call: the market's tests buy credits and spend them at once (the
		// BME's tests cover the delayed settlement).
		market: pallet_crucible_bme::MarketParams {
			mint_delay: 0,
			..pallet_crucible_bme::MarketParams::standard()
		},
		emission: pallet_crucible_bme::EmissionParams {
			epoch_length: 1_000_000,
			decay: Perbill::zero(),
			..pallet_crucible_bme::EmissionParams::production()
		},
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_crucible_providers::GenesisConfig::<Test> {
		catalogue: pallet_crucible_providers::GpuModel::standard_catalogue(),
		params: pallet_crucible_providers::ProviderParams {
			unbonding_period: 5,
			..pallet_crucible_providers::ProviderParams::production()
		},
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_leases::GenesisConfig::<Test> { params: lease_params(), _config: Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		// Make the oracle live at $1 per CRU.
		for _ in 0..4 {
			for f in FEEDERS {
				Bme::submit_price(RuntimeOrigin::signed(f), Price::saturating_from_integer(1))
					.unwrap();
			}
			run_to(System::block_number() + 1);
		}
	});
	ext
}

/// Runs every pallet's `on_initialize` (and the market's `on_idle` with no room) up to
/// block `n`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		System::set_block_number(next);
		Bme::on_initialize(next);
		Leases::on_initialize(next);
	}
}

/// Advance `blocks` blocks.
pub fn advance(blocks: u64) {
	run_to(System::block_number() + blocks);
}

/// The current block as the market counts it.
pub fn now() -> u32 {
	System::block_number() as u32
}

/// Buy credits worth `cru` CRU for `who` (about one credit per CRU at $1, less the spread);
/// returns the credits bought.
pub fn buy(who: u64, cru: Balance) -> Credits {
	use crucible_primitives::bme::CreditLedger;
	let before = <Bme as CreditLedger<u64>>::purchased(&who);
	Bme::mint_credits(RuntimeOrigin::signed(who), cru, Credits::ZERO).unwrap();
	<Bme as CreditLedger<u64>>::purchased(&who).saturating_sub(before)
}

/// Register `who` as a provider in `region` with `count` devices of `model`.
pub fn provider(who: u64, region: &str, model: u16, count: u32) {
	Providers::register_provider(
		RuntimeOrigin::signed(who),
		b"https://worker.example.com".to_vec(),
		region.as_bytes().to_vec(),
		key(who as u8),
		Default::default(),
	)
	.unwrap();
	Providers::add_devices(RuntimeOrigin::signed(who), model, count).unwrap();
}

/// A request for `gpus` GPUs of `models` with at least `vram` MiB.
pub fn request(models: &[u16], vram: u32, gpus: u32) -> Request<ConstU32<4>> {
	Request { models: models.to_vec().try_into().unwrap(), min_vram_mib: vram, gpus, region: None }
}

/// Device ids as a bid takes them.
pub fn ids(ids: &[DeviceId]) -> BoundedVec<DeviceId, ConstU32<MAX_GPUS>> {
	ids.to_vec().try_into().unwrap()
}

/// Run `f` in a fresh test externality, then check every pallet's invariants.
pub fn test(f: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		f();
		check();
	});
}

/// Every pallet's invariants.
pub fn check() {
	Leases::do_try_state().expect("market invariants hold");
	Providers::do_try_state().expect("registry invariants hold");
	Bme::do_try_state().expect("ledger invariants hold");
	// Every account's deposit holds, not only those of accounts with open orders and bids
	// (which is all `try_state` can reach without iterating the balances pallet).
	let held = |reason: pallet_leases::HoldReason| {
		let reason: RuntimeHoldReason = reason.into();
		pallet_balances::Holds::<Test>::iter_values()
			.flat_map(|holds| holds.into_iter())
			.filter(|h| h.id == reason)
			.fold(0u128, |acc, h| acc + h.amount)
	};
	let orders: u128 = pallet_leases::Orders::<Test>::iter_values().map(|o| o.deposit).sum();
	let bids: u128 = pallet_leases::Bids::<Test>::iter_values()
		.flat_map(|bids| bids.into_iter())
		.map(|b| b.deposit)
		.sum();
	assert_eq!(held(pallet_leases::HoldReason::OrderDeposit), orders, "order deposits held");
	assert_eq!(held(pallet_leases::HoldReason::BidDeposit), bids, "bid deposits held");
}
