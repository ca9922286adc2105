//! Unsafe RPC methods behind `--rpc-methods safe`; malformed and forged extrinsics.

use codec::Encode;
use crucible_e2e::{
	account, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Node, NodeBuilder,
};
use crucible_primitives::{currency::CRU, Hash};
use crucible_runtime::RuntimeCall;
use serde_json::Value;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Ferdie};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn safe_rpc_refuses_unsafe_methods() {
	let node = NodeBuilder::new("dev")
		.args(["--alice", "--validator", "--force-authoring", "--rpc-methods", "safe"])
		.spawn()
		.await;
	let chain = node.chain().await;
	let refused: Result<Value, _> = chain.rpc.request("author_rotateKeys", rpc_params![]).await;
	let error = refused.expect_err("author_rotateKeys must be refused").to_string();
	assert!(error.contains("unsafe"), "{error}");
	let refused: Result<Value, _> =
		chain.rpc.request("author_insertKey", rpc_params!["aura", "//Eve", "0x00"]).await;
	assert!(refused.is_err());
	// Safe methods still answer.
	let health: Result<Value, _> = chain.rpc.request("system_health", rpc_params![]).await;
	assert!(health.is_ok());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_and_forged_extrinsics_are_rejected_and_change_nothing() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	let start = chain.wait_finalized(1, Duration::from_secs(60)).await;
	let alice = account(Alice);
	let alice_before = chain.account(&alice, Some(start)).await;

	// Not an extrinsic at all.
	let malformed: Result<Hash, _> =
		chain.rpc.request("author_submitExtrinsic", rpc_params!["0xdeadbeef"]).await;
	let error = malformed.expect_err("garbage must be refused").to_string();
	assert!(error.to_lowercase().contains("decode") || error.contains("1002"), "{error}");

	// A transfer from Alice, signed with Bob's key.
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: account(Ferdie).into(),
		value: 1_000 * CRU,
	});
	let forged = chain.sign_claiming(call, alice.clone(), &Bob.pair(), alice_before.nonce);
	let bytes = format!("0x{}", hex::encode(forged.encode()));
	let rejected: Result<Hash, _> =
		chain.rpc.request("author_submitExtrinsic", rpc_params![bytes]).await;
	let error = rejected.expect_err("a bad signature must be refused").to_string();
	assert!(error.contains("1010") && error.to_lowercase().contains("signature"), "{error}");

	// Two more blocks are finalized and Alice's account is untouched.
	let (_, now) = chain.finalized().await;
	let later = chain.wait_finalized(now + 2, Duration::from_secs(60)).await;
	let alice_after = chain.account(&alice, Some(later)).await;
	assert_eq!(alice_after.nonce, alice_before.nonce);
	assert_eq!(alice_after.data, alice_before.data);
}
