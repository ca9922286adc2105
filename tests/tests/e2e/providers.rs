//! The provider registry on the real node: Dave registers, declares GPUs from the catalogue,
//! rotates his worker key and shows up over `crucible_*` JSON-RPC with the right bond; a
//! referendum on the market-admin track suspends him; he deregisters, waits out the unbonding
//! period, withdraws, and his balance reconciles to the unit (less the fees he paid). Bad input
//! (a malformed endpoint, an unknown model) fails with its typed error and changes nothing.

use crucible_e2e::{
	account, gov, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Chain, Included, Node,
};
use crucible_primitives::{
	currency::CRU,
	providers::{
		DeviceState, GpuModelView, ProviderPage, ProviderStatus, ProviderView, StatusFilter,
		SupplySummary, WorkerKey,
	},
	AccountId, Balance,
};
use crucible_runtime::{
	governance::CrucibleOrigin, OriginCaller, Runtime, RuntimeCall, RuntimeEvent,
};
use pallet_conviction_voting::Conviction;
use pallet_referenda::ReferendumInfo;
use serde_json::json;
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring::{Alice, Bob, Charlie, Dave};
use sp_runtime::DispatchError;
use std::time::{Duration, Instant};

type ProvidersCall = pallet_crucible_providers::Call<Runtime>;
type ProvidersError = pallet_crucible_providers::Error<Runtime>;

const H100_SXM: u16 = 1;
const RTX_4090: u16 = 6;

fn worker(seed: &str) -> WorkerKey {
	sr25519::Pair::from_string(seed, None).expect("dev seed").public()
}

/// The fee `who` paid for an included extrinsic.
fn fee(included: &Included, who: &AccountId) -> Balance {
	included
		.events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { who: w, actual_fee, tip },
			) if w == who => Some(actual_fee + tip),
			_ => None,
		})
		.sum()
}

/// The registry error an extrinsic failed with, if it failed in the registry.
fn registry_error(included: &Included) -> Option<ProvidersError> {
	included.events.iter().find_map(|e| match e {
		RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
			dispatch_error: DispatchError::Module(m),
			..
		}) => codec::Decode::decode(&mut &m.error[..]).ok(),
		_ => None,
	})
}

async fn provider(chain: &Chain, who: &AccountId) -> Option<ProviderView<AccountId>> {
	chain.rpc.request("crucible_provider", rpc_params![who, None::<()>]).await.unwrap()
}

async fn supply(chain: &Chain) -> SupplySummary {
	chain.rpc.request("crucible_gpuSupply", rpc_params![]).await.unwrap()
}

