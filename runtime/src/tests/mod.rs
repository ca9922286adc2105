//! Runtime-level tests: where fees and dust go, the governance track table, the call filter and
//! the root-only calls ([`calls`]), the treasury that is never reaped, leaving the validator set.

mod calls;

use crate::{
	configs::ToTreasury,
	genesis_config_presets::treasury_account,
	governance::{
		tracks::{FAST_PERIODS, GENERAL_ADMIN, MARKET_ADMIN, ORACLE_ADMIN, ROOT, TREASURER},
		CrucibleOrigin, TrackTiming, TracksInfo,
	},
	AccountId, Balances, OriginCaller, Runtime, RuntimeCall, RuntimeOrigin, System,
};
use crucible_primitives::{
	currency::{CRU, EXISTENTIAL_DEPOSIT, MILLI_CRU},
	time::DAYS,
};
use frame_support::{assert_noop, assert_ok, dispatch::DispatchInfo, traits::fungible::Inspect};
use pallet_referenda::TracksInfo as _;
use pallet_transaction_payment::{FungibleAdapter, OnChargeTransaction};
use sp_keyring::Sr25519Keyring;
use sp_runtime::BuildStorage;

fn alice() -> AccountId {
	Sr25519Keyring::Alice.to_account_id()
}
fn bob() -> AccountId {
	Sr25519Keyring::Bob.to_account_id()
}

