//! The lease market on the real node: Dave registers two H100s, Alice buys credits and orders
//! two GPUs, bad bids (above the maximum price, from an account that is no provider, offering
//! devices already offered) fail with their typed errors and change nothing, Dave bids, Alice
//! accepts, Dave withdraws and redeems what he earned — paid at the epoch's boundary at the
//! oracle's price — and the lease runs to its end and is swept without anyone calling it. Every
//! credit and CRU balance reconciles to the unit over JSON-RPC.

use crucible_e2e::{account, jsonrpsee::core::client::ClientT, jsonrpsee::rpc_params, Chain, Node};
use crucible_primitives::{
	bme::{AccountCreditsView, Credits, EpochSummary, Price},
	currency::CRU,
	leases::{CloseReason, LeaseFilter, LeasePage, LeaseView, MarketSummary, OrderPage},
	providers::WorkerKey,
	AccountId, Balance, BlockNumber,
};
use crucible_runtime::{Runtime, RuntimeCall, RuntimeEvent};
use frame_support::BoundedVec;
use pallet_crucible_leases::Request;
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring::{self, Alice, Dave, Eve, Ferdie};
use sp_runtime::{DispatchError, FixedPointNumber, Rounding};
use std::time::Duration;

type LeasesCall = pallet_crucible_leases::Call<Runtime>;
type LeasesError = pallet_crucible_leases::Error<Runtime>;
type LeasesEvent = pallet_crucible_leases::Event<Runtime>;
type BmeEvent = pallet_crucible_bme::Event<Runtime>;

const H100_SXM: u16 = 1;
/// The price Dave asks, credits per block, and the order's maximum.
const PRICE: Credits = Credits::from_credits(2);
const MAX_PRICE: Credits = Credits::from_credits(3);
const DURATION: BlockNumber = 24;
const ESCROW: Credits = Credits::from_credits(60);

/// The fee `who` paid in `events`.
fn fee(events: &[RuntimeEvent], who: &AccountId) -> Balance {
	events
		.iter()
		.filter_map(|e| match e {
			RuntimeEvent::TransactionPayment(
				pallet_transaction_payment::Event::TransactionFeePaid { who: w, actual_fee, tip },
			) if w == who => Some(actual_fee + tip),
			_ => None,
		})
		.sum()
}

/// The market error an extrinsic failed with, if it failed in the market.
fn market_error(events: &[RuntimeEvent]) -> Option<LeasesError> {
	events.iter().find_map(|e| match e {
		RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
			dispatch_error: DispatchError::Module(m),
			..
		}) if m.index == 32 => codec::Decode::decode(&mut &m.error[..]).ok(),
		_ => None,
	})
}

/// Submits `call` as `key`; adds the fee to `fees`; returns its events.
async fn submit(
	chain: &Chain,
	call: RuntimeCall,
	key: Sr25519Keyring,
	fees: &mut Balance,
) -> Vec<RuntimeEvent> {
	let xt = chain.sign(call, key).await;
	let included = chain.submit_finalized(&xt).await.expect("submitted");
	*fees += fee(&included.events, &account(key));
	included.events
}

fn succeeded(events: &[RuntimeEvent]) -> bool {
	events
		.iter()
		.any(|e| matches!(e, RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. })))
}

async fn credits(chain: &Chain, who: &AccountId) -> AccountCreditsView {
	chain.rpc.request("crucible_bmeAccount", rpc_params![who]).await.unwrap()
}

async fn lease(chain: &Chain, id: u64) -> Option<LeaseView<AccountId>> {
	chain.rpc.request("crucible_lease", rpc_params![id]).await.unwrap()
}

async fn open_orders(chain: &Chain) -> OrderPage<AccountId> {
	chain.rpc.request("crucible_openOrders", rpc_params![]).await.unwrap()
}