/// Submit `call` as Dave, adding its fee to `fees`.
async fn dave(chain: &Chain, call: ProvidersCall, fees: &mut Balance) -> Included {
	let xt = chain.sign(RuntimeCall::Providers(call), Dave).await;
	let included = chain.submit_finalized(&xt).await.expect("submitted");
	*fees += fee(&included, &account(Dave));
	included
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_registers_is_suspended_by_referendum_unbonds_and_reconciles() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let who = account(Dave);
	let start_free = chain.free(&who).await;
	let mut fees: Balance = 0;

	// The catalogue, with bonds, over JSON-RPC.
	let catalogue: Vec<GpuModelView> =
		chain.rpc.request("crucible_gpuCatalogue", rpc_params![]).await.unwrap();
	let h100 = catalogue.iter().find(|m| m.id == H100_SXM).expect("H100 SXM listed");
	assert_eq!((h100.name.as_str(), h100.vram_mib, h100.int8_tops), ("H100 SXM", 81_920, 1_979));
	let rtx = catalogue.iter().find(|m| m.id == RTX_4090).expect("RTX 4090 listed");
	assert_eq!(rtx.int8_tops, 661);

	// A malformed endpoint: typed error, no record, nothing held.
	let register = |endpoint: &str, key: WorkerKey| ProvidersCall::register_provider {
		endpoint: endpoint.as_bytes().to_vec(),
		region: b"eu-west".to_vec(),
		worker_key: key,
		metadata: "Dave's GPUs, Frankfurt".as_bytes().to_vec(),
	};
	let bad =
		dave(&chain, register("ftp://gpu.dave.example", worker("//DaveWorker1")), &mut fees).await;
	assert!(matches!(registry_error(&bad), Some(ProvidersError::MalformedEndpoint)));
	assert!(provider(&chain, &who).await.is_none());
	assert_eq!(chain.account(&who, None).await.data.reserved, 0);

	// Registration holds the 1,000 CRU base bond.
	dave(
		&chain,
		register("https://gpu.dave.example:8443/worker", worker("//DaveWorker1")),
		&mut fees,
	)
	.await
	.expect_success();

	// An unknown model: typed error, supply unchanged.
	let before = supply(&chain).await;
	let bad = dave(&chain, ProvidersCall::add_devices { model: 999, count: 1 }, &mut fees).await;
	assert!(matches!(registry_error(&bad), Some(ProvidersError::UnknownModel)));
	assert_eq!(supply(&chain).await, before);

	// Four H100 SXM (500 CRU each) and two RTX 4090 (100 CRU each).
	dave(&chain, ProvidersCall::add_devices { model: H100_SXM, count: 4 }, &mut fees)
		.await
		.expect_success();
	dave(&chain, ProvidersCall::add_devices { model: RTX_4090, count: 2 }, &mut fees)
		.await
		.expect_success();
	let rotated =
		dave(&chain, ProvidersCall::rotate_worker_key { new: worker("//DaveWorker2") }, &mut fees)
			.await
			.expect_success();
	assert!(rotated.events.iter().any(|e| matches!(
		e,
		RuntimeEvent::Providers(pallet_crucible_providers::Event::WorkerKeyRotated { .. })
	)));

	// Over JSON-RPC: the bond, the devices, the new key.
	let bond = 1_000 * CRU + 4 * 500 * CRU + 2 * 100 * CRU;
	let view = provider(&chain, &who).await.expect("registered");
	assert_eq!(view.status, ProviderStatus::Active);
	assert_eq!(view.worker_key, worker("//DaveWorker2"));
	assert_eq!(view.endpoint, "https://gpu.dave.example:8443/worker");
	assert_eq!((view.bond.base, view.bond.held, view.bond.slashed_total), (1_000 * CRU, bond, 0));
	assert_eq!(view.devices.len(), 6);
	assert!(view.devices.iter().all(|d| d.state == DeviceState::Free));
	assert_eq!(chain.account(&who, None).await.data.reserved, bond);
	let page: ProviderPage<AccountId> = chain
		.rpc
		.request("crucible_providers", rpc_params![json!({ "model": H100_SXM }), None::<()>, 10])
		.await
		.unwrap();
	assert_eq!(page.providers.len(), 1);
	assert_eq!(page.providers[0].owner, who);
	assert_eq!(page.providers[0].bond, bond);
	assert_eq!(page.next, None);
	let gpus = supply(&chain).await;
	let h100s = gpus.models.iter().find(|m| m.model == H100_SXM).unwrap();
	assert_eq!((h100s.registered, h100s.free), (4, 4));

	// CRU holders suspend Dave on the market-admin track.
	let suspend = RuntimeCall::Providers(ProvidersCall::suspend {
		who: who.clone(),
		reason: b"endpoint unreachable for 24 hours".to_vec(),
	});
	let market = OriginCaller::Origins(CrucibleOrigin::MarketAdmin);
	let index = gov::propose(&chain, Alice, market, suspend, Bob).await;
	let stake = 800_000 * CRU;
	gov::vote(
		&chain,
		index,
		&[
			(Alice, true, Conviction::Locked1x, stake),
			(Bob, true, Conviction::Locked2x, stake),
			(Charlie, true, Conviction::Locked1x, stake),
		],
	)
	.await;
	let decided = gov::decided(&chain, index, Duration::from_secs(180)).await;
	assert!(matches!(decided, ReferendumInfo::Approved(..)), "{decided:?}");
	let deadline = Instant::now() + Duration::from_secs(60);
	let view = loop {
		let view = provider(&chain, &who).await.unwrap();
		if view.status == ProviderStatus::Suspended {
			break view;
		}
		assert!(Instant::now() < deadline, "approved suspension did not enact");
		tokio::time::sleep(Duration::from_secs(1)).await;
	};
	let last = view.history.last().unwrap();
	assert_eq!(last.reason, "endpoint unreachable for 24 hours");
	let gpus = supply(&chain).await;
	let h100s = gpus.models.iter().find(|m| m.model == H100_SXM).unwrap();
	assert_eq!((h100s.registered, h100s.free), (4, 0), "a suspended provider's GPUs are not free");
	let page: ProviderPage<AccountId> = chain
		.rpc
		.request(
			"crucible_providers",
			rpc_params![json!({ "status": StatusFilter::Suspended }), None::<()>, 10],
		)
		.await
		.unwrap();
	assert_eq!(page.providers.iter().map(|p| &p.owner).collect::<Vec<_>>(), vec![&who]);

	// Dave leaves: unbonding (10 blocks on dev), then the bond comes back.
	let deregistered = dave(&chain, ProvidersCall::deregister {}, &mut fees).await.expect_success();
	let until = deregistered
		.events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Providers(pallet_crucible_providers::Event::Deregistered {
				until,
				..
			}) => Some(*until),
			_ => None,
		})
		.expect("Deregistered");
	// Submitted at once, it lands a block or two later, well inside the 10 blocks.
	let early = dave(&chain, ProvidersCall::withdraw_bond {}, &mut fees).await;
	let at = chain.header(Some(early.block)).await.number;
	assert!(at < until, "the early withdrawal landed at {at}, unbonding ends at {until}");
	assert!(matches!(registry_error(&early), Some(ProvidersError::StillUnbonding)));
	chain.wait_best(until, Duration::from_secs(60)).await;
	dave(&chain, ProvidersCall::withdraw_bond {}, &mut fees).await.expect_success();

	// Nothing left: no record, nothing held, the supply back to zero, and Dave's CRU is what
	// he started with less exactly the fees he paid.
	assert!(provider(&chain, &who).await.is_none());
	let info = chain.account(&who, None).await;
	assert_eq!(info.data.reserved, 0);
	assert_eq!(info.data.free, start_free - fees);
	let gpus = supply(&chain).await;
	assert_eq!(gpus.providers, 0);
	assert!(gpus.models.iter().all(|m| m.registered == 0 && m.free == 0));
	let key =
		pallet_crucible_providers::WorkerKeys::<Runtime>::hashed_key_for(worker("//DaveWorker2"));
	assert!(chain.storage_raw(&key, None).await.is_none(), "no dangling worker key");
}