fn ext(timing: TrackTiming) -> sp_io::TestExternalities {
	let mut t = frame_system::GenesisConfig::<Runtime>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Runtime> {
		balances: vec![(alice(), 1_000 * CRU), (treasury_account(), 10 * CRU)],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.unwrap();
	pallet_crucible_origins::GenesisConfig::<Runtime> { timing, _config: Default::default() }
		.assimilate_storage(&mut t)
		.unwrap();
	let mut ext: sp_io::TestExternalities = t.into();
	ext.execute_with(|| frame_system::Pallet::<Runtime>::set_block_number(1));
	ext
}

#[test]
fn fees_and_tips_go_to_the_treasury_and_issuance_is_unchanged() {
	ext(TrackTiming::Production).execute_with(|| {
		let issuance = Balances::total_issuance();
		let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let info = DispatchInfo::default();
		let (fee, tip) = (3 * MILLI_CRU, MILLI_CRU);
		type Adapter = FungibleAdapter<Balances, ToTreasury>;
		let liquidity = <Adapter as OnChargeTransaction<Runtime>>::withdraw_fee(
			&alice(),
			&call,
			&info,
			fee + tip,
			tip,
		)
		.unwrap();
		// The actual fee is lower than the estimate: the difference is refunded.
		let post = Default::default();
		<Adapter as OnChargeTransaction<Runtime>>::correct_and_deposit_fee(
			&alice(),
			&info,
			&post,
			fee + tip - MILLI_CRU,
			tip,
			liquidity,
		)
		.unwrap();
		assert_eq!(Balances::free_balance(alice()), 1_000 * CRU - fee);
		assert_eq!(Balances::free_balance(treasury_account()), 10 * CRU + fee);
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn dust_of_a_reaped_account_goes_to_the_treasury() {
	ext(TrackTiming::Production).execute_with(|| {
		let issuance = Balances::total_issuance();
		// Leave Alice with less than the existential deposit: her account is reaped.
		let keep = EXISTENTIAL_DEPOSIT / 2;
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(alice()),
			bob().into(),
			1_000 * CRU - keep
		));
		assert_eq!(Balances::free_balance(alice()), 0);
		assert_eq!(Balances::free_balance(treasury_account()), 10 * CRU + keep);
		assert_eq!(<Balances as Inspect<AccountId>>::total_issuance(), issuance);
	});
}

#[test]
fn tracks_are_sorted_and_map_one_to_one_to_origins() {
	ext(TrackTiming::Production).execute_with(|| {
		assert_ok!(TracksInfo::check_integrity());
		let root = OriginCaller::system(frame_system::RawOrigin::Root);
		assert_eq!(TracksInfo::track_for(&root), Ok(ROOT));
		let admin = OriginCaller::Origins(CrucibleOrigin::GeneralAdmin);
		assert_eq!(TracksInfo::track_for(&admin), Ok(GENERAL_ADMIN));
		let treasurer = OriginCaller::Origins(CrucibleOrigin::Treasurer);
		assert_eq!(TracksInfo::track_for(&treasurer), Ok(TREASURER));
		let oracle = OriginCaller::Origins(CrucibleOrigin::OracleAdmin);
		assert_eq!(TracksInfo::track_for(&oracle), Ok(ORACLE_ADMIN));
		let market = OriginCaller::Origins(CrucibleOrigin::MarketAdmin);
		assert_eq!(TracksInfo::track_for(&market), Ok(MARKET_ADMIN));
		let signed = OriginCaller::system(frame_system::RawOrigin::Signed(alice()));
		assert_eq!(TracksInfo::track_for(&signed), Err(()));
	});
}

#[test]
fn production_timing_uses_days_and_fast_timing_uses_blocks() {
	ext(TrackTiming::Production).execute_with(|| {
		let root = TracksInfo::info(ROOT).unwrap();
		assert_eq!(root.decision_period, 14 * DAYS);
		assert_eq!(root.confirm_period, DAYS);
	});
	ext(TrackTiming::Fast).execute_with(|| {
		for id in [ROOT, GENERAL_ADMIN, TREASURER, ORACLE_ADMIN, MARKET_ADMIN] {
			let track = TracksInfo::info(id).unwrap();
			assert_eq!(track.prepare_period, FAST_PERIODS.prepare);
			assert_eq!(track.decision_period, FAST_PERIODS.decision);
			assert_eq!(track.confirm_period, FAST_PERIODS.confirm);
			assert_eq!(track.min_enactment_period, FAST_PERIODS.min_enactment);
		}
		// Submitted, prepared, decided, confirmed and enacted within 3 minutes of 6 s blocks.
		let p = FAST_PERIODS;
		assert!(p.prepare + p.decision + p.min_enactment <= 30);
	});
}

/// The dev chain's genesis, built as the node builds it (the preset patched over the default
/// genesis config), at block 1.
pub(crate) fn dev_ext() -> sp_io::TestExternalities {
	preset_ext(crate::genesis_config_presets::development_config_genesis())
}

/// A fresh chain from genesis `preset` (a preset's JSON patch), at block 1.
pub(crate) fn preset_ext(preset: serde_json::Value) -> sp_io::TestExternalities {
	let mut ext = sp_io::TestExternalities::default();
	ext.execute_with(|| {
		fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
			match (base, patch) {
				(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
					for (k, v) in patch {
						merge(base.entry(k).or_insert(serde_json::Value::Null), v);
					}
				}
				(base, patch) => *base = patch,
			}
		}
		let mut config = serde_json::to_value(crate::RuntimeGenesisConfig::default()).unwrap();
		merge(&mut config, preset);
		frame_support::genesis_builder_helper::build_state::<crate::RuntimeGenesisConfig>(
			serde_json::to_vec(&config).unwrap(),
		)
		.unwrap();
		frame_system::Pallet::<Runtime>::set_block_number(1);
	});
	ext
}

#[test]
fn every_issuance_change_on_the_dev_chain_has_a_counted_cause() {
	dev_ext().execute_with(|| {
		let issuance = Balances::total_issuance();
		assert_eq!(pallet_crucible_bme::GenesisIssuance::<Runtime>::get(), issuance);
		assert_eq!(
			pallet_crucible_bme::Feeders::<Runtime>::get()[0].who,
			Sr25519Keyring::Ferdie.to_account_id()
		);
		assert_ok!(crate::Bme::do_try_state());
		// Fees go to the treasury: the BME counts nothing for them and its invariant holds.
		type Adapter = FungibleAdapter<Balances, ToTreasury>;
		let call = RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
		let info = DispatchInfo::default();
		let liquidity = <Adapter as OnChargeTransaction<Runtime>>::withdraw_fee(
			&alice(),
			&call,
			&info,
			MILLI_CRU,
			0,
		)
		.unwrap();
		<Adapter as OnChargeTransaction<Runtime>>::correct_and_deposit_fee(
			&alice(),
			&info,
			&Default::default(),
			MILLI_CRU,
			0,
			liquidity,
		)
		.unwrap();
		assert_eq!(Balances::total_issuance(), issuance);
		assert_ok!(crate::Bme::do_try_state());
	});
}

#[test]
fn a_spend_of_the_whole_treasury_leaves_it_alive_and_the_identity_exact() {
	use frame_support::traits::{Hooks, UnfilteredDispatchable};
	dev_ext().execute_with(|| {
		let treasury = treasury_account();
		let whole = Balances::balance(&treasury);
		assert!(whole > EXISTENTIAL_DEPOSIT, "the dev treasury is funded");
		let issuance = Balances::total_issuance();
		let spend = |amount| {
			let index = pallet_treasury::SpendCount::<Runtime>::get();
			assert_ok!(pallet_treasury::Call::<Runtime>::spend {
				asset_kind: Box::new(()),
				amount,
				beneficiary: Box::new(bob()),
				valid_from: None,
			}
			.dispatch_bypass_filter(RuntimeOrigin::root()));
			index
		};
		// The whole treasury: the payout fails and the treasury stays.
		let all = spend(whole);
		assert!(crate::Treasury::payout(RuntimeOrigin::signed(alice()), all).is_err());
		assert_eq!(Balances::balance(&treasury), whole);
		// All it can pay keeping alive: paid; the existential deposit stays.
		let most = spend(whole - EXISTENTIAL_DEPOSIT);
		assert_ok!(crate::Treasury::payout(RuntimeOrigin::signed(alice()), most));
		assert_eq!(Balances::balance(&treasury), EXISTENTIAL_DEPOSIT);
		assert!(frame_system::Pallet::<Runtime>::account_exists(&treasury));
		// Dust below the existential deposit still lands in it, counted by nothing, changing
		// nothing.
		let dust = EXISTENTIAL_DEPOSIT / 3;
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(bob()),
			alice().into(),
			Balances::balance(&bob()) - dust
		));
		assert_eq!(Balances::balance(&treasury), EXISTENTIAL_DEPOSIT + dust);
		assert_eq!(Balances::total_issuance(), issuance);
		crate::Treasury::on_initialize(2);
		assert_ok!(crate::Bme::do_try_state());
	});
}

