//! The built-in chain specs: `dev` and `local` (their genesis from the runtime's presets, built
//! with this node's wasm; `chain-specs/` holds them exported) and `testnet`, the committed raw
//! spec `chain-specs/testnet-raw.json` as it is, so every node that joins it agrees on its
//! genesis whatever runtime it was built with. `testnet-template` builds that spec from the
//! preset (`make testnet-spec`).

use crucible_primitives::currency::{DECIMALS, SYMBOL};
use crucible_runtime::{genesis_config_presets::TESTNET_PRESET, WASM_BINARY};
use sc_service::ChainType;
use serde_json::json;

/// A chain spec of the Crucible runtime.
pub type ChainSpec = sc_service::GenericChainSpec;

fn properties() -> sc_service::Properties {
	let value = json!({ "tokenSymbol": SYMBOL, "tokenDecimals": DECIMALS, "ss58Format": 42 });
	serde_json::from_value(value).expect("a JSON object; qed")
}

fn spec(name: &str, id: &str, chain_type: ChainType, preset: &str) -> Result<ChainSpec, String> {
	let wasm = WASM_BINARY.ok_or("the runtime wasm was not built (SKIP_WASM_BUILD was set)")?;
	Ok(ChainSpec::builder(wasm, None)
		.with_name(name)
		.with_id(id)
		.with_protocol_id("cru")
		.with_chain_type(chain_type)
		.with_genesis_config_preset_name(preset)
		.with_properties(properties())
		.build())
}

/// `dev`: Alice alone, fast governance.
pub fn development() -> Result<ChainSpec, String> {
	spec(
		"Crucible Development",
		"crucible_dev",
		ChainType::Development,
		sp_genesis_builder::DEV_RUNTIME_PRESET,
	)
}

/// `local`: Alice, Bob, Charlie and Dave, fast governance.
pub fn local_testnet() -> Result<ChainSpec, String> {
	spec(
		"Crucible Local Testnet",
		"crucible_local",
		ChainType::Local,
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET,
	)
}

/// `testnet`: the committed raw spec (four operator validators, production governance
/// periods), whose genesis no later build of the node changes.
pub fn testnet() -> Result<ChainSpec, String> {
	ChainSpec::from_json_bytes(&include_bytes!("../../chain-specs/testnet-raw.json")[..])
}

/// `testnet-template`: the testnet spec built from the runtime's `testnet` preset with this
/// node's wasm, from which `make testnet-spec` regenerates `chain-specs/testnet-raw.json`.
pub fn testnet_template() -> Result<ChainSpec, String> {
	spec("Crucible Testnet", "crucible_testnet", ChainType::Live, TESTNET_PRESET)
}
