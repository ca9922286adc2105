//! Every change of CRU issuance has a counted cause, on the real node: a holder's
//! `balances.burn` and a validator's `session.purge_keys` enter a block, pay their fee and fail
//! with `System.CallFiltered`; `validatorSet.purgeKeys` refuses a validator (`StillValidator`);
//! while an account that never validated purges its keys and gets its deposit back; and
//! `crucible_bmeSupply`'s identity holds to the unit throughout.

use codec::{Decode, Encode};
use crucible_e2e::{account, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Chain, Node};
use crucible_primitives::{bme::SupplyView, currency::CRU, Hash};
use crucible_runtime::{
	configs::SessionKeyDeposit, Runtime, RuntimeCall, RuntimeEvent, SessionKeys,
};
use serde_json::Value;
use sp_keyring::Sr25519Keyring::{Alice, Eve};
use sp_runtime::DispatchError;
use std::time::Duration;

/// The error an included extrinsic failed with.
fn failure(events: &[RuntimeEvent]) -> Option<DispatchError> {
	events.iter().find_map(|e| match e {
		RuntimeEvent::System(frame_system::Event::ExtrinsicFailed { dispatch_error, .. }) => {
			Some(*dispatch_error)
		}
		_ => None,
	})
}

fn module_error<E: codec::Decode>(error: DispatchError) -> Option<E> {
	match error {
		DispatchError::Module(m) => codec::Decode::decode(&mut &m.error[..]).ok(),
		_ => None,
	}
}

/// Total issuance equals genesis plus every counted flow, at `at`, to the unit.
async fn identity_holds(chain: &Chain, at: Hash) {
	let supply: SupplyView =
		chain.rpc.request("crucible_bmeSupply", rpc_params![Some(at)]).await.unwrap();
	assert_eq!(supply.total_issuance, chain.total_issuance(Some(at)).await);
	assert_eq!(
		supply.cumulative.expected_issuance(supply.genesis_issuance),
		Some(supply.total_issuance),
		"{supply:?}"
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn burns_and_key_purges_are_refused_and_the_supply_identity_holds() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	let start = chain.wait_finalized(1, Duration::from_secs(60)).await;
	identity_holds(&chain, start).await;
	let alice = account(Alice);
	let call_filtered: DispatchError = frame_system::Error::<Runtime>::CallFiltered.into();

	// A burn of 1,000 CRU: included, fee paid, refused.
	let issuance = chain.total_issuance(Some(start)).await;
	let burn =
		RuntimeCall::Balances(pallet_balances::Call::burn { value: 1_000 * CRU, keep_alive: true });
	let burned = chain.submit_finalized(&chain.sign(burn, Alice).await).await.unwrap();
	assert_eq!(failure(&burned.events), Some(call_filtered), "{:?}", burned.events);
	let fee: u128 = burned
		.events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { actual_fee, .. },
			) => Some(*actual_fee),
			_ => None,
		})
		.expect("the fee is paid");
	assert!(fee > 0);
	let parent = chain.header(Some(burned.block)).await.parent_hash;
	let free = chain.account(&alice, Some(parent)).await.data.free;
	assert_eq!(chain.account(&alice, Some(burned.block)).await.data.free, free - fee);
	// The fee went to the treasury: issuance is unchanged, to the unit.
	assert_eq!(chain.total_issuance(Some(burned.block)).await, issuance);
	identity_holds(&chain, burned.block).await;

	// The dev validator cannot purge its session keys, neither way.
	let purge = RuntimeCall::Session(pallet_session::Call::purge_keys {});
	let purged = chain.submit_finalized(&chain.sign(purge, Alice).await).await.unwrap();
	assert_eq!(failure(&purged.events), Some(call_filtered), "{:?}", purged.events);
	let purge = RuntimeCall::ValidatorSet(pallet_crucible_validator_set::Call::purge_keys {});
	let refused = chain.submit_finalized(&chain.sign(purge, Alice).await).await.unwrap();
	let error = failure(&refused.events).expect("refused");
	assert!(
		matches!(
			module_error::<pallet_crucible_validator_set::Error<Runtime>>(error),
			Some(pallet_crucible_validator_set::Error::StillValidator)
		),
		"{error:?}"
	);
	let keys = pallet_session::NextKeys::<Runtime>::hashed_key_for(&alice);
	assert!(chain.storage_raw(&keys, Some(refused.block)).await.is_some(), "keys kept");
	identity_holds(&chain, refused.block).await;
	assert_eq!(chain.total_issuance(Some(refused.block)).await, issuance);

	// Eve registers session keys for real (the deposit is held), never validates, and leaves
	// through validatorSet.purgeKeys with her deposit back.
	let eve = account(Eve);
	let owner = format!("0x{}", hex::encode(eve.encode()));
	let generated: Value =
		chain.rpc.request("author_rotateKeysWithOwner", rpc_params![owner]).await.unwrap();
	let keys: sp_core::Bytes = serde_json::from_value(generated["keys"].clone()).unwrap();
	let proof: sp_core::Bytes = serde_json::from_value(generated["proof"].clone()).unwrap();
	let keys = SessionKeys::decode(&mut &keys[..]).unwrap();
	let reserved = chain.account(&eve, None).await.data.reserved;
	let set = RuntimeCall::Session(pallet_session::Call::set_keys { keys, proof: proof.0 });
	let set = chain.execute(set, Eve).await.expect_success();
	let held = chain.account(&eve, Some(set.block)).await.data.reserved;
	assert_eq!(held - reserved, SessionKeyDeposit::get());
	let purge = RuntimeCall::ValidatorSet(pallet_crucible_validator_set::Call::purge_keys {});
	let purged = chain.execute(purge, Eve).await.expect_success();
	assert_eq!(chain.account(&eve, Some(purged.block)).await.data.reserved, reserved);
	let keys = pallet_session::NextKeys::<Runtime>::hashed_key_for(&eve);
	assert!(chain.storage_raw(&keys, Some(purged.block)).await.is_none());
	identity_holds(&chain, purged.block).await;
}
