//! The burn-mint equilibrium on the real node: the dev feeder posts prices, a holder mints
//! credits, a feed goes stale and minting stops with its typed error, a clean window later it
//! runs again; the `crucible_bme*` JSON-RPC figures match the events to the unit.

use crucible_e2e::{account, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Chain, Node};
use crucible_primitives::{
	bme::{
		AccountCreditsView, BreakerView, CreditTotals, Credits, EpochPage, Price, PriceView,
		SupplyView, TripReason,
	},
	currency::CRU,
	AccountId, BlockNumber, Hash,
};
use crucible_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use sp_keyring::Sr25519Keyring::{Alice, Ferdie};
use sp_runtime::{DispatchError, FixedPointNumber};
use std::time::Duration;

type BmeEvent = pallet_crucible_bme::Event<Runtime>;
type BmeError = pallet_crucible_bme::Error<Runtime>;

async fn price_at(chain: &Chain, at: Option<Hash>) -> PriceView<AccountId> {
	chain.rpc.request("crucible_bmePrice", rpc_params![at]).await.unwrap()
}

async fn feed(chain: &Chain, price: Price) -> BlockNumber {
	let call = RuntimeCall::Bme(pallet_crucible_bme::Call::submit_price { price });
	let included = chain.execute(call, Ferdie).await;
	chain.header(Some(included.block)).await.number
}

fn mint_call(cru: u128) -> RuntimeCall {
	RuntimeCall::Bme(pallet_crucible_bme::Call::mint_credits {
		cru,
		min_credits_out: Credits::ZERO,
	})
}

/// The pallet error an extrinsic failed with, if it failed in the BME pallet.
fn bme_error(events: &[RuntimeEvent]) -> Option<BmeError> {
	events.iter().find_map(|e| match e {
		RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
			dispatch_error: DispatchError::Module(m),
			..
		}) => codec::Decode::decode(&mut &m.error[..]).ok(),
		_ => None,
	})
}

