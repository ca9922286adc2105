//! Genesis presets: `development`, `local_testnet` and `testnet`.
//!
//! | preset          | validators                  | sessions  | track timing | endowed                 |
//! |-----------------|-----------------------------|-----------|--------------|-------------------------|
//! | `development`   | Alice                       | 10 blocks | fast         | Alice..Ferdie, treasury |
//! | `local_testnet` | Alice, Bob, Charlie, Dave   | 10 blocks | fast         | Alice..Ferdie, treasury |
//! | `testnet`       | four operator keys (below)  | 1 hour    | production   | operators, treasury     |
//!
//! BME: `development` and `local_testnet` have one price feeder (Ferdie), a 10-block feed
//! staleness, a 3-block TWAP window and 10-block epochs; `testnet` has production oracle
//! parameters (5 feeders, 3 fresh, 50-block staleness, 300-block window), hourly epochs, and no
//! feeders: the oracle-admin track registers them. Mints settle 2 blocks after the request on
//! `development` and `local_testnet`, 10 blocks (a minute) after it on `testnet`.
//!
//! Providers: every preset starts with the standard GPU catalogue (H100 SXM / PCIe, H200 SXM,
//! A100 SXM, L40S, RTX 4090) and production bonds; `development` and `local_testnet` unbond in
//! 5 blocks, `testnet` in 7 days.
//!
//! Leases: `testnet` has the production market (10 CRU per bid, bid windows of 10 blocks to an
//! hour, a one-hour low-funds horizon, 50 CRU per GPU for a fault); `development` and
//! `local_testnet` take bids from two blocks on and warn ten blocks before an escrow runs dry.

use crate::{
	configs::TreasuryAccount, governance::TrackTiming, AccountId, Balance, BalancesConfig,
	BmeConfig, LeasesConfig, OriginsConfig, ProvidersConfig, RuntimeGenesisConfig, SessionConfig,
	SessionKeys, ValidatorSetConfig,
};
use alloc::{vec, vec::Vec};
use crucible_primitives::{
	currency::CRU,
	time::{HOURS, MINUTES},
	BlockNumber,
};
use frame_support::build_struct_json_patch;
use pallet_crucible_bme::{EmissionParams, MarketParams, OracleParams};
use pallet_crucible_leases::LeaseParams;
use pallet_crucible_providers::{GpuModel, ProviderParams};
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::crypto::{Ss58Codec, UncheckedFrom};
use sp_genesis_builder::{self, PresetId};
use sp_keyring::Sr25519Keyring;

/// The `testnet` preset's name.
pub const TESTNET_PRESET: &str = "testnet";

/// CRU each endowed development account starts with.
pub const DEV_ENDOWMENT: Balance = 1_000_000 * CRU;
/// CRU the treasury starts with on every preset.
pub const TREASURY_ENDOWMENT: Balance = 1_000_000 * CRU;
/// Session length of the development and local presets (1 minute).
pub const DEV_SESSION_LENGTH: BlockNumber = MINUTES;

/// A validator at genesis: its account and its session keys.
pub struct GenesisValidator {
	pub account: AccountId,
	pub aura: AuraId,
	pub grandpa: GrandpaId,
}

/// The treasury's account.
pub fn treasury_account() -> AccountId {
	TreasuryAccount::get()
}

/// BME settings of a preset.
pub struct BmeGenesis {
	pub feeders: Vec<AccountId>,
	pub oracle: OracleParams,
	pub market: MarketParams,
	pub emission: EmissionParams,
}

/// The development and local presets' BME: Ferdie feeds prices; short windows and epochs.
pub fn dev_bme() -> BmeGenesis {
	BmeGenesis {
		feeders: vec![Sr25519Keyring::Ferdie.to_account_id()],
		oracle: OracleParams::development(),
		// One feeder whose feeds count from the next block: a 2-block settlement catches it.
		market: MarketParams { mint_delay: 2, ..MarketParams::standard() },
		emission: EmissionParams {
			epoch_length: DEV_SESSION_LENGTH,
			..EmissionParams::production()
		},
	}
}

fn genesis(
	validators: Vec<GenesisValidator>,
	endowed: Vec<(AccountId, Balance)>,
	session_length: BlockNumber,
	timing: TrackTiming,
	bme: BmeGenesis,
	providers: ProviderParams,
	leases: LeaseParams,
) -> Value {
	let mut balances = endowed;
	balances.push((treasury_account(), TREASURY_ENDOWMENT));
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances },
		validator_set: ValidatorSetConfig {
			validators: validators.iter().map(|v| v.account.clone()).collect::<Vec<_>>(),
			session_length,
		},
		session: SessionConfig {
			keys: validators
				.into_iter()
				.map(|v| {
					(v.account.clone(), v.account, SessionKeys { aura: v.aura, grandpa: v.grandpa })
				})
				.collect::<Vec<_>>(),
		},
		origins: OriginsConfig { timing },
		bme: BmeConfig {
			feeders: bme.feeders,
			oracle: bme.oracle,
			market: bme.market,
			emission: bme.emission,
		},
		providers: ProvidersConfig { catalogue: GpuModel::standard_catalogue(), params: providers },
		leases: LeasesConfig { params: leases },
	})
}

fn dev_validator(who: Sr25519Keyring) -> GenesisValidator {
	GenesisValidator {
		account: who.to_account_id(),
		aura: who.public().into(),
		grandpa: ed25519_of(who),
	}
}

