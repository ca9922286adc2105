//! Governance end to end: CRU holders pass a root referendum that moves treasury funds, and
//! vote down a treasurer referendum, which then changes nothing.

use crucible_e2e::{account, gov, Node};
use crucible_primitives::currency::CRU;
use crucible_runtime::{
	genesis_config_presets::treasury_account, governance::CrucibleOrigin, OriginCaller, Runtime,
	RuntimeCall,
};
use pallet_conviction_voting::Conviction;
use pallet_referenda::ReferendumInfo;
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave, Eve, Ferdie};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread")]
async fn holders_pass_a_root_referendum_and_vote_down_a_treasurer_referendum() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let (ferdie, eve, treasury) = (account(Ferdie), account(Eve), treasury_account());
	let started = Instant::now();

	// Referendum 1, root track: pay Ferdie 1,000 CRU from the treasury.
	let grant = 1_000 * CRU;
	let pay_ferdie = RuntimeCall::Balances(pallet_balances::Call::force_transfer {
		source: treasury.clone().into(),
		dest: ferdie.clone().into(),
		value: grant,
	});
	let root = OriginCaller::system(frame_system::RawOrigin::Root);
	let passing = gov::propose(&chain, Alice, root, pay_ferdie, Bob).await;

	// Referendum 2, treasurer track: spend 5,000 CRU for Eve. Holders will reject it.
	let spend_for_eve = RuntimeCall::Treasury(pallet_treasury::Call::spend {
		asset_kind: Box::new(()),
		amount: 5_000 * CRU,
		beneficiary: Box::new(eve.clone()),
		valid_from: None,
	});
	let treasurer = OriginCaller::Origins(CrucibleOrigin::Treasurer);
	let failing = gov::propose(&chain, Charlie, treasurer, spend_for_eve, Charlie).await;

	let ferdie_before = chain.free(&ferdie).await;
	let stake = 800_000 * CRU;
	gov::vote(
		&chain,
		passing,
		&[
			(Alice, true, Conviction::Locked1x, stake),
			(Bob, true, Conviction::Locked2x, stake),
			(Charlie, true, Conviction::Locked1x, stake),
		],
	)
	.await;
	gov::vote(
		&chain,
		failing,
		&[
			(Dave, false, Conviction::Locked3x, stake),
			(Eve, false, Conviction::Locked1x, stake),
			(Alice, true, Conviction::None, 10_000 * CRU),
		],
	)
	.await;

	// The first passes and enacts: Ferdie has exactly the grant more.
	let decided = gov::decided(&chain, passing, Duration::from_secs(180)).await;
	assert!(matches!(decided, ReferendumInfo::Approved(..)), "{decided:?}");
	let deadline = Instant::now() + Duration::from_secs(60);
	while chain.free(&ferdie).await != ferdie_before + grant {
		assert!(Instant::now() < deadline, "approved referendum did not enact");
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	assert!(started.elapsed() < Duration::from_secs(180), "took {:?}", started.elapsed());

	// The second is rejected when its decision period ends, and spends nothing.
	let decided = gov::decided(&chain, failing, Duration::from_secs(240)).await;
	assert!(matches!(decided, ReferendumInfo::Rejected(..)), "{decided:?}");
	let spends = pallet_treasury::SpendCount::<Runtime>::hashed_key();
	assert_eq!(chain.storage::<u32>(&spends, None).await.unwrap_or_default(), 0);
}