/// Waits until the best block's breaker satisfies `pred`; returns that view.
async fn wait_breaker(
	chain: &Chain,
	what: &str,
	pred: impl Fn(&BreakerView) -> bool,
) -> PriceView<AccountId> {
	for _ in 0..120 {
		let view = price_at(chain, None).await;
		if pred(&view.breaker) {
			return view;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}
	panic!("breaker never became {what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn feeds_price_mints_pause_when_stale_and_resume_after_a_clean_window() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let (alice, ferdie) = (account(Alice), account(Ferdie));

	// No feed yet: one registered feeder (Ferdie), stale.
	let view = price_at(&chain, None).await;
	assert_eq!(view.feeds.len(), 1);
	assert_eq!(view.feeds[0].feeder, ferdie);
	assert_eq!(view.feeds[0].price, None);
	assert!(matches!(view.breaker, BreakerView::Tripped { reason: TripReason::Stale, .. }));
	let failed =
		chain.submit_finalized(&chain.sign(mint_call(100 * CRU), Alice).await).await.unwrap();
	assert!(matches!(bme_error(&failed.events), Some(BmeError::OracleStale)));

	// Ferdie feeds 1.5 USD/CRU, for free.
	let ferdie_before = chain.free(&ferdie).await;
	let price = Price::saturating_from_rational(3, 2);
	let fed_at = feed(&chain, price).await;
	assert_eq!(chain.free(&ferdie).await, ferdie_before, "feeds are free for feeders");
	let view = wait_breaker(&chain, "live", |b| *b == BreakerView::Live).await;
	assert_eq!(view.median, Some(price));
	assert_eq!(view.twap, Some(price));
	assert!(view.feeds[0].fresh && !view.feeds[0].dropped);
	assert_eq!(view.feeds[0].submitted_at, Some(fed_at));

	// Alice mints: 100 CRU x 1.5 x (1 - 0.5%) = 149.25 credits.
	let supply_before: SupplyView =
		chain.rpc.request("crucible_bmeSupply", rpc_params![]).await.unwrap();
	// The CRU waits on hold until the mint settles: two blocks later on the dev chain at the
	// earliest, and only on a median whose feeds came after the request, so Ferdie feeds again.
	let requested = chain.execute(mint_call(100 * CRU), Alice).await;
	let pending: AccountCreditsView = chain
		.rpc
		.request("crucible_bmeAccount", rpc_params![&alice, Some(requested.block)])
		.await
		.unwrap();
	assert_eq!((pending.minting, pending.purchased), (100 * CRU, Credits::ZERO));
	let fed_again = feed(&chain, price).await;
	let (settled, events) = chain.mint_settlement(&requested.events).await;
	let settled_at = chain.header(Some(settled)).await.number;
	assert!(settled_at > fed_again, "settled in block {settled_at}, fed in {fed_again}");
	let (cost, to_pool, spread, credits) = events
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Bme(BmeEvent::CreditsMinted {
				cost, to_pool, spread, credits, ..
			}) => Some((*cost, *to_pool, *spread, *credits)),
			_ => None,
		})
		.expect("CreditsMinted");
	assert_eq!(credits, Credits(149_250_000));
	assert_eq!(cost, 100 * CRU);
	assert_eq!(to_pool + spread, cost);

	// The figures over JSON-RPC, at the block of the settlement, match the event to the unit.
	let at = Some(settled);
	let account_view: AccountCreditsView =
		chain.rpc.request("crucible_bmeAccount", rpc_params![&alice, at]).await.unwrap();
	assert_eq!((account_view.purchased, account_view.minting), (credits, 0));
	let totals: CreditTotals =
		chain.rpc.request("crucible_bmeCredits", rpc_params![at]).await.unwrap();
	assert_eq!(totals.minted, credits);
	assert_eq!(totals.purchased, credits);
	let supply: SupplyView =
		chain.rpc.request("crucible_bmeSupply", rpc_params![at]).await.unwrap();
	assert_eq!(
		supply.cumulative.burned_for_credits - supply_before.cumulative.burned_for_credits,
		to_pool
	);
	assert_eq!(supply.cumulative.spread_burned - supply_before.cumulative.spread_burned, spread);
	assert_eq!(supply.remint_pool, supply.cumulative.burned_for_credits);
	// Every issuance change has a counted cause.
	let c = supply.cumulative;
	assert_eq!(
		supply.total_issuance,
		supply.genesis_issuance + c.emitted + c.reminted + c.new_supply
			- c.burned_for_credits
			- c.spread_burned
	);
	assert_eq!(chain.total_issuance(at).await, supply.total_issuance);

	// No more feeds: after the staleness limit (10 blocks) minting stops, typed.
	wait_breaker(&chain, "stale", |b| {
		matches!(b, BreakerView::Tripped { reason: TripReason::Stale, .. })
	})
	.await;
	let failed =
		chain.submit_finalized(&chain.sign(mint_call(100 * CRU), Alice).await).await.unwrap();
	assert!(matches!(bme_error(&failed.events), Some(BmeError::OracleStale)));

	// A fresh feed: the price is live again at once, but minting waits a clean window (3
	// blocks), visible block by block over JSON-RPC.
	let refed_at = feed(&chain, price).await;
	chain.wait_best(refed_at + 3, Duration::from_secs(60)).await;
	for (n, live) in [(refed_at + 1, false), (refed_at + 2, false), (refed_at + 3, true)] {
		let hash = chain.block_hash(n).await.unwrap();
		let view = price_at(&chain, Some(hash)).await;
		assert_eq!(view.median, Some(price), "block {n}");
		assert_eq!(view.breaker == BreakerView::Live, live, "block {n}: {:?}", view.breaker);
		if !live {
			assert!(matches!(
				view.breaker,
				BreakerView::Recovering { reason: TripReason::Stale, .. }
			));
			assert_eq!(view.mint_price, None);
		}
	}
	let again = chain.execute(mint_call(10 * CRU), Alice).await;
	assert!(bme_error(&again.events).is_none());

	// Epoch summaries over JSON-RPC add up to the cumulative flows.
	let at = Some(again.block);
	let page: EpochPage =
		chain.rpc.request("crucible_bmeEpochs", rpc_params![None::<u32>, 100, at]).await.unwrap();
	assert!(!page.epochs.is_empty(), "10-block epochs have passed");
	let supply: SupplyView =
		chain.rpc.request("crucible_bmeSupply", rpc_params![at]).await.unwrap();
	// A boundary on the dev chain completes within its block: the summaries are the whole
	// history, so they add up exactly.
	let emitted: u128 = page.epochs.iter().map(|e| e.flows.emitted).sum();
	assert_eq!(emitted, supply.cumulative.emitted);
	for e in &page.epochs {
		assert_eq!(
			e.emitted_providers + e.emitted_treasury + e.subnet_accrued + e.withheld,
			e.scheduled_emission,
			"epoch {}",
			e.epoch
		);
	}
	let net_24: i128 = page.epochs.iter().take(24).map(|e| e.flows.net_change()).sum();
	assert_eq!(supply.net_change_24, net_24);
}
