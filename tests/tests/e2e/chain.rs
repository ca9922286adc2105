//! Blocks, finality, a CRU transfer, and the RPC methods explorers read it back with.

use codec::{Decode, Encode};
use crucible_e2e::{
	account, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Node, NodeBuilder,
};
use crucible_primitives::{currency::CRU, Hash, Nonce};
use crucible_runtime::{genesis_config_presets::treasury_account, RuntimeCall, RuntimeEvent};
use serde_json::Value;
use sp_keyring::Sr25519Keyring::{Alice, Ferdie};
use std::{io::Read, io::Write, time::Duration};

/// The genesis hash of the committed `chain-specs/testnet-raw.json`. `make testnet-spec`
/// changes it (until launch, with every runtime change): then re-pin it here.
const TESTNET_GENESIS: &str = "0x920050d11e74cc6655638884a5fd5fe9f656a2508850658b4031d00ca2e73ede";

#[tokio::test(flavor = "multi_thread")]
async fn a_node_on_testnet_starts_from_the_committed_genesis() {
	// A non-validator, alone: it needs no peers to open the chain and answer over RPC.
	let node = NodeBuilder::new("testnet").spawn().await;
	let chain = node.chain().await;
	assert_eq!(format!("{:?}", chain.genesis), TESTNET_GENESIS);
	let name: String = chain.rpc.request("system_chain", rpc_params![]).await.unwrap();
	assert_eq!(name, "Crucible Testnet");
}

#[tokio::test(flavor = "multi_thread")]
async fn blocks_are_produced_and_finalized_and_metrics_are_served() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(3, Duration::from_secs(90)).await;
	assert!(chain.best_number().await >= 3);

	let health: Value = chain.rpc.request("system_health", rpc_params![]).await.unwrap();
	assert_eq!(health["isSyncing"], Value::Bool(false));

	// Prometheus: the node reports its own finalized height.
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", node.prometheus_port)).unwrap();
	stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n").unwrap();
	let mut body = String::new();
	stream.read_to_string(&mut body).unwrap();
	assert!(body.starts_with("HTTP/1.1 200") || body.starts_with("HTTP/1.0 200"), "{body}");
	assert!(body.contains("substrate_block_height{status=\"finalized\""), "no finality metric");
}

/// A Ledger-style signer: `CheckMetadataHash` mode 1 with the metadata digest it computes from
/// the node's own metadata is accepted; a wrong digest makes the signature fail; mode 0 (every
/// other signer) still works.
#[tokio::test(flavor = "multi_thread")]
async fn an_offline_signer_signs_the_metadata_hash_and_a_wrong_one_is_refused() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let ferdie = account(Ferdie);
	let transfer = || {
		RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: ferdie.clone().into(),
			value: CRU,
		})
	};
	let hash = chain.metadata_hash().await;
	let pair = Alice.pair();

	// A wrong hash: the runtime signs over its own, so the signature does not verify.
	let nonce = chain.next_nonce(&account(Alice)).await;
	let mut wrong = hash;
	wrong[0] ^= 1;
	let xt = chain.sign_with_metadata_hash(transfer(), &pair, nonce, wrong);
	let bytes = format!("0x{}", hex::encode(xt.encode()));
	let refused: Result<Hash, _> =
		chain.rpc.request("author_submitExtrinsic", rpc_params![bytes]).await;
	let err = format!("{:?}", refused.expect_err("a wrong metadata hash is refused"));
	assert!(err.contains("bad signature") || err.contains("BadProof"), "{err}");

	// The right hash, mode 1: included and successful.
	let xt = chain.sign_with_metadata_hash(transfer(), &pair, nonce, hash);
	chain.submit_finalized(&xt).await.unwrap().expect_success();
	// Mode 0, as every other test signs.
	let xt = chain.sign(transfer(), Alice).await;
	chain.submit_finalized(&xt).await.unwrap().expect_success();
}

fn partial_fee(info: &Value) -> u128 {
	match &info["partialFee"] {
		Value::String(s) => s.parse().unwrap(),
		Value::Number(n) => n.as_u64().unwrap() as u128,
		other => panic!("partialFee: {other}"),
	}
}