#[test]
fn a_validator_cannot_purge_its_session_keys_and_a_former_one_can() {
	dev_ext().execute_with(|| {
		let validator = alice();
		assert!(pallet_session::Validators::<Runtime>::get().contains(&validator));
		assert_eq!(
			crate::ValidatorSet::purge_keys(RuntimeOrigin::signed(validator.clone())),
			Err(pallet_crucible_validator_set::Error::<Runtime>::StillValidator.into())
		);
		assert!(pallet_session::NextKeys::<Runtime>::contains_key(&validator));
		// Bob registers keys, never becomes a validator, and leaves with his deposit.
		let keys = crate::SessionKeys {
			aura: sp_consensus_aura::sr25519::AuthorityId::from(Sr25519Keyring::Bob.public()),
			grandpa: sp_consensus_grandpa::AuthorityId::from(
				sp_keyring::Ed25519Keyring::Bob.public(),
			),
		};
		pallet_session::NextKeys::<Runtime>::insert(bob(), keys);
		let before = Balances::balance(&bob());
		assert_ok!(crate::ValidatorSet::purge_keys(RuntimeOrigin::signed(bob())));
		assert!(!pallet_session::NextKeys::<Runtime>::contains_key(bob()));
		assert_eq!(Balances::balance(&bob()), before);
		System::assert_last_event(
			pallet_crucible_validator_set::Event::<Runtime>::KeysPurged { who: bob() }.into(),
		);
	});
}

#[test]
fn every_genesis_preset_passes_the_governed_parameter_checks() {
	use crate::genesis_config_presets as presets;
	use pallet_crucible_bme::{check_governed, MarketParams, OracleParams};
	for (name, preset) in [
		("development", presets::development_config_genesis()),
		("local", presets::local_config_genesis()),
		("testnet", presets::testnet_config_genesis()),
	] {
		let bme = &preset["bme"];
		let oracle: OracleParams = serde_json::from_value(bme["oracle"].clone()).unwrap();
		let market: MarketParams = serde_json::from_value(bme["market"].clone()).unwrap();
		use frame_support::traits::Get;
		type Bme = <Runtime as pallet_crucible_bme::Config>::MaxFeeders;
		type Window = <Runtime as pallet_crucible_bme::Config>::MaxTwapWindow;
		assert!(oracle.is_valid(Bme::get(), Window::get()), "{name}: oracle");
		assert!(market.is_valid(), "{name}: market");
		assert_eq!(check_governed(&oracle, &market), Ok(()), "{name}");
		// The registry's parameters pass `set_params`, on the preset's own track timing.
		let providers: pallet_crucible_providers::ProviderParams =
			serde_json::from_value(preset["providers"]["params"].clone()).unwrap();
		preset_ext(preset.clone()).execute_with(|| {
			let min = crate::governance::tracks::MinUnbondingPeriod::get();
			assert!(providers.is_valid(), "{name}: providers");
			assert!(providers.unbonding_period >= min, "{name}: unbonding {min}");
			assert_ok!(crate::Providers::set_params(RuntimeOrigin::root(), providers));
		});
	}
}

#[test]
fn the_unbonding_floor_is_twice_the_market_admin_tracks_shortest_path() {
	use crate::governance::tracks::MinUnbondingPeriod;
	use crucible_primitives::time::{DAYS, HOURS};
	use frame_support::traits::Get;
	// Fast timing: prepare 2 + confirm 2 + enactment 1, twice.
	dev_ext().execute_with(|| assert_eq!(MinUnbondingPeriod::get(), 10));
	let testnet = crate::genesis_config_presets::testnet_config_genesis();
	preset_ext(testnet).execute_with(|| {
		assert_eq!(MinUnbondingPeriod::get(), 2 * (2 * HOURS + DAYS + DAYS));
		let short = pallet_crucible_providers::ProviderParams {
			unbonding_period: MinUnbondingPeriod::get() - 1,
			..pallet_crucible_providers::ProviderParams::production()
		};
		assert_noop!(
			crate::Providers::set_params(RuntimeOrigin::root(), short),
			pallet_crucible_providers::Error::<Runtime>::UnbondingTooShort
		);
	});
}