/// The well-known ed25519 key of the same dev name (`//Alice` etc.), for GRANDPA.
fn ed25519_of(who: Sr25519Keyring) -> GrandpaId {
	use sp_keyring::Ed25519Keyring as E;
	let ed = match who {
		Sr25519Keyring::Alice => E::Alice,
		Sr25519Keyring::Bob => E::Bob,
		Sr25519Keyring::Charlie => E::Charlie,
		Sr25519Keyring::Dave => E::Dave,
		Sr25519Keyring::Eve => E::Eve,
		Sr25519Keyring::Ferdie => E::Ferdie,
		_ => E::One,
	};
	ed.public().into()
}

/// The accounts the development and local presets endow.
pub fn dev_endowed() -> Vec<(AccountId, Balance)> {
	[
		Sr25519Keyring::Alice,
		Sr25519Keyring::Bob,
		Sr25519Keyring::Charlie,
		Sr25519Keyring::Dave,
		Sr25519Keyring::Eve,
		Sr25519Keyring::Ferdie,
	]
	.into_iter()
	.map(|k| (k.to_account_id(), DEV_ENDOWMENT))
	.collect()
}

/// `development`: Alice validates alone; fast governance.
pub fn development_config_genesis() -> Value {
	genesis(
		vec![dev_validator(Sr25519Keyring::Alice)],
		dev_endowed(),
		DEV_SESSION_LENGTH,
		TrackTiming::Fast,
		dev_bme(),
		ProviderParams::development(),
		LeaseParams::development(),
	)
}

/// `local_testnet`: Alice, Bob, Charlie and Dave validate (GRANDPA tolerates one fault); fast
/// governance.
pub fn local_config_genesis() -> Value {
	genesis(
		[Sr25519Keyring::Alice, Sr25519Keyring::Bob, Sr25519Keyring::Charlie, Sr25519Keyring::Dave]
			.into_iter()
			.map(dev_validator)
			.collect(),
		dev_endowed(),
		DEV_SESSION_LENGTH,
		TrackTiming::Fast,
		dev_bme(),
		ProviderParams::development(),
		LeaseParams::development(),
	)
}

/// The public keys of the testnet's genesis validators: (account sr25519 SS58, aura sr25519
/// SS58, grandpa ed25519 SS58). The operators hold the secrets; none is in this repository.
const TESTNET_VALIDATORS: [(&str, &str, &str); 4] = [
	(
		"5CQ6P2TME1peent14crgYZCRVQFX4yah1yjAaTyv6zGT4r3A",
		"5GBeQfeCyvFv7GgtsLnuaB8kXDLhBbPNS41miSyQJyzrz1bt",
		"5D5tqGmMgQEsHUzB3vxaoKWZd28QKrBUt2n4vUz3ssAz2FDb",
	),
	(
		"5G4bZeCE3aZPjGUvdBNPfuH8qgsatru5TadRvjGnaMdpUdck",
		"5C8JsFuFewbHpXT9dwXujhoEAPq8VpdgAGzzViHYvfnj8Tqb",
		"5ERi1BPTv1pYwcPFwNVZcGuCAWFqB2Rcb8DkdHYVdr4kwjFP",
	),
	(
		"5GcELdMzA2j2VTgeuBBMTE229CVH4mRQaRw2kh7j8mS5vtpD",
		"5CUwtQfhn2qAvtN4xdxmWALindkh9Cp3pV1MKjo48fosw1hR",
		"5GX4xnsh2AirCQ1mXj1jcW96LPbAaa6aFZe55o1CbAnNtgiH",
	),
	(
		"5H9P8hDogUNhHLWtCAK5XmRyxVFWsWmnyAbZ5J1jDRtSPUR5",
		"5H1Cej3rgkhTLHVqQs4pBRFGHGwUssW7QwKHcEnaG8LYbiE5",
		"5HhiN7NBK63j32NAjhx8oR3pTuqMnRF6RnmPBetyU4jfb3bw",
	),
];

/// CRU each testnet operator account starts with (key deposit, fees, decision deposits).
pub const TESTNET_OPERATOR_ENDOWMENT: Balance = 250_000 * CRU;

fn public_from_ss58<T: UncheckedFrom<[u8; 32]>>(ss58: &str) -> T {
	let account = AccountId::from_ss58check(ss58).expect("testnet keys are valid SS58; qed");
	T::unchecked_from(*<AccountId as AsRef<[u8; 32]>>::as_ref(&account))
}

/// `testnet`: four operator validators, one-hour sessions, production governance periods.
pub fn testnet_config_genesis() -> Value {
	let validators: Vec<GenesisValidator> = TESTNET_VALIDATORS
		.iter()
		.map(|(account, aura, grandpa)| GenesisValidator {
			account: AccountId::from_ss58check(account).expect("valid SS58; qed"),
			aura: public_from_ss58::<sp_core::sr25519::Public>(aura).into(),
			grandpa: public_from_ss58::<sp_core::ed25519::Public>(grandpa).into(),
		})
		.collect();
	let endowed =
		validators.iter().map(|v| (v.account.clone(), TESTNET_OPERATOR_ENDOWMENT)).collect();
	let bme = BmeGenesis {
		feeders: Vec::new(),
		oracle: OracleParams::production(),
		market: MarketParams::standard(),
		emission: EmissionParams::production(),
	};
	genesis(
		validators,
		endowed,
		HOURS,
		TrackTiming::Production,
		bme,
		ProviderParams::production(),
		LeaseParams::production(),
	)
}

/// The preset `id`, as JSON.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_config_genesis(),
		TESTNET_PRESET => testnet_config_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// The names of the presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
		PresetId::from(TESTNET_PRESET),
	]
}