#[tokio::test(flavor = "multi_thread")]
async fn transfer_lands_in_a_finalized_block_and_reads_back_over_rpc() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let (alice, ferdie, treasury) = (account(Alice), account(Ferdie), treasury_account());
	let before = chain.header(None).await;
	let before_hash: Hash =
		chain.rpc.request("chain_getBlockHash", rpc_params![before.number]).await.unwrap();
	let alice_before = chain.account(&alice, Some(before_hash)).await;
	let ferdie_before = chain.account(&ferdie, Some(before_hash)).await.data.free;
	let treasury_before = chain.account(&treasury, Some(before_hash)).await.data.free;
	let issuance_before = chain.total_issuance(Some(before_hash)).await;

	let amount = 1_234 * CRU;
	let call = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
		dest: ferdie.clone().into(),
		value: amount,
	});
	let xt = chain.sign(call, Alice).await;
	let hex_xt = format!("0x{}", hex::encode(xt.encode()));
	let info: Value = chain.rpc.request("payment_queryInfo", rpc_params![&hex_xt]).await.unwrap();
	let estimate = partial_fee(&info);
	assert!(estimate > 0);

	let included = chain.submit_finalized(&xt).await.unwrap().expect_success();
	let block = included.block;

	// The block is final: the finalized head is at or past it.
	let header = chain.header(Some(block)).await;
	let (_, finalized) = chain.finalized().await;
	assert!(finalized >= header.number);

	// chain_getBlock carries the extrinsic (checked by `included`); the events say what it
	// cost.
	let fee = included
		.events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { who, actual_fee, tip },
			) if who == &alice => {
				assert_eq!(*tip, 0);
				Some(*actual_fee)
			}
			_ => None,
		})
		.expect("TransactionFeePaid");
	// The fee multiplier moves a little from block to block; the estimate is close.
	assert!(fee.abs_diff(estimate) * 10 <= estimate, "fee {fee}, estimate {estimate}");
	assert!(included.events.iter().any(|e| matches!(
		e,
		RuntimeEvent::Balances(pallet_balances::Event::Transfer { from, to, amount: a })
			if from == &alice && to == &ferdie && *a == amount
	)));

	// state_getStorage at that block: the money moved exactly, the fee went to the treasury,
	// and no CRU was created or destroyed.
	let alice_after = chain.account(&alice, Some(block)).await;
	assert_eq!(alice_after.data.free, alice_before.data.free - amount - fee);
	assert_eq!(alice_after.nonce, alice_before.nonce + 1);
	assert_eq!(chain.account(&ferdie, Some(block)).await.data.free, ferdie_before + amount);
	assert_eq!(chain.account(&treasury, Some(block)).await.data.free, treasury_before + fee);
	assert_eq!(chain.total_issuance(Some(block)).await, issuance_before);

	// state_call: the nonce through the runtime API, and system_accountNextIndex.
	let nonce_bytes: sp_core::Bytes = chain
		.rpc
		.request(
			"state_call",
			rpc_params![
				"AccountNonceApi_account_nonce",
				format!("0x{}", hex::encode(alice.encode())),
				block
			],
		)
		.await
		.unwrap();
	assert_eq!(Nonce::decode(&mut &nonce_bytes[..]).unwrap(), alice_before.nonce + 1);
	assert_eq!(chain.next_nonce(&alice).await, alice_before.nonce + 1);

	// state_getMetadata: prefixed SCALE metadata (v14+) naming our pallets.
	let metadata: sp_core::Bytes =
		chain.rpc.request("state_getMetadata", rpc_params![block]).await.unwrap();
	assert_eq!(&metadata[..4], b"meta");
	assert!(metadata[4] >= 14);
	for pallet in ["Balances", "Referenda", "ConvictionVoting", "ValidatorSet", "Treasury"] {
		assert!(
			metadata.windows(pallet.len()).any(|w| w == pallet.as_bytes()),
			"metadata lacks {pallet}"
		);
	}

	// system_health: a lone dev validator, not syncing.
	let health: Value = chain.rpc.request("system_health", rpc_params![]).await.unwrap();
	assert_eq!(health["isSyncing"], Value::Bool(false));
	assert_eq!(health["peers"], Value::from(0));
}