/// Ferdie, the dev chain's feeder, posts $2 per CRU every other block until dropped, so the
/// oracle stays live (its feed goes stale after ten blocks) and boundaries execute.
fn keep_feeding(url: String) -> tokio::task::JoinHandle<()> {
	tokio::spawn(async move {
		let chain = Chain::connect(&url).await;
		let price = Price::saturating_from_integer(2);
		loop {
			let call = RuntimeCall::Bme(pallet_crucible_bme::Call::submit_price { price });
			let xt = chain.sign(call, Ferdie).await;
			let _ = chain.submit_finalized(&xt).await;
			tokio::time::sleep(Duration::from_secs(6)).await;
		}
	})
}

/// Every event of blocks `from..=to` (best chain), with the block number.
async fn events_between(
	chain: &Chain,
	from: BlockNumber,
	to: BlockNumber,
) -> Vec<(BlockNumber, RuntimeEvent)> {
	let mut all = Vec::new();
	for n in from..=to {
		let hash = chain.block_hash(n).await.expect("block exists");
		all.extend(chain.events(hash).await.into_iter().map(|r| (n, r.event)));
	}
	all
}

#[tokio::test(flavor = "multi_thread")]
async fn tenant_leases_gpus_provider_is_paid_redeems_and_everything_reconciles() {
	let node = Node::dev().await;
	let chain = node.chain().await;
	chain.wait_finalized(1, Duration::from_secs(60)).await;
	let feeder = keep_feeding(node.ws_url());
	let (alice, dave, eve) = (account(Alice), account(Dave), account(Eve));
	let first_block = chain.best_number().await;
	let alice_start = chain.free(&alice).await;
	let dave_start = chain.free(&dave).await;
	let eve_start = chain.free(&eve).await;
	let (mut alice_fees, mut dave_fees, mut eve_fees) = (0, 0, 0);

	// Dave registers with two H100 SXM.
	let worker: WorkerKey = sr25519::Pair::from_string("//DaveWorker", None).unwrap().public();
	let providers = |call| RuntimeCall::Providers(call);
	let ev = submit(
		&chain,
		providers(pallet_crucible_providers::Call::register_provider {
			endpoint: b"https://gpu.dave.example".to_vec(),
			region: b"eu-west".to_vec(),
			worker_key: worker,
			metadata: Vec::new(),
		}),
		Dave,
		&mut dave_fees,
	)
	.await;
	assert!(succeeded(&ev), "{ev:?}");
	let ev = submit(
		&chain,
		providers(pallet_crucible_providers::Call::add_devices { model: H100_SXM, count: 2 }),
		Dave,
		&mut dave_fees,
	)
	.await;
	assert!(succeeded(&ev), "{ev:?}");

	// Alice buys credits with 100 CRU once the oracle is live.
	let mint = RuntimeCall::Bme(pallet_crucible_bme::Call::mint_credits {
		cru: 100 * CRU,
		min_credits_out: Credits::ZERO,
	});
	let requested = loop {
		let ev = submit(&chain, mint.clone(), Alice, &mut alice_fees).await;
		if succeeded(&ev) {
			break ev;
		}
		assert!(chain.best_number().await < first_block + 60, "the oracle never went live");
	};
	// The mint settles a few blocks later, at the lower of its quote and the price then.
	let (_, settled) = chain.mint_settlement(&requested).await;
	let bought = settled
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Bme(BmeEvent::CreditsMinted { credits, .. }) => Some(*credits),
			_ => None,
		})
		.unwrap_or_else(|| panic!("the mint settled: {settled:?}"));
	assert_eq!(credits(&chain, &alice).await.purchased, bought);

	// Two orders: A (which Dave will win) and B (to show a device is never offered twice).
	let order = |escrow: Credits| {
		RuntimeCall::Leases(LeasesCall::create_order {
			request: Request {
				models: BoundedVec::truncate_from(vec![H100_SXM]),
				min_vram_mib: 80_000,
				gpus: 2,
				region: Some(BoundedVec::truncate_from(b"eu-west".to_vec())),
			},
			max_price: MAX_PRICE,
			duration: DURATION,
			escrow,
			bid_window: 100,
		})
	};
	let alice_reserved = chain.account(&alice, None).await.data.reserved;
	// An escrow below the highest price through the shortest bid window (2 blocks on dev):
	// refused.
	let ev = submit(&chain, order(Credits::from_credits(5)), Alice, &mut alice_fees).await;
	assert!(matches!(market_error(&ev), Some(LeasesError::EscrowTooSmall)), "{ev:?}");
	let ev = submit(&chain, order(ESCROW), Alice, &mut alice_fees).await;
	assert!(succeeded(&ev), "{ev:?}");
	let ev = submit(&chain, order(Credits::from_credits(6)), Alice, &mut alice_fees).await;
	assert!(succeeded(&ev), "{ev:?}");
	// Each open order holds a 10 CRU deposit.
	assert_eq!(chain.account(&alice, None).await.data.reserved, alice_reserved + 20 * CRU);
	let (a, b) = (0u64, 1u64);
	let locked = Credits(ESCROW.0 + Credits::from_credits(6).0);
	assert_eq!(credits(&chain, &alice).await.purchased, bought.saturating_sub(locked));

	let bid = |order: u64, price: Credits| {
		RuntimeCall::Leases(LeasesCall::bid {
			order,
			price,
			devices: BoundedVec::truncate_from(vec![0, 1]),
		})
	};
	let dave_reserved = chain.account(&dave, None).await.data.reserved;

	// Bad bids: typed errors, and nothing changes.
	let ev = submit(&chain, bid(a, Credits(MAX_PRICE.0 + 1)), Dave, &mut dave_fees).await;
	assert!(matches!(market_error(&ev), Some(LeasesError::BidAboveMaxPrice)), "{ev:?}");
	let ev = submit(&chain, bid(a, PRICE), Eve, &mut eve_fees).await;
	assert!(matches!(market_error(&ev), Some(LeasesError::NotProvider)), "{ev:?}");
	let orders = open_orders(&chain).await;
	assert_eq!(orders.orders.len(), 2);
	assert!(orders.orders.iter().all(|o| o.bids.is_empty()));
	assert_eq!(chain.account(&dave, None).await.data.reserved, dave_reserved);

	// Dave's real bid reserves his two GPUs (and a 10 CRU deposit); offering them again fails.
	let ev = submit(&chain, bid(a, PRICE), Dave, &mut dave_fees).await;
	assert!(succeeded(&ev), "{ev:?}");
	assert_eq!(chain.account(&dave, None).await.data.reserved, dave_reserved + 10 * CRU);
	let (free, reserved) = {
		let data = chain.account(&dave, None).await.data;
		(data.free, data.reserved)
	};
	let fees_before = dave_fees;
	let ev = submit(&chain, bid(b, PRICE), Dave, &mut dave_fees).await;
	assert!(matches!(market_error(&ev), Some(LeasesError::DeviceBusy)), "{ev:?}");
	// Refused, it changed nothing but the fee: no second deposit, the devices still offered
	// on order a only (below).
	let data = chain.account(&dave, None).await.data;
	assert_eq!(data.reserved, reserved);
	assert_eq!(data.free, free - (dave_fees - fees_before));
	let orders = open_orders(&chain).await;
	let view_a = orders.orders.iter().find(|o| o.id == a).unwrap();
	assert_eq!(view_a.bids.len(), 1);
	assert_eq!((view_a.bids[0].provider.clone(), view_a.bids[0].price), (dave.clone(), PRICE));
	assert_eq!(view_a.bids[0].models, vec![H100_SXM, H100_SXM], "each offered device's model");
	assert!(orders.orders.iter().find(|o| o.id == b).unwrap().bids.is_empty());
	let ev = submit(
		&chain,
		RuntimeCall::Leases(LeasesCall::cancel_order { order: b }),
		Alice,
		&mut alice_fees,
	)
	.await;
	assert!(succeeded(&ev), "{ev:?}");

	// Alice accepts: the lease runs [start, start + 24) at 2 credits per block.
	let ev = submit(
		&chain,
		RuntimeCall::Leases(LeasesCall::accept_bid { order: a, provider: dave.clone() }),
		Alice,
		&mut alice_fees,
	)
	.await;
	let (start, end) = ev
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Leases(LeasesEvent::LeaseStarted { start, end, .. }) => {
				Some((*start, *end))
			}
			_ => None,
		})
		.unwrap_or_else(|| panic!("LeaseStarted: {ev:?}"));
	assert_eq!(end, start + DURATION);
	assert_eq!(chain.account(&dave, None).await.data.reserved, dave_reserved, "deposit back");
	assert_eq!(chain.account(&alice, None).await.data.reserved, alice_reserved, "deposits back");
	// No sweep task is parked.
	let stuck: crucible_primitives::leases::StuckPage =
		chain.rpc.request("crucible_leasesStuck", rpc_params![]).await.unwrap();
	assert_eq!((stuck.tasks.len(), stuck.next), (0, None));
	let summary: MarketSummary =
		chain.rpc.request("crucible_marketSummary", rpc_params![]).await.unwrap();
	assert_eq!((summary.active_leases, summary.leased_gpus), (1, 2));
	let h100 = summary.models.iter().find(|m| m.model == H100_SXM).unwrap();
	assert_eq!((h100.leased, h100.registered, h100.utilization_ppm), (2, 2, 1_000_000));
	// 2 credits per block for two GPUs: 600 credits per GPU-hour.
	assert_eq!(h100.median_per_gpu_hour, Some(Credits::from_credits(600)));
	let mine: LeasePage<AccountId> = chain
		.rpc
		.request(
			"crucible_leases",
			rpc_params![LeaseFilter { tenant: Some(alice.clone()), ..Default::default() }],
		)
		.await
		.unwrap();
	assert_eq!(mine.leases.iter().map(|l| l.id).collect::<Vec<_>>(), vec![a]);

	// Ten blocks in, Dave withdraws: exactly price × blocks, less the 5% take-rate.
	chain.wait_best(start + 10, Duration::from_secs(120)).await;
	let ev = submit(
		&chain,
		RuntimeCall::Leases(LeasesCall::withdraw { lease: a }),
		Dave,
		&mut dave_fees,
	)
	.await;
	let (to_provider, burned) = ev
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Leases(LeasesEvent::Withdrawn { to_provider, burned, .. }) => {
				Some((*to_provider, *burned))
			}
			_ => None,
		})
		.unwrap_or_else(|| panic!("Withdrawn: {ev:?}"));
	let view = lease(&chain, a).await.expect("running");
	let paid_blocks = view.settled_at - start;
	assert_eq!(to_provider.0 + burned.0, PRICE.0 * u128::from(paid_blocks));
	assert_eq!(burned.0, (PRICE.0 * u128::from(paid_blocks)).div_ceil(20));
	assert_eq!(view.withdrawn.0, PRICE.0 * u128::from(paid_blocks));
	assert_eq!(credits(&chain, &dave).await.earned, to_provider);

	// Dave redeems it: paid in CRU at the next epoch boundary at the oracle's price.
	let ev = submit(
		&chain,
		RuntimeCall::Bme(pallet_crucible_bme::Call::redeem { credits: to_provider }),
		Dave,
		&mut dave_fees,
	)
	.await;
	let round = ev
		.iter()
		.find_map(|e| match e {
			RuntimeEvent::Bme(BmeEvent::RedemptionRequested { round, .. }) => Some(*round),
			_ => None,
		})
		.unwrap_or_else(|| panic!("RedemptionRequested: {ev:?}"));

	// The lease ends and the sweep closes it without anyone calling anything.
	chain.wait_best(end + 2, Duration::from_secs(180)).await;
	assert!(lease(&chain, a).await.is_none(), "swept");
	let last = chain.best_number().await;
	let events = events_between(&chain, first_block, last).await;
	let (closed_at, paid, refunded) = events
		.iter()
		.find_map(|(n, e)| match e {
			RuntimeEvent::Leases(LeasesEvent::LeaseClosed {
				lease,
				reason: CloseReason::Expired,
				paid_to,
				paid,
				refunded,
			}) if *lease == a => {
				assert_eq!(*paid_to, end);
				Some((*n, *paid, *refunded))
			}
			_ => None,
		})
		.expect("LeaseClosed (expired)");
	assert!(closed_at >= end && closed_at <= end + 1, "swept at its due block");
	// Paid for exactly 24 blocks in all; the rest of the escrow came back.
	assert_eq!(view.withdrawn.0 + paid.0, PRICE.0 * u128::from(DURATION));
	assert_eq!(paid.0 + view.withdrawn.0 + refunded.0, ESCROW.0);

	// The redemption: at the boundary of its round, at the boundary's price, to the unit.
	let boundaries: Vec<(BlockNumber, EpochSummary)> = events
		.iter()
		.filter_map(|(n, e)| match e {
			RuntimeEvent::Bme(BmeEvent::BoundaryCompleted { summary }) => {
				Some((*n, summary.clone()))
			}
			_ => None,
		})
		.collect();
	let (at, redeemed) =
		boundaries.iter().find(|(_, s)| s.epoch == round).expect("the round's boundary ran");
	assert!(redeemed.executed);
	let price = redeemed.price.expect("a redeem price");
	assert_eq!(price, Price::saturating_from_integer(2), "the oracle's TWAP");
	assert_eq!(redeemed.credits_redeemed, to_provider);
	let cru = pallet_crucible_bme::math::credits_to_cru(to_provider, price, Rounding::Down)
		.expect("converts");
	let before = chain.block_hash(at - 1).await;
	let after = chain.block_hash(*at).await;
	let dave_before = chain.account(&dave, before).await.data;
	let dave_after = chain.account(&dave, after).await.data;
	// Dave is the only provider: the providers' emission share of the epoch is his too.
	assert_eq!(
		(dave_after.free + dave_after.reserved) - (dave_before.free + dave_before.reserved),
		cru + redeemed.emitted_providers,
	);

	// Reconcile. Credits: Alice has what she bought less what Dave was paid.
	let alice_credits = credits(&chain, &alice).await;
	assert_eq!(alice_credits.purchased.0, bought.0 - PRICE.0 * u128::from(DURATION));
	let dave_credits = credits(&chain, &dave).await;
	let closing_pay = events
		.iter()
		.find_map(|(_, e)| match e {
			RuntimeEvent::Bme(BmeEvent::EscrowPaid { id, to_provider, burned, .. })
				if *id == a && to_provider.0 + burned.0 == paid.0 =>
			{
				Some(*to_provider)
			}
			_ => None,
		})
		.expect("the closing payment");
	assert_eq!(dave_credits.earned, closing_pay);
	// CRU: Alice paid the mint and her fees; Dave got the redemption and every providers'
	// emission share, less his fees, with his bond held (2 × 500 + 1,000 CRU).
	feeder.abort();
	let at_last = chain.block_hash(last).await;
	let alice_now = chain.account(&alice, at_last).await.data;
	assert_eq!(alice_now.free + alice_now.reserved, alice_start - 100 * CRU - alice_fees);
	let emitted: Balance = boundaries.iter().map(|(_, s)| s.emitted_providers).sum();
	let dave_now = chain.account(&dave, at_last).await.data;
	assert_eq!(dave_now.reserved, 2_000 * CRU);
	assert_eq!(dave_now.free + dave_now.reserved, dave_start - dave_fees + cru + emitted);
	assert_eq!(chain.account(&eve, at_last).await.data.free, eve_start - eve_fees);
}
