//! A validator joins by referendum: its node generates session keys with a proof of ownership
//! (`author_rotateKeysWithOwner`), it registers them with `session.set_keys`, the general admin
//! track adds it, and two session boundaries later it authors blocks and votes in GRANDPA.

use codec::{Decode, Encode};
use crucible_e2e::{
	account, gov, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Chain, Node, NodeBuilder,
};
use crucible_primitives::{currency::CRU, AccountId, Hash};
use crucible_runtime::{
	configs::SessionKeyDeposit, governance::CrucibleOrigin, OriginCaller, Runtime, RuntimeCall,
	SessionKeys,
};
use pallet_conviction_voting::Conviction;
use pallet_referenda::ReferendumInfo;
use serde_json::Value;
use sp_consensus_aura::{sr25519::AuthorityId as AuraId, Slot, AURA_ENGINE_ID};
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave};
use sp_runtime::DigestItem;
use std::time::{Duration, Instant};

async fn active_validators(chain: &Chain, at: Option<Hash>) -> Vec<AccountId> {
	let key = pallet_session::Validators::<Runtime>::hashed_key();
	chain.storage(&key, at).await.unwrap_or_default()
}

/// The Aura author of block `at`: the authority at `slot % authorities` in its parent's state.
async fn author(chain: &Chain, at: Hash) -> AuraId {
	let header = chain.header(Some(at)).await;
	let slot = header
		.digest
		.logs
		.iter()
		.find_map(|log| match log {
			DigestItem::PreRuntime(id, data) if *id == AURA_ENGINE_ID => {
				Slot::decode(&mut &data[..]).ok()
			}
			_ => None,
		})
		.expect("Aura pre-digest");
	let key = pallet_aura::Authorities::<Runtime>::hashed_key();
	let authorities: Vec<AuraId> = chain.storage(&key, Some(header.parent_hash)).await.unwrap();
	authorities[(u64::from(slot) % authorities.len() as u64) as usize].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn validator_added_by_referendum_authors_and_finalizes() {
	let alice_node = Node::dev().await;
	let chain = alice_node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let peer_id: String = chain.rpc.request("system_localPeerId", rpc_params![]).await.unwrap();
	let bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer_id}", alice_node.p2p_port);

	// Bob's node: a validator with an empty keystore, joined to Alice's.
	let bob_node =
		NodeBuilder::new("dev").args(["--validator", "--bootnodes", &bootnode]).spawn().await;
	let bob_chain = bob_node.chain().await;
	let bob = account(Bob);

	// 1. Bob's node makes session keys and proves Bob's account owns them.
	let owner = format!("0x{}", hex::encode(bob.encode()));
	let generated: Value =
		bob_chain.rpc.request("author_rotateKeysWithOwner", rpc_params![owner]).await.unwrap();
	let keys_bytes: sp_core::Bytes = serde_json::from_value(generated["keys"].clone()).unwrap();
	let proof: sp_core::Bytes = serde_json::from_value(generated["proof"].clone()).unwrap();
	let keys = SessionKeys::decode(&mut &keys_bytes[..]).unwrap();

	// 2. Bob registers them; the key deposit is held.
	let reserved_before = chain.account(&bob, None).await.data.reserved;
	chain
		.execute(
			RuntimeCall::Session(pallet_session::Call::set_keys {
				keys: keys.clone(),
				proof: proof.0,
			}),
			Bob,
		)
		.await;
	let reserved = chain.account(&bob, None).await.data.reserved;
	assert_eq!(reserved - reserved_before, SessionKeyDeposit::get());

	// 3. A general admin referendum adds Bob.
	let add_bob = RuntimeCall::ValidatorSet(pallet_crucible_validator_set::Call::add_validator {
		who: bob.clone(),
	});
	let admin = OriginCaller::Origins(CrucibleOrigin::GeneralAdmin);
	let index = gov::propose(&chain, Alice, admin, add_bob, Charlie).await;
	let stake = 800_000 * CRU;
	gov::vote(
		&chain,
		index,
		&[
			(Alice, true, Conviction::Locked1x, stake),
			(Charlie, true, Conviction::Locked1x, stake),
			(Dave, true, Conviction::Locked1x, stake),
		],
	)
	.await;
	let decided = gov::decided(&chain, index, Duration::from_secs(180)).await;
	assert!(matches!(decided, ReferendumInfo::Approved(..)), "{decided:?}");

	// 4. Two session boundaries later (sessions are 10 blocks), Bob is in the active set.
	let deadline = Instant::now() + Duration::from_secs(240);
	while !active_validators(&chain, None).await.contains(&bob) {
		assert!(Instant::now() < deadline, "Bob never became an active validator");
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
	assert_eq!(active_validators(&chain, None).await.len(), 2);

	// 5. Bob authors blocks...
	let deadline = Instant::now() + Duration::from_secs(120);
	let mut checked = chain.best_number().await;
	'authored: loop {
		assert!(Instant::now() < deadline, "Bob authored no block");
		let best = chain.best_number().await;
		for number in checked + 1..=best {
			let hash = chain.block_hash(number).await.unwrap();
			if author(&chain, hash).await == keys.aura {
				break 'authored;
			}
		}
		checked = best;
		tokio::time::sleep(Duration::from_secs(2)).await;
	}

	// ...and votes in GRANDPA: with two voters, finality needs both (more than 2/3), so blocks
	// finalized after Bob's key entered the authority set prove his votes.
	let key = pallet_grandpa::Authorities::<Runtime>::hashed_key();
	let set: Vec<(sp_consensus_grandpa::AuthorityId, u64)> =
		chain.storage(&key, None).await.unwrap();
	assert!(set.iter().any(|(id, _)| id == &keys.grandpa), "Bob is not a GRANDPA voter");
	let best = chain.best_number().await;
	chain.wait_finalized(best + 2, Duration::from_secs(120)).await;
	bob_chain.wait_finalized(best + 2, Duration::from_secs(120)).await;
}
