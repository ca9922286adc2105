//! Unit and property tests of the lease market, against the real credit ledger (BME) and the
//! real provider registry.

use crate::{
	mock::*, Agenda, AgendaLen, Bids, Error, Event, HoldReason, LeaseParams, LeasedGpus,
	Leases as LeasesMap, NextId, Orders, Params, RequestOf, StuckTasks, SweepCursor, Task,
};
use crucible_primitives::{
	bme::{CreditLedger, Credits},
	currency::CRU,
	leases::{
		CloseReason, FaultKind, LeaseFilter, LeasePage, LeaseStatus, LeaseView, OrderCloseReason,
	},
	providers::{
		DeviceId, DeviceState, DeviceUse, LeaseId, OrderId, ProviderRegistry, Reputation,
		ReputationCounters, ReputationEvent,
	},
	time::{DAYS, HOURS},
	Balance, BlockNumber,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
	weights::Weight,
};
use sp_runtime::{DispatchError, DispatchResult, TokenError};

/// The bid window most tests use.
const WINDOW: BlockNumber = 5;
const FREE: DeviceState = DeviceState::Free;

fn offered(order: OrderId) -> DeviceState {
	DeviceState::InUse(DeviceUse::Offered(order))
}

fn leased(lease: LeaseId) -> DeviceState {
	DeviceState::InUse(DeviceUse::Leased(lease))
}

/// The bond of a provider with `devices` data-centre devices (the registry's production bonds).
fn bond(devices: u32) -> Balance {
	1_000 * CRU + 500 * CRU * Balance::from(devices)
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

fn purchased(who: u64) -> Credits {
	<Bme as CreditLedger<u64>>::purchased(&who)
}

fn earned(who: u64) -> Credits {
	<Bme as CreditLedger<u64>>::earned(&who)
}

fn escrow(id: u64) -> Option<(u64, Credits)> {
	<Bme as CreditLedger<u64>>::escrow(id)
}

/// Everything `who` has on hold (bonds and bid deposits).
fn held(who: u64) -> Balance {
	Balances::total_balance_on_hold(&who)
}

/// What `who` has on hold for bids.
fn deposits(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::BidDeposit.into(), &who)
}

fn issuance() -> Balance {
	<Balances as Inspect<u64>>::total_issuance()
}

fn burned_total() -> Credits {
	pallet_crucible_bme::Totals::<Test>::get().take_rate_burned
}

fn states(who: u64) -> Vec<DeviceState> {
	<Providers as ProviderRegistry<u64>>::devices(&who).into_iter().map(|d| d.state).collect()
}

fn all_free(who: u64) -> bool {
	states(who).iter().all(|s| *s == FREE)
}

fn reputation(who: u64) -> ReputationCounters {
	<Providers as Reputation<u64>>::reputation(&who).expect("a provider")
}

fn counters(completed: u32, faulted: u32) -> ReputationCounters {
	ReputationCounters {
		leases_completed: completed,
		leases_faulted: faulted,
		..Default::default()
	}
}

fn suspend(who: u64) {
	assert_ok!(Providers::suspend(RuntimeOrigin::root(), who, b"unreachable".to_vec()));
}

fn sum(a: Credits, b: Credits) -> Credits {
	a.checked_add(b).expect("no overflow")
}

fn minus(a: Credits, b: Credits) -> Credits {
	a.checked_sub(b).expect("no underflow")
}

fn times(c: Credits, n: BlockNumber) -> Credits {
	Credits(c.0 * u128::from(n))
}

/// The take-rate of a payment: 5%, rounded up.
fn take(paid: Credits) -> Credits {
	Credits(paid.0.div_ceil(20))
}

/// What the provider keeps of a payment.
fn net(paid: Credits) -> Credits {
	minus(paid, take(paid))
}

/// Jump to block `n` without running any hook: a touch before the sweep got there.
fn jump_to(n: BlockNumber) {
	System::set_block_number(n.into());
}

/// Let the sweep catch up with the current block.
fn idle() {
	Leases::on_idle(System::block_number(), Weight::MAX);
}

/// Three providers with four H100s each (A and B in `eu`, C in `us`), and two tenants with
/// about 1,990 credits each.
fn market() {
	provider(PROV_A, "eu", H100_SXM, 4);
	provider(PROV_B, "eu", H100_SXM, 4);
	provider(PROV_C, "us", H100_SXM, 4);
	buy(ALICE, 2_000 * CRU);
	buy(BOB, 2_000 * CRU);
}

fn h100(gpus: u32) -> RequestOf<Test> {
	request(&[H100_SXM], 80_000, gpus)
}

fn in_region(mut r: RequestOf<Test>, region: &str) -> RequestOf<Test> {
	r.region = Some(region.as_bytes().to_vec().try_into().unwrap());
	r
}

fn try_order(
	tenant: u64,
	req: RequestOf<Test>,
	max_price: Credits,
	duration: BlockNumber,
	escrow: Credits,
	window: BlockNumber,
) -> DispatchResult {
	Leases::create_order(signed(tenant), req, max_price, duration, escrow, window)
}

fn order_with(
	tenant: u64,
	req: RequestOf<Test>,
	max_price: Credits,
	duration: BlockNumber,
	escrow: Credits,
	window: BlockNumber,
) -> OrderId {
	let id = NextId::<Test>::get();
	assert_ok!(try_order(tenant, req, max_price, duration, escrow, window));
	id
}

/// An order for `gpus` H100s, bids taken for [`WINDOW`] blocks.
fn order(
	tenant: u64,
	gpus: u32,
	max_price: Credits,
	duration: BlockNumber,
	escrow: Credits,
) -> OrderId {
	order_with(tenant, h100(gpus), max_price, duration, escrow, WINDOW)
}

fn bid(who: u64, order: OrderId, price: Credits, devices: &[DeviceId]) {
	assert_ok!(Leases::bid(signed(who), order, price, ids(devices)));
}

fn accept(tenant: u64, order: OrderId, who: u64) {
	assert_ok!(Leases::accept_bid(signed(tenant), order, who));
}

/// A lease starting now: `tenant` orders `devices` of `who` (as `req`) at `price`, `who`
/// bids, the tenant accepts.
fn lease_of(
	tenant: u64,
	who: u64,
	req: RequestOf<Test>,
	devices: &[DeviceId],
	price: Credits,
	duration: BlockNumber,
	escrow: Credits,
) -> LeaseId {
	let id = order_with(tenant, req, price, duration, escrow, WINDOW);
	bid(who, id, price, devices);
	accept(tenant, id, who);
	id
}

/// A lease of H100s starting now.
fn lease(
	tenant: u64,
	who: u64,
	devices: &[DeviceId],
	price: Credits,
	duration: BlockNumber,
	escrow: Credits,
) -> LeaseId {
	lease_of(tenant, who, h100(devices.len() as u32), devices, price, duration, escrow)
}

/// The market's events so far.
fn market_events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Leases(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn count(f: impl Fn(&Event<Test>) -> bool) -> usize {
	market_events().iter().filter(|e| f(e)).count()
}

fn low_funds(id: LeaseId) -> usize {
	count(|e| matches!(e, Event::LeaseLowFunds { lease, .. } if *lease == id))
}

/// How lease `id` closed: (reason, paid to, paid, refunded).
fn closed(id: LeaseId) -> (CloseReason, BlockNumber, Credits, Credits) {
	market_events()
		.into_iter()
		.rev()
		.find_map(|e| match e {
			Event::LeaseClosed { lease, reason, paid_to, paid, refunded } if lease == id => {
				Some((reason, paid_to, paid, refunded))
			}
			_ => None,
		})
		.expect("the lease closed")
}

/// Credits settled on lease `id` so far, by its `LeaseSettled` events.
fn settled(id: LeaseId) -> Credits {
	market_events().into_iter().fold(Credits::ZERO, |acc, e| match e {
		Event::LeaseSettled { lease, credits, .. } if lease == id => sum(acc, credits),
		_ => acc,
	})
}

// ---- create_order ----

#[test]
fn create_order_locks_the_escrow_and_opens_the_window() {
	test(|| {
		market();
		let before = purchased(ALICE);
		let req = in_region(request(&[H100_SXM, A100], 80_000, 2), "eu");
		let id = order_with(ALICE, req, credits(3), 100, credits(50), WINDOW);
		assert_eq!(id, 0);
		assert_eq!(NextId::<Test>::get(), 1);
		assert_eq!(purchased(ALICE), minus(before, credits(50)));
		assert_eq!(escrow(0), Some((ALICE, credits(50))));
		let bid_until = now() + WINDOW;
		System::assert_last_event(
			Event::OrderCreated {
				order: 0,
				tenant: ALICE,
				gpus: 2,
				max_price: credits(3),
				duration: 100,
				escrow: credits(50),
				bid_until,
			}
			.into(),
		);
		assert!(Agenda::<Test>::contains_key(bid_until, Task::CloseBidding(0)));
		let view = Leases::order_view(0).expect("the order is open");
		assert_eq!(
			(view.id, view.tenant, view.models.clone(), view.gpus, view.min_vram_mib),
			(0, ALICE, vec![H100_SXM, A100], 2, 80_000)
		);
		assert_eq!(view.region.as_deref(), Some("eu"));
		assert_eq!(
			(view.max_price, view.duration, view.escrow, view.created_at, view.bid_until),
			(credits(3), 100, credits(50), now(), bid_until)
		);
		assert!(view.bids.is_empty());
		// The order deposit is held from the tenant until the order closes.
		assert_eq!(
			Balances::balance_on_hold(&HoldReason::OrderDeposit.into(), &ALICE),
			ORDER_DEPOSIT
		);
		// The bounds are inclusive: an escrow of the shortest bid window (2 blocks) at the
		// maximum price, the longest lease, both ends of the bid window, the most GPUs.
		assert_eq!(order_with(BOB, h100(1), credits(3), 10_000, credits(6), 2), 1);
		assert_eq!(order_with(BOB, h100(MAX_GPUS), credits(1), 1, credits(2), 50), 2);
		assert_eq!(escrow(1), Some((BOB, credits(6))));
		// An order reserves no device.
		assert!(all_free(PROV_A) && all_free(PROV_B) && all_free(PROV_C));
		assert_eq!(Orders::<Test>::count(), 3);
	});
}

#[test]
fn create_order_refuses_bad_orders_and_changes_nothing() {
	test(|| {
		market();
		let create =
			|req: RequestOf<Test>, price: u128, duration: BlockNumber, window: BlockNumber| {
				try_order(ALICE, req, credits(price), duration, credits(10), window)
			};
		assert_noop!(
			Leases::create_order(RuntimeOrigin::none(), h100(1), credits(1), 10, credits(10), 5),
			DispatchError::BadOrigin
		);
		assert_noop!(create(request(&[], 0, 1), 1, 10, WINDOW), Error::<Test>::NoModels);
		assert_noop!(
			create(request(&[H100_SXM, A100, H100_SXM], 0, 1), 1, 10, WINDOW),
			Error::<Test>::DuplicateModel
		);
		assert_noop!(
			create(request(&[H100_SXM, 42], 0, 1), 1, 10, WINDOW),
			Error::<Test>::UnknownModel
		);
		assert_noop!(create(request(&[H100_SXM], 0, 0), 1, 10, WINDOW), Error::<Test>::ZeroGpus);
		assert_noop!(
			create(request(&[H100_SXM], 0, MAX_GPUS + 1), 1, 10, WINDOW),
			Error::<Test>::TooManyGpus
		);
		// No A100 is registered; no H100 has 100 GB.
		assert_noop!(create(request(&[A100], 0, 1), 1, 10, WINDOW), Error::<Test>::Unservable);
		assert_noop!(
			create(request(&[H100_SXM], 100_000, 1), 1, 10, WINDOW),
			Error::<Test>::Unservable
		);
		assert_noop!(create(h100(1), 0, 10, WINDOW), Error::<Test>::ZeroPrice);
		assert_noop!(create(h100(1), 1, 0, WINDOW), Error::<Test>::BadDuration);
		assert_noop!(create(h100(1), 1, 10_001, WINDOW), Error::<Test>::BadDuration);
		assert_noop!(create(h100(1), 1, 10, 1), Error::<Test>::BadBidWindow);
		assert_noop!(create(h100(1), 1, 10, 51), Error::<Test>::BadBidWindow);
		// Less than the highest price through the shortest bid window (2 blocks).
		assert_noop!(
			try_order(ALICE, h100(1), credits(2), 10, Credits(credits(4).0 - 1), WINDOW),
			Error::<Test>::EscrowTooSmall
		);
		// More than the tenant's purchased credits: the ledger refuses the lock.
		let all = purchased(ALICE);
		assert_noop!(
			try_order(ALICE, h100(1), credits(1), 10, sum(all, Credits(1)), WINDOW),
			pallet_crucible_bme::Error::<Test>::InsufficientPurchased
		);
		assert_noop!(
			try_order(EVE, h100(1), credits(1), 10, credits(2), WINDOW),
			pallet_crucible_bme::Error::<Test>::InsufficientPurchased
		);
		// Every credit it has is fine.
		assert_ok!(try_order(ALICE, h100(1), credits(1), 10, all, WINDOW));
		assert_eq!(purchased(ALICE), Credits::ZERO);
	});
}

#[test]
fn an_order_needs_enough_free_devices_of_active_providers_now() {
	test(|| {
		provider(PROV_A, "eu", H100_SXM, 2);
		provider(PROV_B, "eu", A100, 1);
		buy(ALICE, 1_000 * CRU);
		let either = |gpus| request(&[H100_SXM, A100], 80_000, gpus);
		assert_noop!(
			try_order(ALICE, either(4), credits(1), 10, credits(10), WINDOW),
			Error::<Test>::Unservable
		);
		let o = order_with(ALICE, either(2), credits(1), 10, credits(10), WINDOW);
		// Three GPUs of either model are free, until two are offered in a bid.
		assert_ok!(try_order(ALICE, either(3), credits(1), 10, credits(10), WINDOW));
		bid(PROV_A, o, credits(1), &[0, 1]);
		assert_noop!(
			try_order(ALICE, either(2), credits(1), 10, credits(10), WINDOW),
			Error::<Test>::Unservable
		);
		assert_ok!(try_order(ALICE, either(1), credits(1), 10, credits(10), WINDOW));
		// A suspended provider's free devices do not count.
		suspend(PROV_B);
		assert_noop!(
			try_order(ALICE, either(1), credits(1), 10, credits(10), WINDOW),
			Error::<Test>::Unservable
		);
	});
}

// ---- bid ----

#[test]
fn a_bid_reserves_its_devices_and_holds_the_deposit() {
	test(|| {
		market();
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		assert_ok!(Leases::bid(signed(PROV_A), o, credits(4), ids(&[1, 3])));
		System::assert_last_event(
			Event::BidPlaced {
				order: o,
				provider: PROV_A,
				price: credits(4),
				devices: vec![1, 3],
				models: vec![H100_SXM, H100_SXM],
			}
			.into(),
		);
		assert_eq!(deposits(PROV_A), DEPOSIT);
		assert_eq!(held(PROV_A), bond(4) + DEPOSIT);
		assert_eq!(states(PROV_A), vec![FREE, offered(o), FREE, offered(o)]);
		// The highest price allowed is the order's maximum.
		bid(PROV_B, o, credits(5), &[0, 1]);
		let bids = Leases::order_view(o).unwrap().bids;
		assert_eq!(bids.len(), 2);
		assert_eq!(
			(bids[0].provider, bids[0].price, bids[0].devices.clone(), bids[0].deposit),
			(PROV_A, credits(4), vec![1, 3], DEPOSIT)
		);
		assert_eq!((bids[1].provider, bids[1].placed_at), (PROV_B, now()));
		// The escrow is untouched until a bid wins; nothing is leased yet.
		assert_eq!(escrow(o), Some((ALICE, credits(100))));
		assert_eq!(LeasedGpus::<Test>::get(), 0);
		assert_eq!(<Providers as ProviderRegistry<u64>>::in_use(), (4, 0));
	});
}

#[test]
fn bid_refuses_what_the_order_does_not_allow() {
	test(|| {
		market();
		let eu = order_with(ALICE, in_region(h100(2), "eu"), credits(5), 20, credits(100), WINDOW);
		let any = order(BOB, 1, credits(5), 20, credits(100));
		let try_bid = |who: u64, order: OrderId, price: Credits, devices: &[DeviceId]| {
			Leases::bid(signed(who), order, price, ids(devices))
		};
		assert_noop!(
			Leases::bid(RuntimeOrigin::none(), eu, credits(1), ids(&[0, 1])),
			DispatchError::BadOrigin
		);
		assert_noop!(try_bid(PROV_A, 7, credits(1), &[0, 1]), Error::<Test>::OrderNotFound);
		assert_noop!(try_bid(EVE, eu, credits(1), &[0, 1]), Error::<Test>::NotProvider);
		assert_noop!(try_bid(PROV_C, eu, credits(1), &[0, 1]), Error::<Test>::WrongRegion);
		assert_noop!(try_bid(PROV_A, eu, Credits::ZERO, &[0, 1]), Error::<Test>::ZeroPrice);
		assert_noop!(
			try_bid(PROV_A, eu, sum(credits(5), Credits(1)), &[0, 1]),
			Error::<Test>::BidAboveMaxPrice
		);
		bid(PROV_A, eu, credits(5), &[0, 1]);
		assert_noop!(try_bid(PROV_A, eu, credits(4), &[2, 3]), Error::<Test>::AlreadyBid);
		// At most `max_bids` bids per order.
		assert_ok!(Leases::set_params(
			RuntimeOrigin::root(),
			LeaseParams { max_bids: 2, ..lease_params() }
		));
		bid(PROV_A, any, credits(3), &[2]);
		bid(PROV_B, any, credits(3), &[2]);
		assert_noop!(try_bid(PROV_C, any, credits(1), &[0]), Error::<Test>::TooManyBids);
		// A suspended provider may not bid.
		suspend(PROV_B);
		assert_noop!(try_bid(PROV_B, eu, credits(4), &[0, 1]), Error::<Test>::ProviderNotActive);
		// Nobody may bid once the window has ended, though the sweep has not decided yet.
		assert_ok!(Leases::set_params(RuntimeOrigin::root(), lease_params()));
		let until = Leases::order_view(any).unwrap().bid_until;
		jump_to(until - 1);
		assert_ok!(try_bid(PROV_C, any, credits(1), &[0]));
		jump_to(until);
		assert_noop!(try_bid(PROV_A, eu, credits(4), &[3]), Error::<Test>::BiddingClosed);
		assert_noop!(try_bid(EVE, any, credits(1), &[0]), Error::<Test>::BiddingClosed);
		assert!(Orders::<Test>::contains_key(any));
	});
}

#[test]
fn a_bid_must_offer_exactly_suitable_free_devices() {
	test(|| {
		market();
		assert_ok!(Providers::add_devices(signed(PROV_A), RTX_4090, 1)); // device 4
		assert_ok!(Providers::add_devices(signed(PROV_A), A100, 1)); // device 5
		let o = order_with(
			ALICE,
			request(&[H100_SXM, RTX_4090], 80_000, 2),
			credits(5),
			20,
			credits(100),
			WINDOW,
		);
		let try_bid =
			|devices: &[DeviceId]| Leases::bid(signed(PROV_A), o, credits(1), ids(devices));
		assert_noop!(try_bid(&[0]), Error::<Test>::WrongDeviceCount);
		assert_noop!(try_bid(&[0, 1, 2]), Error::<Test>::WrongDeviceCount);
		assert_noop!(try_bid(&[0, 0]), Error::<Test>::DuplicateDevice);
		assert_noop!(try_bid(&[0, 9]), Error::<Test>::UnknownDevice);
		// Device 4 is an accepted model with too little memory, device 5 a model not accepted.
		assert_noop!(try_bid(&[0, 4]), Error::<Test>::UnsuitableDevice);
		assert_noop!(try_bid(&[5, 0]), Error::<Test>::UnsuitableDevice);
		// A device offered on another order, or leased, is busy.
		let other = order(BOB, 1, credits(5), 20, credits(100));
		bid(PROV_A, other, credits(1), &[1]);
		assert_noop!(try_bid(&[0, 1]), Error::<Test>::DeviceBusy);
		let l = lease(BOB, PROV_A, &[2], credits(1), 20, credits(100));
		assert_noop!(try_bid(&[2, 0]), Error::<Test>::DeviceBusy);
		assert_eq!(states(PROV_A)[..4], [FREE, offered(other), leased(l), FREE]);
		assert_ok!(try_bid(&[3, 0]));
		assert_eq!(states(PROV_A)[..4], [offered(o), offered(other), leased(l), offered(o)]);
	});
}

#[test]
fn a_bid_whose_deposit_cannot_be_held_reserves_nothing() {
	test(|| {
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(100));
		// The provider keeps half a deposit free.
		let spare = Balances::free_balance(PROV_A) - DEPOSIT / 2;
		assert_ok!(Balances::transfer_allow_death(signed(PROV_A), EVE, spare));
		// The devices are reserved before the deposit is held: all of it is undone.
		assert_noop!(
			Leases::bid(signed(PROV_A), o, credits(1), ids(&[0])),
			TokenError::FundsUnavailable
		);
		assert!(all_free(PROV_A));
		assert_eq!(deposits(PROV_A), 0);
	});
}

// ---- accept_bid and cancel_order ----

#[test]
fn accepting_a_bid_starts_the_lease_and_releases_the_others() {
	test(|| {
		market();
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(4), &[0, 1]);
		bid(PROV_B, o, credits(3), &[2, 3]);
		bid(PROV_C, o, credits(2), &[0, 1]);
		// The tenant may take any bid, not only the cheapest.
		let start = now();
		assert_ok!(Leases::accept_bid(signed(ALICE), o, PROV_A));
		System::assert_last_event(
			Event::LeaseStarted {
				lease: o,
				tenant: ALICE,
				provider: PROV_A,
				price: credits(4),
				start,
				end: start + 20,
				devices: vec![0, 1],
			}
			.into(),
		);
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_B }.into());
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_C }.into());
		assert_eq!(count(|e| matches!(e, Event::BidReleased { .. })), 2);
		assert_eq!(states(PROV_A), vec![leased(o), leased(o), FREE, FREE]);
		assert!(all_free(PROV_B) && all_free(PROV_C));
		// Every deposit is back, the winner's too.
		for p in [PROV_A, PROV_B, PROV_C] {
			assert_eq!(held(p), bond(4));
		}
		// The order is gone; the lease keeps its id and its escrow.
		assert!(!Orders::<Test>::contains_key(o));
		assert!(Bids::<Test>::get(o).is_empty());
		assert_eq!(escrow(o), Some((ALICE, credits(100))));
		assert_eq!(LeasedGpus::<Test>::get(), 2);
		let view = Leases::lease_view(o).unwrap();
		assert_eq!(
			(view.tenant, view.provider, view.price, view.start, view.end, view.due),
			(ALICE, PROV_A, credits(4), start, start + 20, start + 20)
		);
		assert_eq!((view.runs_dry, view.status), (false, LeaseStatus::Running));
		// The window's task is gone; the lease is looked at when it is due.
		assert!(!Agenda::<Test>::contains_key(start + WINDOW, Task::CloseBidding(o)));
		assert!(Agenda::<Test>::contains_key(start + 20, Task::CheckLease(o)));
		advance(WINDOW.into());
		assert!(LeasesMap::<Test>::contains_key(o));
		assert_eq!(count(|e| matches!(e, Event::OrderClosed { .. })), 0);
	});
}

#[test]
fn only_the_tenant_accepts_and_only_an_active_bidder() {
	test(|| {
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(4), &[0]);
		bid(PROV_B, o, credits(3), &[0]);
		assert_noop!(
			Leases::accept_bid(RuntimeOrigin::none(), o, PROV_A),
			DispatchError::BadOrigin
		);
		assert_noop!(Leases::accept_bid(signed(ALICE), 9, PROV_A), Error::<Test>::OrderNotFound);
		assert_noop!(Leases::accept_bid(signed(BOB), o, PROV_A), Error::<Test>::NotTenant);
		assert_noop!(Leases::accept_bid(signed(PROV_A), o, PROV_A), Error::<Test>::NotTenant);
		assert_noop!(Leases::accept_bid(signed(ALICE), o, PROV_C), Error::<Test>::BidNotFound);
		suspend(PROV_B);
		assert_noop!(
			Leases::accept_bid(signed(ALICE), o, PROV_B),
			Error::<Test>::ProviderNotActive
		);
		// Past the window but before the sweep decided, the order is still open.
		jump_to(now() + WINDOW);
		assert_ok!(Leases::accept_bid(signed(ALICE), o, PROV_A));
		// The suspended provider's bid is released all the same.
		assert_eq!(held(PROV_B), bond(4));
		assert!(all_free(PROV_B));
	});
}

/// A bid whose deposit is no longer on hold (a broken invariant, forced here) is released as
/// far as it can be and reported, not silently. (Release builds only: `defensive!` panics in
/// debug builds, as it should.)
#[cfg(not(debug_assertions))]
#[test]
fn a_bid_released_without_its_deposit_on_hold_is_reported() {
	use frame_support::traits::{fungible::MutateHold, tokens::Precision};
	new_test_ext().execute_with(|| {
		market();
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(4), &[0, 1]);
		let deposit = deposits(PROV_A);
		assert!(deposit > 0);
		assert_ok!(Balances::release(
			&HoldReason::BidDeposit.into(),
			&PROV_A,
			deposit,
			Precision::Exact
		));
		assert_ok!(Leases::cancel_order(signed(ALICE), o));
		System::assert_has_event(
			Event::BidReleaseDefect {
				order: o,
				provider: PROV_A,
				deposit,
				released: 0,
				devices_released: true,
			}
			.into(),
		);
		assert!(all_free(PROV_A));
		check();
	});
}

#[test]
fn a_bid_whose_devices_cannot_all_be_released_frees_the_rest() {
	new_test_ext().execute_with(|| {
		market();
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(4), &[0, 1]);
		let deposit = deposits(PROV_A);
		lose(PROV_A, 0, true);
		assert_ok!(Leases::cancel_order(signed(ALICE), o));
		System::assert_has_event(
			Event::BidReleaseDefect {
				order: o,
				provider: PROV_A,
				deposit,
				released: deposit,
				devices_released: false,
			}
			.into(),
		);
		// Device 1, still offered for the closed order, is free again.
		assert!(all_free(PROV_A), "{:?}", states(PROV_A));
		assert_eq!(deposits(PROV_A), 0);
		check();
	});
}

#[test]
fn cancelling_an_order_refunds_the_escrow_and_releases_every_bid() {
	test(|| {
		market();
		let before = purchased(ALICE);
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(4), &[0, 1]);
		bid(PROV_B, o, credits(3), &[2, 3]);
		assert_noop!(Leases::cancel_order(signed(ALICE), 5), Error::<Test>::OrderNotFound);
		assert_noop!(Leases::cancel_order(signed(BOB), o), Error::<Test>::NotTenant);
		assert_noop!(Leases::cancel_order(signed(PROV_A), o), Error::<Test>::NotTenant);
		assert_ok!(Leases::cancel_order(signed(ALICE), o));
		System::assert_last_event(
			Event::OrderClosed {
				order: o,
				tenant: ALICE,
				reason: OrderCloseReason::Cancelled,
				refunded: credits(100),
			}
			.into(),
		);
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_A }.into());
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_B }.into());
		assert_eq!(purchased(ALICE), before);
		assert_eq!(escrow(o), None);
		for p in [PROV_A, PROV_B] {
			assert_eq!(held(p), bond(4));
			assert!(all_free(p));
		}
		assert!(Leases::order_view(o).is_none());
		assert_eq!(Agenda::<Test>::iter_keys().count(), 0);
		assert_noop!(Leases::cancel_order(signed(ALICE), o), Error::<Test>::OrderNotFound);
		assert_noop!(Leases::accept_bid(signed(ALICE), o, PROV_A), Error::<Test>::OrderNotFound);
	});
}

// ---- the auction at the window's end ----

#[test]
fn the_lowest_price_wins_at_the_windows_end() {
	test(|| {
		market();
		let o = order(ALICE, 2, credits(5), 20, credits(200));
		let until = now() + WINDOW;
		bid(PROV_A, o, credits(4), &[0, 1]);
		advance(1);
		bid(PROV_B, o, credits(2), &[0, 1]);
		bid(PROV_C, o, credits(3), &[2, 3]);
		run_to(u64::from(until) - 1);
		assert!(Orders::<Test>::contains_key(o));
		advance(1);
		assert!(!Orders::<Test>::contains_key(o));
		System::assert_has_event(
			Event::LeaseStarted {
				lease: o,
				tenant: ALICE,
				provider: PROV_B,
				price: credits(2),
				start: until,
				end: until + 20,
				devices: vec![0, 1],
			}
			.into(),
		);
		// The losers have their devices and deposits back at once.
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_A }.into());
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_C }.into());
		assert!(all_free(PROV_A) && all_free(PROV_C));
		assert_eq!(states(PROV_B), vec![leased(o), leased(o), FREE, FREE]);
		for p in [PROV_A, PROV_B, PROV_C] {
			assert_eq!(held(p), bond(4));
		}
		assert_eq!(LeasesMap::<Test>::get(o).unwrap().meter.price, credits(2));
	});
}

#[test]
fn equal_prices_go_to_the_better_reputation_then_the_earliest_bid() {
	test(|| {
		market();
		// B has a completed lease (⅔); A is new (½); C one of each (½, as good as new).
		<Providers as Reputation<u64>>::record(&PROV_B, ReputationEvent::LeaseCompleted);
		<Providers as Reputation<u64>>::record(&PROV_C, ReputationEvent::LeaseCompleted);
		<Providers as Reputation<u64>>::record(&PROV_C, ReputationEvent::LeaseFaulted);
		let by_reputation = order(ALICE, 1, credits(5), 20, credits(200));
		let by_time = order(ALICE, 1, credits(5), 20, credits(200));
		let by_order = order(BOB, 1, credits(5), 20, credits(200));
		let by_price = order(BOB, 1, credits(5), 20, credits(200));
		// The best reputation bids last and wins.
		bid(PROV_C, by_reputation, credits(3), &[0]);
		bid(PROV_A, by_reputation, credits(3), &[0]);
		bid(PROV_B, by_reputation, credits(3), &[0]);
		// Equal records: the earlier block wins.
		bid(PROV_C, by_time, credits(3), &[1]);
		advance(1);
		bid(PROV_A, by_time, credits(3), &[1]);
		// Equal records in one block: the first bid wins.
		bid(PROV_A, by_order, credits(3), &[2]);
		bid(PROV_C, by_order, credits(3), &[2]);
		// A lower price beats a better reputation.
		bid(PROV_B, by_price, credits(3), &[1]);
		bid(PROV_C, by_price, Credits(credits(3).0 - 1), &[3]);
		advance(WINDOW.into());
		let winner = |l: LeaseId| LeasesMap::<Test>::get(l).expect("a lease started").provider;
		assert_eq!(winner(by_reputation), PROV_B);
		assert_eq!(winner(by_time), PROV_C);
		assert_eq!(winner(by_order), PROV_A);
		assert_eq!(winner(by_price), PROV_C);
		assert_eq!(count(|e| matches!(e, Event::BidReleased { .. })), 5);
		assert_eq!(LeasedGpus::<Test>::get(), 4);
	});
}

#[test]
fn a_suspended_best_bidder_is_passed_over() {
	test(|| {
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(200));
		bid(PROV_A, o, credits(1), &[0]);
		bid(PROV_B, o, credits(3), &[0]);
		bid(PROV_C, o, credits(2), &[0]);
		suspend(PROV_A);
		advance(WINDOW.into());
		let l = LeasesMap::<Test>::get(o).expect("the next best won");
		assert_eq!((l.provider, l.meter.price), (PROV_C, credits(2)));
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_A }.into());
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_B }.into());
		assert!(all_free(PROV_A) && all_free(PROV_B));
		assert_eq!(held(PROV_A), bond(4));
	});
}

/// Slash `who`'s bond by `amount` (through the registry, as a fault or governance would).
fn slash(who: u64, amount: Balance) {
	use crucible_primitives::providers::{SlashReason, Slashing};
	assert_eq!(
		<Providers as Slashing<u64>>::slash(&who, amount, None, SlashReason::Fraud),
		Ok(amount)
	);
}

#[test]
fn a_provider_slashed_below_its_bond_ratio_cannot_bid_until_it_tops_up() {
	test(|| {
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(200));
		// 90% of the 3,000 CRU required is 2,700: this slash leaves it one planck short.
		slash(PROV_A, 300 * CRU + 1);
		assert_noop!(
			Leases::bid(signed(PROV_A), o, credits(1), ids(&[0])),
			Error::<Test>::ProviderUnderbonded
		);
		// One planck of top-up restores the ratio.
		assert_ok!(Providers::top_up_bond(signed(PROV_A), 1));
		bid(PROV_A, o, credits(1), &[0]);
	});
}

#[test]
fn a_provider_slashed_to_nothing_stays_out_of_the_market() {
	test(|| {
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(200));
		slash(PROV_A, bond(4));
		assert_eq!(Providers::provider_view(PROV_A).unwrap().bond.held, 0);
		assert_noop!(
			Leases::bid(signed(PROV_A), o, credits(1), ids(&[0])),
			Error::<Test>::ProviderUnderbonded
		);
	});
}

#[test]
fn a_bid_whose_provider_was_slashed_below_its_ratio_is_voided() {
	// At acceptance: the tenant is refused, the bid stands until the window ends.
	test(|| {
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(200));
		bid(PROV_A, o, credits(1), &[0]);
		bid(PROV_B, o, credits(3), &[0]);
		slash(PROV_A, bond(4) / 2);
		assert_noop!(
			Leases::accept_bid(signed(ALICE), o, PROV_A),
			Error::<Test>::ProviderUnderbonded
		);
		// At the window's end: the best bid is voided and the next best wins.
		advance(WINDOW.into());
		let l = LeasesMap::<Test>::get(o).expect("the next best won");
		assert_eq!((l.provider, l.meter.price), (PROV_B, credits(3)));
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_A }.into());
		assert!(all_free(PROV_A));
		assert_eq!(deposits(PROV_A), 0);
	});
}

#[test]
fn an_order_without_bids_expires_and_refunds_its_escrow() {
	test(|| {
		market();
		let before = purchased(ALICE);
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		assert_eq!(purchased(ALICE), minus(before, credits(100)));
		advance(WINDOW.into());
		System::assert_has_event(
			Event::OrderClosed {
				order: o,
				tenant: ALICE,
				reason: OrderCloseReason::NoBids,
				refunded: credits(100),
			}
			.into(),
		);
		assert_eq!(purchased(ALICE), before);
		assert_eq!(escrow(o), None);
		assert!(Leases::order_view(o).is_none());
		assert_eq!(LeasesMap::<Test>::count(), 0);
	});
}

#[test]
fn an_order_expires_with_no_free_devices_when_its_supply_vanished() {
	// The only provider was suspended during the window.
	test(|| {
		provider(PROV_A, "eu", H100_SXM, 2);
		buy(ALICE, 1_000 * CRU);
		let before = purchased(ALICE);
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		suspend(PROV_A);
		advance(WINDOW.into());
		System::assert_has_event(
			Event::OrderClosed {
				order: o,
				tenant: ALICE,
				reason: OrderCloseReason::NoFreeDevices,
				refunded: credits(100),
			}
			.into(),
		);
		assert_eq!(purchased(ALICE), before);
		assert_eq!(escrow(o), None);
	});
	// The devices went to another order.
	test(|| {
		provider(PROV_A, "eu", H100_SXM, 2);
		buy(ALICE, 1_000 * CRU);
		buy(BOB, 1_000 * CRU);
		let before = purchased(BOB);
		let first = order(ALICE, 2, credits(5), 20, credits(100));
		let second = order(BOB, 2, credits(5), 20, credits(100));
		bid(PROV_A, first, credits(5), &[0, 1]);
		accept(ALICE, first, PROV_A);
		advance(WINDOW.into());
		System::assert_has_event(
			Event::OrderClosed {
				order: second,
				tenant: BOB,
				reason: OrderCloseReason::NoFreeDevices,
				refunded: credits(100),
			}
			.into(),
		);
		assert_eq!(purchased(BOB), before);
		assert!(LeasesMap::<Test>::contains_key(first));
	});
}

#[test]
fn an_order_whose_bidders_were_all_suspended_has_no_valid_bids() {
	test(|| {
		market();
		let before = purchased(ALICE);
		let o = order(ALICE, 2, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(4), &[0, 1]);
		bid(PROV_B, o, credits(3), &[0, 1]);
		suspend(PROV_A);
		suspend(PROV_B);
		// C's devices are still free: the order could have been served.
		advance(WINDOW.into());
		System::assert_has_event(
			Event::OrderClosed {
				order: o,
				tenant: ALICE,
				reason: OrderCloseReason::NoValidBids,
				refunded: credits(100),
			}
			.into(),
		);
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_A }.into());
		System::assert_has_event(Event::BidReleased { order: o, provider: PROV_B }.into());
		for p in [PROV_A, PROV_B] {
			assert_eq!(held(p), bond(4));
			assert!(all_free(p));
		}
		assert_eq!(purchased(ALICE), before);
		assert_eq!(escrow(o), None);
		assert_eq!(LeasesMap::<Test>::count(), 0);
	});
}

// ---- settlement ----

#[test]
fn settlement_is_exact_however_late_a_lease_is_touched() {
	// 3 credits a block, 100 in escrow, 50 blocks: the escrow pays 33 blocks (99 credits) and
	// 1 credit is left over.
	let touch_sets: [&[BlockNumber]; 8] =
		[&[], &[1], &[10, 20, 30], &[32, 33, 34], &[5, 1_000], &[33], &[10_000], &[2, 3, 4, 5]];
	for touches in touch_sets {
		test(|| {
			market();
			let start = now();
			let l = lease(ALICE, PROV_A, &[0], credits(3), 50, credits(100));
			for t in touches {
				// Touched without the sweep having run since the start.
				jump_to(start + t);
				assert_ok!(Leases::settle(signed(EVE), l));
				let blocks = (*t).min(33);
				let view = Leases::lease_view(l).unwrap();
				assert_eq!(view.settled_at, start + blocks);
				assert_eq!(view.withdrawable, times(credits(3), blocks));
				assert_eq!(view.remaining, minus(credits(100), times(credits(3), blocks)));
				assert_eq!((view.funded, view.owed), (credits(100), Credits::ZERO));
			}
			let last = touches.last().map_or(0, |t| (*t).min(33));
			assert_eq!(settled(l), times(credits(3), last));
			// Closed long after its dry block: paid to the dry block exactly.
			jump_to(start + 20_000);
			assert_ok!(Leases::close_lease(signed(ALICE), l));
			System::assert_last_event(
				Event::LeaseClosed {
					lease: l,
					reason: CloseReason::InsufficientFunds,
					paid_to: start + 33,
					paid: credits(99),
					refunded: credits(1),
				}
				.into(),
			);
			assert_eq!(earned(PROV_A), net(credits(99)));
			assert_eq!(escrow(l), None);
			idle();
			assert_eq!(count(|e| matches!(e, Event::LeaseClosed { .. })), 1);
		});
	}
}

#[test]
fn a_lease_is_never_paid_beyond_its_end() {
	// 2 credits a block for 30 blocks, 100 in escrow: 60 paid, 40 back.
	for (touch, close) in
		[(None, 30), (Some(10), 31), (Some(29), 500), (Some(30), 30), (None, 9_999)]
	{
		test(|| {
			market();
			let start = now();
			let l = lease(ALICE, PROV_A, &[0], credits(2), 30, credits(100));
			if let Some(t) = touch {
				jump_to(start + t);
				assert_ok!(Leases::withdraw(signed(PROV_A), l));
			}
			jump_to(start + close);
			// The provider closing after the end is no fault.
			assert_ok!(Leases::close_lease(signed(PROV_A), l));
			assert_eq!(closed(l), (CloseReason::Expired, start + 30, closed(l).2, credits(40)));
			let withdrawn = touch.map_or(Credits::ZERO, |t| times(credits(2), t));
			assert_eq!(sum(withdrawn, closed(l).2), credits(60));
			assert_eq!(reputation(PROV_A), counters(1, 0));
		});
	}
}

#[test]
fn the_sweep_closes_leases_that_run_dry_or_reach_their_end() {
	test(|| {
		market();
		let (alice, bob) = (purchased(ALICE), purchased(BOB));
		let start = now();
		// 20 blocks' worth and 1 credit over.
		let dry = lease(ALICE, PROV_A, &[0], credits(2), 100, credits(41));
		let ends = lease(BOB, PROV_B, &[0, 1], credits(2), 30, credits(100));
		run_to(u64::from(start + 19));
		assert_eq!(LeasesMap::<Test>::count(), 2);
		advance(1);
		assert_eq!(
			closed(dry),
			(CloseReason::InsufficientFunds, start + 20, credits(40), credits(1))
		);
		assert!(LeasesMap::<Test>::contains_key(ends));
		run_to(u64::from(start + 29));
		assert!(LeasesMap::<Test>::contains_key(ends));
		advance(1);
		assert_eq!(closed(ends), (CloseReason::Expired, start + 30, credits(60), credits(40)));
		// Running dry is the tenant's doing: both count as completed.
		assert_eq!(reputation(PROV_A), counters(1, 0));
		assert_eq!(reputation(PROV_B), counters(1, 0));
		assert!(all_free(PROV_A) && all_free(PROV_B));
		assert_eq!(LeasedGpus::<Test>::get(), 0);
		assert_eq!((escrow(dry), escrow(ends)), (None, None));
		assert_eq!(purchased(ALICE), minus(alice, credits(40)));
		assert_eq!(purchased(BOB), minus(bob, credits(60)));
		assert_eq!(earned(PROV_A), net(credits(40)));
		assert_eq!(earned(PROV_B), net(credits(60)));
		assert_eq!(Agenda::<Test>::iter_keys().count(), 0);
	});
}

#[test]
fn settle_is_open_to_anyone_and_moves_what_is_owed() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0], credits(2), 30, credits(100));
		assert_noop!(Leases::settle(RuntimeOrigin::none(), l), DispatchError::BadOrigin);
		assert_noop!(Leases::settle(signed(EVE), 9), Error::<Test>::LeaseNotFound);
		// Nothing owed in the start block: no event.
		assert_ok!(Leases::settle(signed(EVE), l));
		assert_eq!(count(|e| matches!(e, Event::LeaseSettled { .. })), 0);
		advance(7);
		assert_ok!(Leases::settle(signed(EVE), l));
		System::assert_last_event(
			Event::LeaseSettled {
				lease: l,
				blocks: 7,
				credits: credits(14),
				settled_to: start + 7,
			}
			.into(),
		);
		// Settled is still in escrow until withdrawn.
		assert_eq!(escrow(l), Some((ALICE, credits(100))));
		assert_eq!(LeasesMap::<Test>::get(l).unwrap().accrued, credits(14));
		assert_eq!(earned(PROV_A), Credits::ZERO);
	});
}

// ---- withdraw ----

#[test]
fn withdraw_pays_the_provider_less_the_burned_take_rate() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0, 1], credits(2), 30, credits(100));
		assert_noop!(Leases::withdraw(signed(PROV_A), l), Error::<Test>::NothingToWithdraw);
		advance(10);
		assert_noop!(Leases::withdraw(signed(PROV_A), 9), Error::<Test>::LeaseNotFound);
		assert_noop!(Leases::withdraw(signed(ALICE), l), Error::<Test>::NotLeaseProvider);
		assert_noop!(Leases::withdraw(signed(PROV_B), l), Error::<Test>::NotLeaseProvider);
		let (burned, cru) = (burned_total(), issuance());
		assert_ok!(Leases::withdraw(signed(PROV_A), l));
		System::assert_last_event(
			Event::Withdrawn {
				lease: l,
				provider: PROV_A,
				to_provider: credits(19),
				burned: credits(1),
			}
			.into(),
		);
		assert_eq!(earned(PROV_A), credits(19));
		assert_eq!(burned_total(), sum(burned, credits(1)));
		assert_eq!(issuance(), cru);
		assert_eq!(escrow(l), Some((ALICE, credits(80))));
		let view = Leases::lease_view(l).unwrap();
		assert_eq!(
			(view.withdrawn, view.withdrawable, view.remaining, view.funded),
			(credits(20), Credits::ZERO, credits(80), credits(100))
		);
		// Nothing more in the same block.
		assert_noop!(Leases::withdraw(signed(PROV_A), l), Error::<Test>::NothingToWithdraw);
		advance(1);
		assert_ok!(Leases::withdraw(signed(PROV_A), l));
		System::assert_last_event(
			Event::Withdrawn {
				lease: l,
				provider: PROV_A,
				to_provider: Credits(1_900_000),
				burned: Credits(100_000),
			}
			.into(),
		);
		// At the end the rest is paid, what was withdrawn is not paid twice.
		run_to(u64::from(start + 30));
		assert_eq!(closed(l), (CloseReason::Expired, start + 30, credits(38), credits(40)));
		assert_eq!(earned(PROV_A), sum(sum(credits(19), Credits(1_900_000)), net(credits(38))));
		assert_eq!(earned(PROV_A), credits(57));
	});
}

#[test]
fn the_take_rate_is_rounded_up() {
	test(|| {
		market();
		let l = lease(ALICE, PROV_A, &[0], Credits(7), 100, Credits(1_000));
		advance(3);
		assert_ok!(Leases::withdraw(signed(PROV_A), l));
		// 5% of 21 is 1.05: 2 burned.
		System::assert_last_event(
			Event::Withdrawn {
				lease: l,
				provider: PROV_A,
				to_provider: Credits(19),
				burned: Credits(2),
			}
			.into(),
		);
	});
}

// ---- top_up and low funds ----

#[test]
fn top_up_moves_the_due_block_and_rearms_the_low_funds_warning() {
	test(|| {
		market();
		let start = now();
		// 1 credit a block, 20 in escrow, 100 blocks: dry at start + 20, warned 5 blocks ahead.
		let l = lease(ALICE, PROV_A, &[0], credits(1), 100, credits(20));
		assert_eq!(LeasesMap::<Test>::get(l).unwrap().check_at, start + 15);
		run_to(u64::from(start + 14));
		assert_eq!(low_funds(l), 0);
		advance(1);
		System::assert_last_event(
			Event::LeaseLowFunds {
				lease: l,
				tenant: ALICE,
				dry_block: start + 20,
				remaining: credits(5),
			}
			.into(),
		);
		assert_eq!(low_funds(l), 1);
		let before = purchased(ALICE);
		assert_ok!(Leases::top_up(signed(ALICE), l, credits(50)));
		System::assert_last_event(
			Event::ToppedUp { lease: l, credits: credits(50), due: start + 70 }.into(),
		);
		assert_eq!(purchased(ALICE), minus(before, credits(50)));
		let view = Leases::lease_view(l).unwrap();
		assert_eq!(
			(view.due, view.funded, view.status),
			(start + 70, credits(70), LeaseStatus::Running)
		);
		// The escrow holds the 15 settled and the 55 left.
		assert_eq!(escrow(l), Some((ALICE, credits(70))));
		// The warning is armed again and fires at the new point.
		assert_eq!(LeasesMap::<Test>::get(l).unwrap().check_at, start + 65);
		run_to(u64::from(start + 64));
		assert_eq!(low_funds(l), 1);
		advance(1);
		System::assert_last_event(
			Event::LeaseLowFunds {
				lease: l,
				tenant: ALICE,
				dry_block: start + 70,
				remaining: credits(5),
			}
			.into(),
		);
		// A top-up that leaves it low does not warn again.
		run_to(u64::from(start + 67));
		assert_ok!(Leases::top_up(signed(ALICE), l, credits(2)));
		System::assert_last_event(
			Event::ToppedUp { lease: l, credits: credits(2), due: start + 72 }.into(),
		);
		assert_eq!(Leases::lease_view(l).unwrap().status, LeaseStatus::Low);
		run_to(u64::from(start + 71));
		assert_eq!(low_funds(l), 2);
		advance(1);
		assert_eq!(
			closed(l),
			(CloseReason::InsufficientFunds, start + 72, credits(72), Credits::ZERO)
		);
		assert_eq!(low_funds(l), 2);
	});
}

#[test]
fn a_top_up_to_the_end_makes_the_lease_expire_instead() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0], credits(1), 40, credits(20));
		advance(3);
		assert_ok!(Leases::top_up(signed(ALICE), l, credits(100)));
		System::assert_last_event(
			Event::ToppedUp { lease: l, credits: credits(100), due: start + 40 }.into(),
		);
		assert!(!Leases::lease_view(l).unwrap().runs_dry);
		run_to(u64::from(start + 40));
		assert_eq!(low_funds(l), 0);
		assert_eq!(closed(l), (CloseReason::Expired, start + 40, credits(40), credits(80)));
	});
}

#[test]
fn top_up_is_for_the_tenant_of_a_lease_still_running() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0], credits(1), 100, credits(20));
		assert_noop!(Leases::top_up(signed(ALICE), 9, credits(1)), Error::<Test>::LeaseNotFound);
		assert_noop!(Leases::top_up(signed(BOB), l, credits(1)), Error::<Test>::NotTenant);
		assert_noop!(Leases::top_up(signed(PROV_A), l, credits(1)), Error::<Test>::NotTenant);
		assert_noop!(Leases::top_up(signed(ALICE), l, Credits::ZERO), Error::<Test>::ZeroTopUp);
		assert_noop!(
			Leases::top_up(signed(ALICE), l, sum(purchased(ALICE), Credits(1))),
			pallet_crucible_bme::Error::<Test>::InsufficientPurchased
		);
		assert_noop!(Leases::top_up(signed(ALICE), l, Credits(u128::MAX)), Error::<Test>::Overflow);
		// At its dry block it can only close, even before the sweep gets to it.
		jump_to(start + 20);
		assert_noop!(Leases::top_up(signed(ALICE), l, credits(1)), Error::<Test>::LeaseDue);
		assert_ok!(Leases::close_lease(signed(ALICE), l));
		assert_eq!(closed(l).0, CloseReason::InsufficientFunds);
	});
}

#[test]
fn low_funds_is_announced_once_when_the_lease_is_touched_first() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0], credits(1), 100, credits(20));
		// Touched at start + 17, before the sweep looked at it (it would at start + 15).
		jump_to(start + 17);
		assert_ok!(Leases::settle(signed(EVE), l));
		System::assert_last_event(
			Event::LeaseLowFunds {
				lease: l,
				tenant: ALICE,
				dry_block: start + 20,
				remaining: credits(3),
			}
			.into(),
		);
		assert_eq!(Leases::lease_view(l).unwrap().status, LeaseStatus::Low);
		// Neither another touch nor the sweep reaching its check repeats it.
		assert_ok!(Leases::settle(signed(EVE), l));
		advance(1);
		idle();
		assert!(SweepCursor::<Test>::get() > start + 15);
		assert_eq!(low_funds(l), 1);
		run_to(u64::from(start + 20));
		assert_eq!(
			closed(l),
			(CloseReason::InsufficientFunds, start + 20, credits(20), Credits::ZERO)
		);
		assert_eq!(low_funds(l), 1);
	});
}

#[test]
fn a_lease_that_starts_low_is_warned_at_once() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0], credits(1), 100, Credits(3_500_000));
		System::assert_has_event(
			Event::LeaseLowFunds {
				lease: l,
				tenant: ALICE,
				dry_block: start + 3,
				remaining: Credits(3_500_000),
			}
			.into(),
		);
		assert_eq!(LeasesMap::<Test>::get(l).unwrap().check_at, start + 3);
		advance(3);
		assert_eq!(low_funds(l), 1);
		assert_eq!(
			closed(l),
			(CloseReason::InsufficientFunds, start + 3, credits(3), Credits(500_000))
		);
	});
}

// ---- close_lease ----

#[test]
fn the_tenant_may_close_a_lease_early() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0, 1], credits(2), 30, credits(100));
		advance(10);
		assert_noop!(Leases::close_lease(signed(ALICE), 9), Error::<Test>::LeaseNotFound);
		assert_noop!(Leases::close_lease(signed(EVE), l), Error::<Test>::NotLeaseParty);
		assert_noop!(Leases::close_lease(signed(PROV_B), l), Error::<Test>::NotLeaseParty);
		let before = purchased(ALICE);
		assert_ok!(Leases::close_lease(signed(ALICE), l));
		System::assert_last_event(
			Event::LeaseClosed {
				lease: l,
				reason: CloseReason::Tenant,
				paid_to: start + 10,
				paid: credits(20),
				refunded: credits(80),
			}
			.into(),
		);
		assert_eq!(purchased(ALICE), sum(before, credits(80)));
		assert_eq!(earned(PROV_A), credits(19));
		assert_eq!(reputation(PROV_A), counters(1, 0));
		assert!(all_free(PROV_A));
		assert_eq!(LeasedGpus::<Test>::get(), 0);
		assert_eq!(escrow(l), None);
		assert!(Leases::lease_view(l).is_none());
		assert_eq!(Agenda::<Test>::iter_keys().count(), 0);
		assert_noop!(Leases::close_lease(signed(ALICE), l), Error::<Test>::LeaseNotFound);
		assert_noop!(Leases::settle(signed(ALICE), l), Error::<Test>::LeaseNotFound);
	});
}

#[test]
fn a_provider_walking_away_counts_as_a_fault_without_a_slash() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[0, 1], credits(2), 30, credits(100));
		advance(4);
		let cru = Balances::free_balance(ALICE);
		assert_ok!(Leases::close_lease(signed(PROV_A), l));
		System::assert_last_event(
			Event::LeaseClosed {
				lease: l,
				reason: CloseReason::Provider,
				paid_to: start + 4,
				paid: credits(8),
				refunded: credits(92),
			}
			.into(),
		);
		assert_eq!(reputation(PROV_A), counters(0, 1));
		assert_eq!(held(PROV_A), bond(4));
		assert_eq!(Balances::free_balance(ALICE), cru);
		assert!(all_free(PROV_A));
	});
}

// ---- provider_fault ----

#[test]
fn a_provider_fault_refunds_the_tenant_and_compensates_it_from_the_bond() {
	test(|| {
		market();
		let start = now();
		let l = lease(ALICE, PROV_A, &[1, 2], credits(2), 40, credits(100));
		advance(10);
		let (cru, credits_before, total) =
			(Balances::free_balance(ALICE), purchased(ALICE), issuance());
		assert_noop!(
			Leases::provider_fault(signed(ALICE), l, FaultKind::Unreachable),
			DispatchError::BadOrigin
		);
		assert_noop!(
			Leases::provider_fault(RuntimeOrigin::root(), 9, FaultKind::Unreachable),
			Error::<Test>::LeaseNotFound
		);
		assert_ok!(Leases::provider_fault(RuntimeOrigin::root(), l, FaultKind::WrongResults));
		System::assert_has_event(
			Event::LeaseClosed {
				lease: l,
				reason: CloseReason::ProviderFault(FaultKind::WrongResults),
				paid_to: start + 10,
				paid: credits(20),
				refunded: credits(80),
			}
			.into(),
		);
		System::assert_last_event(
			Event::ProviderFaulted {
				lease: l,
				provider: PROV_A,
				kind: FaultKind::WrongResults,
				compensation: 2 * COMPENSATION,
			}
			.into(),
		);
		// The unspent escrow back, and CRU of the bond per GPU on top.
		assert_eq!(purchased(ALICE), sum(credits_before, credits(80)));
		assert_eq!(Balances::free_balance(ALICE), cru + 2 * COMPENSATION);
		assert_eq!(held(PROV_A), bond(4) - 2 * COMPENSATION);
		assert_eq!(Providers::provider_view(PROV_A).unwrap().bond.slashed_total, 2 * COMPENSATION);
		assert_eq!(issuance(), total);
		// The provider is paid for what it served.
		assert_eq!(earned(PROV_A), credits(19));
		assert_eq!(reputation(PROV_A), counters(0, 1));
		assert!(all_free(PROV_A));
		assert!(Leases::lease_view(l).is_none());
		assert_noop!(
			Leases::provider_fault(RuntimeOrigin::root(), l, FaultKind::Unreachable),
			Error::<Test>::LeaseNotFound
		);
	});
}

#[test]
fn fault_compensation_is_bounded_by_the_bond() {
	test(|| {
		market();
		assert_ok!(Leases::set_params(
			RuntimeOrigin::root(),
			LeaseParams { fault_compensation_per_gpu: 10_000 * CRU, ..lease_params() }
		));
		let l = lease(ALICE, PROV_A, &[0], credits(2), 40, credits(100));
		advance(1);
		let cru = Balances::free_balance(ALICE);
		assert_ok!(Leases::provider_fault(RuntimeOrigin::root(), l, FaultKind::ServiceLevel));
		System::assert_last_event(
			Event::ProviderFaulted {
				lease: l,
				provider: PROV_A,
				kind: FaultKind::ServiceLevel,
				compensation: bond(4),
			}
			.into(),
		);
		assert_eq!(Balances::free_balance(ALICE), cru + bond(4));
		assert_eq!(held(PROV_A), 0);
	});
}

// ---- set_params ----

#[test]
fn set_params_is_for_the_market_origin_and_checks_the_parameters() {
	test(|| {
		let p = LeaseParams { bid_deposit: 0, max_bids: MAX_BIDS, ..lease_params() };
		assert_noop!(Leases::set_params(signed(ALICE), p), DispatchError::BadOrigin);
		for bad in [
			LeaseParams { max_bids: 0, ..p },
			LeaseParams { max_bids: MAX_BIDS + 1, ..p },
			LeaseParams { min_bid_window: 0, ..p },
			LeaseParams { min_bid_window: 51, max_bid_window: 50, ..p },
			LeaseParams { max_duration: 0, ..p },
		] {
			assert_noop!(
				Leases::set_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
		}
		assert_ok!(Leases::set_params(RuntimeOrigin::root(), p));
		System::assert_last_event(Event::ParamsSet { params: p }.into());
		assert_eq!(Params::<Test>::get(), p);
		// With no deposit a bid holds nothing.
		market();
		let o = order(ALICE, 1, credits(5), 20, credits(100));
		bid(PROV_A, o, credits(1), &[0]);
		assert_eq!(deposits(PROV_A), 0);
		assert_eq!(Leases::order_view(o).unwrap().bids[0].deposit, 0);
	});
}

// ---- the sweep's budget ----

/// A lease and how it is expected to close: (id, reason, paid to, paid, refunded).
type ExpectedClose = (LeaseId, CloseReason, BlockNumber, Credits, Credits);

/// Twelve one-GPU leases of ALICE started now at 1..=12 credits a block: the first five end
/// at `start + 20`, the next five run dry then (half a block's price left over), the last two
/// end a block later. Returns the start and each lease with its expected close.
fn twelve_leases() -> (BlockNumber, Vec<ExpectedClose>) {
	let start = now();
	let mut expected = Vec::new();
	for i in 0..12u32 {
		let who = [PROV_A, PROV_B, PROV_C][(i / 4) as usize];
		let price = credits(u128::from(i) + 1);
		let (duration, escrow, close) = match i {
			0..5 => (
				20,
				times(price, 25),
				(CloseReason::Expired, start + 20, times(price, 20), times(price, 5)),
			),
			5..10 => (
				40,
				sum(times(price, 20), Credits(price.0 / 2)),
				(
					CloseReason::InsufficientFunds,
					start + 20,
					times(price, 20),
					Credits(price.0 / 2),
				),
			),
			_ => (
				21,
				times(price, 30),
				(CloseReason::Expired, start + 21, times(price, 21), times(price, 9)),
			),
		};
		let l = lease(ALICE, who, &[i % 4], price, duration, escrow);
		expected.push((l, close.0, close.1, close.2, close.3));
	}
	assert_eq!(now(), start);
	(start, expected)
}

#[test]
fn the_sweep_runs_a_fixed_budget_per_block_and_stays_exact() {
	test(|| {
		market();
		let (start, expected) = twelve_leases();
		let due = start + 20;
		run_to(u64::from(due - 1));
		assert_eq!(LeasesMap::<Test>::count(), 12);
		// The five that run dry were each warned once (four in one block, the fifth the next).
		for (l, ..) in &expected[5..10] {
			assert_eq!(low_funds(*l), 1);
		}
		// Ten leases are due at `due`, two at `due + 1`: the agenda holds four tasks a block,
		// so they were placed over three blocks and each block's four run in it.
		let lens: Vec<u32> = (due..due + 4).map(AgendaLen::<Test>::get).collect();
		assert_eq!(lens, vec![4, 4, 4, 0]);
		let mut left = Vec::new();
		for _ in 0..4 {
			advance(1);
			left.push(LeasesMap::<Test>::count());
			assert_eq!(SweepCursor::<Test>::get(), now() + 1, "the sweep never falls behind");
		}
		assert_eq!(left, vec![8, 4, 0, 0]);
		// Each was paid exactly to its own due block, whenever the sweep got to it.
		for (l, reason, paid_to, paid, refunded) in &expected {
			assert_eq!(closed(*l), (*reason, *paid_to, *paid, *refunded), "lease {l}");
		}
		let paid = |range: core::ops::Range<usize>| {
			expected[range].iter().fold(Credits::ZERO, |acc, e| sum(acc, net(e.3)))
		};
		assert_eq!(earned(PROV_A), paid(0..4));
		assert_eq!(earned(PROV_B), paid(4..8));
		assert_eq!(earned(PROV_C), paid(8..12));
		assert_eq!(LeasedGpus::<Test>::get(), 0);
		assert_eq!(Agenda::<Test>::iter_keys().count(), 0);
	});
}

#[test]
fn on_idle_sweeps_further_when_the_block_has_room() {
	test(|| {
		market();
		let (start, expected) = twelve_leases();
		let due = start + 20;
		// Blocks without the hooks (a chain that stalled): the sweep is behind.
		run_to(u64::from(due - 1));
		jump_to(due + 2);
		assert_eq!(LeasesMap::<Test>::count(), 12);
		// No room, no work.
		assert_eq!(Leases::on_idle((due + 2).into(), Weight::zero()), Weight::zero());
		assert_eq!(LeasesMap::<Test>::count(), 12);
		assert!(Leases::on_idle((due + 2).into(), Weight::MAX).ref_time() > 0);
		// Everything placed by now is closed; the sweep stops at the current block.
		assert_eq!(LeasesMap::<Test>::count(), 0);
		assert_eq!(SweepCursor::<Test>::get(), due + 3);
		for (l, reason, paid_to, paid, refunded) in &expected {
			assert_eq!(closed(*l), (*reason, *paid_to, *paid, *refunded), "lease {l}");
		}
	});
}

#[test]
fn a_due_block_filled_past_the_cap_runs_each_task_at_most_n_over_cap_blocks_late() {
	test(|| {
		market();
		// Ten orders whose windows all end at the same block: four fit in each block.
		let n = 10u32;
		let bid_until = now() + WINDOW;
		let orders: Vec<OrderId> =
			(0..n).map(|_| order(ALICE, 1, credits(1), 10, credits(2))).collect();
		let close_at: Vec<BlockNumber> =
			orders.iter().map(|o| Orders::<Test>::get(o).expect("open").close_at).collect();
		assert_eq!(close_at, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2].map(|d| bid_until + d).to_vec());
		let late = n.div_ceil(SWEEP_PER_BLOCK);
		for _ in 0..WINDOW + late {
			advance(1);
		}
		for (o, at) in orders.iter().zip(close_at) {
			assert!(at < bid_until + late, "order {o} at most {late} blocks late");
			assert!(Leases::order_view(*o).is_none(), "order {o} closed");
		}
		// Every one closed at its own block: the agenda is empty.
		assert_eq!(Agenda::<Test>::iter_keys().count(), 0);
		assert_eq!(AgendaLen::<Test>::iter_keys().count(), 0);
	});
}

#[test]
fn an_order_finds_no_room_past_the_agenda_search_and_changes_nothing() {
	test(|| {
		market();
		// `AGENDA_SEARCH` blocks from the window's end are full...
		let full = crate::AGENDA_SEARCH * SWEEP_PER_BLOCK;
		for _ in 0..full {
			order(ALICE, 1, credits(1), 10, credits(2));
		}
		// ...so one more order with that window is refused, and one ending later is not.
		let before = (purchased(ALICE), Balances::free_balance(ALICE));
		assert_noop!(
			try_order(ALICE, h100(1), credits(1), 10, credits(2), WINDOW),
			Error::<Test>::AgendaFull
		);
		assert_eq!((purchased(ALICE), Balances::free_balance(ALICE)), before);
		assert_ok!(try_order(
			ALICE,
			h100(1),
			credits(1),
			10,
			credits(2),
			WINDOW + crate::AGENDA_SEARCH
		));
	});
}

#[test]
fn a_winning_bid_whose_lease_finds_no_room_closes_the_order_and_frees_the_bidders() {
	test(|| {
		market();
		let start = now();
		// Bob's order: decided at `start + WINDOW`, its lease's first check due 10 blocks later.
		let o = order(BOB, 1, credits(1), 10, credits(10));
		bid(PROV_A, o, credits(1), &[0]);
		// Alice's orders fill the 32 blocks of the agenda from that check on.
		let check = start + WINDOW + 10;
		for _ in 0..crate::AGENDA_SEARCH * SWEEP_PER_BLOCK {
			order_with(ALICE, h100(1), credits(1), 10, credits(2), check - start);
		}
		assert_eq!(AgendaLen::<Test>::get(check + crate::AGENDA_SEARCH - 1), SWEEP_PER_BLOCK);
		let before = purchased(BOB);
		advance(WINDOW.into());
		System::assert_has_event(
			Event::OrderClosed {
				order: o,
				tenant: BOB,
				reason: OrderCloseReason::AgendaFull,
				refunded: credits(10),
			}
			.into(),
		);
		assert!(!LeasesMap::<Test>::contains_key(o));
		assert_eq!(purchased(BOB), sum(before, credits(10)));
		// Nothing waits for governance: the bidder's devices and deposit are free again.
		assert!(all_free(PROV_A));
		assert_eq!(deposits(PROV_A), 0);
		assert!(StuckTasks::<Test>::iter_keys().next().is_none());
	});
}

/// Move `who`'s device `id` from leased to free in the registry, counters and all: a defect
/// of the registry the lease market cannot repair (the lease still names the device).
fn lose_device(who: u64, id: DeviceId) {
	lose(who, id, false)
}

/// A registry defect: device `id` of `who`, leased (or `offered`), is marked free.
fn lose(who: u64, id: DeviceId, offered: bool) {
	pallet_crucible_providers::Devices::<Test>::mutate(who, |devices| {
		let d = devices.iter_mut().find(|d| d.id == id).expect("the device");
		d.state = FREE;
		let moved = |c: &mut pallet_crucible_providers::DeviceCounts| {
			if offered {
				c.offered -= 1;
			} else {
				c.leased -= 1;
			}
			c.free += 1;
		};
		pallet_crucible_providers::Supply::<Test>::mutate(d.model, moved);
		let region = pallet_crucible_providers::Providers::<Test>::get(who).unwrap().region;
		pallet_crucible_providers::RegionSupply::<Test>::mutate(d.model, region, |c| {
			moved(c.as_mut().expect("counted"))
		});
	});
}

#[test]
fn an_order_for_a_region_counts_only_that_regions_free_gpus() {
	test(|| {
		market();
		// Twelve H100s are free: eight in `eu`, four in `us`.
		assert_noop!(
			try_order(ALICE, in_region(h100(5), "us"), credits(1), 10, credits(2), WINDOW),
			Error::<Test>::Unservable
		);
		assert_ok!(try_order(ALICE, in_region(h100(4), "us"), credits(1), 10, credits(2), WINDOW));
		assert_noop!(
			try_order(ALICE, in_region(h100(1), "mars"), credits(1), 10, credits(2), WINDOW),
			Error::<Test>::Unservable
		);
		for bad in ["EU", "e", "eu--west", "eu_west"] {
			assert_noop!(
				try_order(ALICE, in_region(h100(1), bad), credits(1), 10, credits(2), WINDOW),
				Error::<Test>::MalformedRegion
			);
		}
		// A suspended provider's GPUs leave its region's count too.
		suspend(PROV_C);
		assert_noop!(
			try_order(ALICE, in_region(h100(1), "us"), credits(1), 10, credits(2), WINDOW),
			Error::<Test>::Unservable
		);
	});
}

#[test]
fn a_failing_sweep_task_is_retried_parked_and_force_closed() {
	test(|| {
		market();
		let (tenant_credits, earned_before) = (purchased(ALICE), earned(PROV_A));
		let l = lease(ALICE, PROV_A, &[0, 1], credits(1), 10, credits(20));
		let due = now() + 10;
		lose_device(PROV_A, 0);
		// At its due block the sweep cannot release the device: the close is undone and the
		// task retried every `RETRY_DELAY` blocks, `MAX_TASK_RETRIES` times, then parked.
		let failures = || {
			market_events()
				.into_iter()
				.filter_map(|e| match e {
					Event::SweepTaskFailed { task, retry_at, .. } => Some((task, retry_at)),
					_ => None,
				})
				.collect::<Vec<_>>()
		};
		run_to(u64::from(due + 3 * crate::RETRY_DELAY - 1));
		let task = Task::CheckLease(l);
		let retries: Vec<_> = (1..=3).map(|k| (task, Some(due + k * crate::RETRY_DELAY))).collect();
		assert_eq!(failures(), retries);
		assert!(StuckTasks::<Test>::get(task).is_none());
		advance(1);
		assert_eq!(failures().len(), 4);
		assert_eq!(failures()[3], (task, None));
		let stuck = StuckTasks::<Test>::get(task).expect("parked");
		assert_eq!(stuck.since, due + 3 * crate::RETRY_DELAY);
		assert_eq!(stuck.error, pallet_crucible_providers::Error::<Test>::DeviceNotInUse.into());
		let view = Leases::stuck_tasks(None, 10);
		assert_eq!((view.tasks.len(), view.next), (1, None));
		let v = &view.tasks[0];
		assert_eq!((v.task, v.since, v.error), (task, stuck.since, stuck.error));
		// Parked, the lease keeps its escrow, and nothing is on the agenda for it.
		assert!(LeasesMap::<Test>::contains_key(l));
		assert_eq!(escrow(l), Some((ALICE, credits(20))));
		advance(20);
		assert_eq!(failures().len(), 4, "a parked task is not retried");
		// Only the market-admin track closes it, and only a parked task.
		assert_noop!(Leases::force_close(signed(ALICE), task), DispatchError::BadOrigin);
		assert_noop!(
			Leases::force_close(RuntimeOrigin::root(), Task::CheckLease(99)),
			Error::<Test>::NotStuck
		);
		assert_ok!(Leases::force_close(RuntimeOrigin::root(), task));
		System::assert_has_event(Event::ForceClosed { task }.into());
		// Paid exactly to its due block, the rest refunded, the escrow gone.
		assert_eq!(closed(l), (CloseReason::ForceClosed, due, credits(10), credits(10)));
		assert!(!LeasesMap::<Test>::contains_key(l));
		assert_eq!(escrow(l), None);
		assert!(StuckTasks::<Test>::get(task).is_none());
		assert_eq!(purchased(ALICE), minus(tenant_credits, credits(10)));
		assert_eq!(earned(PROV_A), sum(earned_before, net(credits(10))));
		assert_eq!(reputation(PROV_A), counters(0, 0), "counted neither way");
		// The device still leased for it is freed: none stays bound to a closed lease, so
		// the provider can remove its devices and leave.
		System::assert_has_event(
			Event::DeviceReleaseDefect {
				lease: l,
				error: pallet_crucible_providers::Error::<Test>::DeviceNotInUse.into(),
				freed: 1,
			}
			.into(),
		);
		assert!(all_free(PROV_A), "{:?}", states(PROV_A));
		assert_ok!(Providers::remove_devices(signed(PROV_A), vec![0, 1]));
	});
}

/// Runs `task` to parking: its first attempt and `MAX_TASK_RETRIES` retries fail.
fn park(due: BlockNumber) {
	run_to(u64::from(due + crate::MAX_TASK_RETRIES as BlockNumber * crate::RETRY_DELAY));
}

#[test]
fn a_lease_parked_on_a_ledger_defect_is_force_closed_with_what_its_escrow_holds() {
	test(|| {
		market();
		let (tenant_credits, earned_before) = (purchased(ALICE), earned(PROV_A));
		let l = lease(ALICE, PROV_A, &[0], credits(1), 10, credits(10));
		let due = now() + 10;
		// A defect: 4 of the escrow's 10 credits leave it behind the market's back, so the
		// payment at the due block fails (`InsufficientEscrow`) every time.
		assert_ok!(<Bme as crucible_primitives::bme::CreditLedger<u64>>::refund(l, credits(4)));
		park(due);
		let task = Task::CheckLease(l);
		let stuck = StuckTasks::<Test>::get(task).expect("parked");
		assert_eq!(stuck.error, pallet_crucible_bme::Error::<Test>::InsufficientEscrow.into());
		// The force-close settles what the escrow holds: the provider is paid 6 of the 10
		// it is owed, nothing is left to refund, and the defect is reported.
		assert_ok!(Leases::force_close(RuntimeOrigin::root(), task));
		System::assert_has_event(
			Event::EscrowDefect { escrow: l, expected: credits(10), found: credits(6) }.into(),
		);
		assert_eq!(closed(l), (CloseReason::ForceClosed, due, credits(6), Credits::ZERO));
		assert_eq!(escrow(l), None);
		assert!(!LeasesMap::<Test>::contains_key(l));
		assert!(all_free(PROV_A));
		assert_eq!(purchased(ALICE), minus(tenant_credits, credits(6)));
		assert_eq!(earned(PROV_A), sum(earned_before, net(credits(6))));
	});
}

#[test]
fn an_order_parked_on_a_ledger_defect_is_force_closed() {
	test(|| {
		market();
		let tenant_credits = purchased(ALICE);
		let o = order(ALICE, 1, credits(1), 10, credits(10));
		let close_at = Orders::<Test>::get(o).unwrap().close_at;
		// The whole escrow leaves behind the market's back: the expiry cannot refund it.
		assert_ok!(<Bme as crucible_primitives::bme::CreditLedger<u64>>::refund(o, credits(10)));
		park(close_at);
		let task = Task::CloseBidding(o);
		assert!(StuckTasks::<Test>::get(task).is_some(), "{:?}", market_events());
		assert_ok!(Leases::force_close(RuntimeOrigin::root(), task));
		System::assert_has_event(
			Event::EscrowDefect { escrow: o, expected: credits(10), found: Credits::ZERO }.into(),
		);
		assert!(!Orders::<Test>::contains_key(o));
		assert_eq!(purchased(ALICE), tenant_credits, "the 10 credits went back once");
	});
}

#[test]
fn every_parked_task_is_listed_page_by_page() {
	test(|| {
		// More than `MAX_STUCK_TASKS` can be parked when retries find no room on the agenda;
		// the view pages through all of them with a real cursor.
		let parked: Vec<Task> = (0..150).map(Task::CheckLease).collect();
		for t in &parked {
			StuckTasks::<Test>::insert(
				t,
				crate::StuckTask { since: 1, error: DispatchError::Other("x") },
			);
		}
		let (mut seen, mut cursor, mut pages) = (Vec::new(), None, 0);
		loop {
			let page = Leases::stuck_tasks(cursor, u32::MAX);
			assert!(page.tasks.len() <= 100);
			seen.extend(page.tasks.iter().map(|t| t.task));
			pages += 1;
			match page.next {
				Some(n) => cursor = Some(n),
				None => break,
			}
		}
		assert_eq!(pages, 2);
		// A cursor at the last task gives an empty, complete page.
		let last = *seen.last().unwrap();
		seen.sort();
		assert_eq!(seen, parked);
		assert_eq!(
			Leases::stuck_tasks(Some(last), 10),
			crucible_primitives::leases::StuckPage { tasks: vec![], next: None }
		);
		let _ = StuckTasks::<Test>::clear(u32::MAX, None);
	});
}

#[test]
fn a_provider_may_not_bid_on_its_own_order() {
	test(|| {
		market();
		buy(PROV_A, 100 * CRU);
		let o = order(PROV_A, 1, credits(1), 10, credits(10));
		assert_noop!(
			Leases::bid(signed(PROV_A), o, credits(1), ids(&[0])),
			Error::<Test>::SelfDealing
		);
		bid(PROV_B, o, credits(1), &[0]);
	});
}

#[test]
fn reputation_needs_a_long_enough_paid_lease() {
	test(|| {
		market();
		let min = |blocks, paid| {
			assert_ok!(Leases::set_params(
				RuntimeOrigin::root(),
				LeaseParams {
					reputation_min_blocks: blocks,
					reputation_min_paid: credits(paid),
					..lease_params()
				}
			));
		};
		min(10, 10);
		// Nine blocks at a credit: too short and too cheap; ten at one: counts.
		let short = lease(ALICE, PROV_A, &[0], credits(1), 9, credits(9));
		let long = lease(ALICE, PROV_B, &[0], credits(1), 10, credits(10));
		// Ten blocks at half a credit: long enough, too cheap.
		let cheap = lease(ALICE, PROV_C, &[0], Credits(credits(1).0 / 2), 10, credits(5));
		advance(12);
		for l in [short, long, cheap] {
			assert!(!LeasesMap::<Test>::contains_key(l));
		}
		assert_eq!(reputation(PROV_A), counters(0, 0));
		assert_eq!(reputation(PROV_B), counters(1, 0));
		assert_eq!(reputation(PROV_C), counters(0, 0));
		// A fault counts however short the lease.
		let faulted = lease(ALICE, PROV_A, &[1], credits(1), 10, credits(10));
		assert_ok!(Leases::close_lease(signed(PROV_A), faulted));
		assert_eq!(reputation(PROV_A), counters(0, 1));
	});
}

#[test]
fn an_order_holds_its_deposit_until_it_closes_or_becomes_a_lease() {
	test(|| {
		market();
		let on_hold = |who| Balances::balance_on_hold(&HoldReason::OrderDeposit.into(), &who);
		let cancelled = order(ALICE, 1, credits(1), 10, credits(10));
		let leased = order(ALICE, 1, credits(1), 10, credits(10));
		let expired = order(BOB, 1, credits(1), 10, credits(10));
		assert_eq!((on_hold(ALICE), on_hold(BOB)), (2 * ORDER_DEPOSIT, ORDER_DEPOSIT));
		assert_ok!(Leases::cancel_order(signed(ALICE), cancelled));
		assert_eq!(on_hold(ALICE), ORDER_DEPOSIT);
		bid(PROV_A, leased, credits(1), &[0]);
		accept(ALICE, leased, PROV_A);
		assert_eq!(on_hold(ALICE), 0);
		advance(WINDOW.into());
		assert!(Leases::order_view(expired).is_none());
		assert_eq!(on_hold(BOB), 0);
		// A tenant who cannot hold the deposit cannot order.
		let poor = 4_242;
		assert_ok!(Balances::transfer_allow_death(signed(EVE), poor, ORDER_DEPOSIT));
		let _ = Leases::order_view(0);
		assert!(try_order(poor, h100(1), credits(1), 10, credits(2), WINDOW).is_err());
	});
}

// ---- views ----

#[test]
fn a_lease_view_shows_what_is_owed_and_left_as_of_now() {
	test(|| {
		market();
		let start = now();
		// 2 credits a block, 41 in escrow: dry at start + 20 with 1 credit over.
		let l = lease(ALICE, PROV_A, &[2, 3], credits(2), 50, credits(41));
		advance(7);
		assert_eq!(
			Leases::lease_view(l),
			Some(LeaseView {
				id: l,
				tenant: ALICE,
				provider: PROV_A,
				devices: vec![2, 3],
				price: credits(2),
				start,
				end: start + 50,
				settled_at: start,
				owed: credits(14),
				remaining: credits(27),
				withdrawable: credits(14),
				withdrawn: Credits::ZERO,
				funded: credits(41),
				due: start + 20,
				runs_dry: true,
				status: LeaseStatus::Running,
			})
		);
		// The sweep settled it when it came within the horizon.
		advance(8);
		let v = Leases::lease_view(l).unwrap();
		assert_eq!(v.status, LeaseStatus::Low);
		assert_eq!(
			(v.settled_at, v.owed, v.withdrawable),
			(start + 15, Credits::ZERO, credits(30))
		);
		assert_ok!(Leases::withdraw(signed(PROV_A), l));
		assert_eq!(Leases::lease_view(l).unwrap().withdrawn, credits(30));
		// Past its dry block and not yet swept: due, and owed no more than to the dry block.
		for at in [start + 20, start + 21, start + 5_000] {
			jump_to(at);
			let v = Leases::lease_view(l).unwrap();
			assert_eq!(v.status, LeaseStatus::Due);
			assert_eq!(
				(v.owed, v.remaining, v.withdrawable),
				(credits(10), credits(1), credits(10))
			);
		}
		assert_eq!(Leases::lease_view(99), None);
	});
}

/// Every lease matching `filter`, walking pages of `limit`; checks no lease comes twice and
/// no page is longer than asked.
fn all_pages(filter: LeaseFilter<u64>, limit: u32) -> Vec<LeaseId> {
	let (mut out, mut cursor) = (Vec::new(), None);
	for _ in 0..100 {
		let page: LeasePage<u64> = Leases::leases_page(filter.clone(), cursor, limit);
		assert!(page.leases.len() <= limit.max(1) as usize);
		out.extend(page.leases.iter().map(|v| v.id));
		match page.next {
			Some(next) => cursor = Some(next),
			None => break,
		}
	}
	let mut sorted = out.clone();
	sorted.sort_unstable();
	sorted.dedup();
	assert_eq!(sorted.len(), out.len(), "a lease listed twice");
	sorted
}

#[test]
fn leases_page_filters_by_party_and_status_and_pages_with_a_cursor() {
	test(|| {
		market();
		let start = now();
		let a1 = lease(ALICE, PROV_A, &[0], credits(1), 50, credits(100));
		let a2 = lease(ALICE, PROV_A, &[1], credits(1), 50, credits(8)); // dry at start + 8
		let a3 = lease(ALICE, PROV_B, &[0], credits(1), 50, credits(100));
		let b1 = lease(BOB, PROV_B, &[1], credits(1), 50, credits(100));
		let b2 = lease(BOB, PROV_C, &[0], credits(1), 50, credits(4)); // low from the start
		let everything = vec![a1, a2, a3, b1, b2];
		let by = |tenant, provider, status| LeaseFilter { tenant, provider, status };
		for limit in [0, 1, 2, 3, 5, 100] {
			assert_eq!(all_pages(LeaseFilter::default(), limit), everything);
			assert_eq!(all_pages(by(Some(ALICE), None, None), limit), vec![a1, a2, a3]);
			assert_eq!(all_pages(by(None, Some(PROV_B), None), limit), vec![a3, b1]);
		}
		// An exact fit says there is no next page.
		assert_eq!(Leases::leases_page(LeaseFilter::default(), None, 5).next, None);
		assert_eq!(Leases::leases_page(by(Some(BOB), None, None), None, 2).next, None);
		assert_eq!(Leases::leases_page(LeaseFilter::default(), None, 4).leases.len(), 4);
		assert_eq!(all_pages(by(Some(ALICE), Some(PROV_B), None), 10), vec![a3]);
		assert_eq!(all_pages(by(Some(BOB), Some(PROV_A), None), 10), Vec::<LeaseId>::new());
		assert_eq!(all_pages(by(Some(EVE), None, None), 10), Vec::<LeaseId>::new());
		let status = |s| all_pages(by(None, None, Some(s)), 2);
		assert_eq!(status(LeaseStatus::Low), vec![b2]);
		assert_eq!(status(LeaseStatus::Running), vec![a1, a2, a3, b1]);
		advance(3);
		assert_eq!(status(LeaseStatus::Low), vec![a2, b2]);
		assert_eq!(all_pages(by(Some(ALICE), None, Some(LeaseStatus::Low)), 1), vec![a2]);
		// b2 is due at start + 4; seen before the sweep closes it.
		jump_to(start + 4);
		assert_eq!(status(LeaseStatus::Due), vec![b2]);
		let page = Leases::leases_page(by(None, None, Some(LeaseStatus::Due)), None, 10);
		assert_eq!(page.leases[0], Leases::lease_view(b2).unwrap());
	});
}

#[test]
fn open_orders_and_order_view_list_orders_with_their_bids() {
	test(|| {
		market();
		let orders: Vec<OrderId> =
			(0..5).map(|_| order(ALICE, 1, credits(5), 20, credits(50))).collect();
		let placed = now();
		bid(PROV_A, orders[2], credits(4), &[0]);
		bid(PROV_B, orders[2], credits(3), &[1]);
		for limit in [0, 1, 2, 4, 5, 100] {
			let (mut seen, mut cursor) = (Vec::new(), None);
			for _ in 0..10 {
				let page = Leases::open_orders(cursor, limit);
				assert!(page.orders.len() <= limit.max(1) as usize);
				seen.extend(page.orders.iter().map(|o| o.id));
				match page.next {
					Some(next) => cursor = Some(next),
					None => break,
				}
			}
			seen.sort_unstable();
			assert_eq!(seen, orders, "limit {limit}");
		}
		assert_eq!(Leases::open_orders(None, 5).next, None);
		assert!(Leases::open_orders(None, 4).next.is_some());
		let view = Leases::order_view(orders[2]).unwrap();
		let bids: Vec<_> = view
			.bids
			.iter()
			.map(|b| (b.provider, b.price, b.devices.clone(), b.deposit, b.placed_at))
			.collect();
		assert_eq!(
			bids,
			vec![
				(PROV_A, credits(4), vec![0], DEPOSIT, placed),
				(PROV_B, credits(3), vec![1], DEPOSIT, placed),
			]
		);
		assert_eq!(Leases::order_view(99), None);
		// Five windows end in one block: four are decided at once, the fifth next block.
		advance(WINDOW.into());
		assert_eq!(Leases::open_orders(None, 100).orders.len(), 1);
		advance(1);
		assert!(Leases::open_orders(None, 100).orders.is_empty());
		assert_eq!(Leases::order_view(orders[2]), None);
	});
}

#[test]
fn running_low_lists_the_leases_about_to_run_dry_by_id() {
	test(|| {
		market();
		let dry_in_8 = lease(ALICE, PROV_A, &[0], credits(1), 50, credits(8));
		let dry_in_3 = lease(ALICE, PROV_A, &[1], credits(1), 50, credits(3));
		let rich = lease(BOB, PROV_B, &[0], credits(1), 50, credits(100));
		let dry_in_7 = lease(BOB, PROV_B, &[1], credits(2), 50, credits(14));
		// A short lease whose escrow covers it to the end never runs low.
		let short = lease(BOB, PROV_C, &[0], credits(1), 3, credits(3));
		// Ids of a page, sorted (pages come in storage order), and its cursor.
		let low = |cursor, limit| {
			let page = Leases::running_low(cursor, limit);
			let mut ids = page.leases.iter().map(|v| v.id).collect::<Vec<_>>();
			ids.sort_unstable();
			(ids, page.next)
		};
		assert_eq!(low(None, 10), (vec![dry_in_3], None));
		advance(2);
		assert_eq!(low(None, 10), (vec![dry_in_3, dry_in_7], None));
		advance(1);
		// dry_in_3 is closed; dry_in_8 is 5 blocks from dry.
		assert!(!LeasesMap::<Test>::contains_key(dry_in_3));
		assert_eq!(low(None, 10), (vec![dry_in_8, dry_in_7], None));
		let (first, next) = low(None, 1);
		assert_eq!((first.len(), next), (1, Some(first[0])));
		let (second, next) = low(next, 1);
		assert_eq!(next, None);
		let mut both = [first[0], second[0]];
		both.sort_unstable();
		assert_eq!(both, [dry_in_8, dry_in_7]);
		assert_eq!(low(Some(u64::MAX), 1).1, None);
		// The views agree with the status filter.
		let page = Leases::running_low(None, 10);
		assert!(page.leases.iter().all(|v| v.status == LeaseStatus::Low && v.runs_dry));
		let filtered = Leases::leases_page(
			LeaseFilter { status: Some(LeaseStatus::Low), ..Default::default() },
			None,
			10,
		);
		let mut ids: Vec<_> = filtered.leases.iter().map(|v| v.id).collect();
		ids.sort_unstable();
		assert_eq!(ids, vec![dry_in_8, dry_in_7]);
		// A top-up above the horizon takes a lease off the list.
		assert_ok!(Leases::top_up(signed(BOB), dry_in_7, credits(100)));
		assert_eq!(low(None, 10), (vec![dry_in_8], None));
		assert!(LeasesMap::<Test>::contains_key(rich));
		assert!(!LeasesMap::<Test>::contains_key(short));
	});
}

#[test]
fn market_summary_counts_supply_and_the_median_price_per_gpu_hour() {
	test(|| {
		provider(PROV_A, "eu", H100_SXM, 4);
		provider(PROV_B, "eu", A100, 2);
		buy(ALICE, 2_000 * CRU);
		let summary = || {
			Leases::market_summary(
				Providers::supply_view()
					.models
					.into_iter()
					.map(|m| (m.model, m.registered, m.leased)),
			)
		};
		let per_hour = |c: u128| Credits(credits(c).0 * u128::from(HOURS));
		let empty = summary();
		assert_eq!((empty.open_orders, empty.active_leases, empty.leased_gpus), (0, 0, 0));
		assert!(empty.models.iter().all(|m| m.median_per_gpu_hour.is_none()));
		// H100s at 1, 3 and 2 credits per GPU per block (the last two GPUs at 4), an A100 at 6.
		let first = lease(ALICE, PROV_A, &[0], credits(1), 50, credits(100));
		lease(ALICE, PROV_A, &[1], credits(3), 50, credits(100));
		lease(ALICE, PROV_A, &[2, 3], credits(4), 50, credits(100));
		lease_of(ALICE, PROV_B, request(&[A100], 0, 1), &[0], credits(6), 50, credits(100));
		order_with(ALICE, request(&[A100], 0, 1), credits(1), 10, credits(10), WINDOW);
		let s = summary();
		assert_eq!((s.open_orders, s.active_leases, s.leased_gpus), (1, 4, 5));
		let model = |s: &crucible_primitives::leases::MarketSummary, id| {
			s.models.iter().find(|m| m.model == id).cloned().expect("in the catalogue")
		};
		let h = model(&s, H100_SXM);
		assert_eq!((h.registered, h.leased, h.utilization_ppm), (4, 4, 1_000_000));
		assert_eq!((h.leases_last_day, h.median_per_gpu_hour), (3, Some(per_hour(2))));
		let a = model(&s, A100);
		assert_eq!((a.registered, a.leased, a.utilization_ppm), (2, 1, 500_000));
		assert_eq!((a.leases_last_day, a.median_per_gpu_hour), (1, Some(per_hour(6))));
		let none = model(&s, RTX_4090);
		assert_eq!((none.registered, none.utilization_ppm, none.median_per_gpu_hour), (0, 0, None));
		// Four H100 prices (1, 2, 3, 8): the lower middle.
		assert_ok!(Leases::close_lease(signed(ALICE), first));
		lease(ALICE, PROV_A, &[0], credits(8), 50, credits(100));
		let h = model(&summary(), H100_SXM);
		assert_eq!((h.leases_last_day, h.median_per_gpu_hour), (4, Some(per_hour(2))));
		// A day later none of them counts.
		jump_to(now() + DAYS + 1);
		let h = model(&summary(), H100_SXM);
		assert_eq!((h.leases_last_day, h.median_per_gpu_hour), (0, None));
	});
}

// ---- views stay bounded whatever the arguments and the state ----

mod bounded_views {
	use super::*;
	use crucible_primitives::{providers::WorkerKey, testing::with_read_budget};

	/// Providers 1000.. with 16 H100s each, enough for `devices` devices.
	fn providers_for(devices: u32) -> Vec<u64> {
		let mut out = Vec::new();
		for i in 0..devices.div_ceil(16) {
			let who = 1_000 + u64::from(i);
			// A transfer, not a new balance: the BME's issuance identity must hold.
			assert_ok!(Balances::transfer_allow_death(signed(EVE), who, 10_000 * CRU));
			let mut raw = [7u8; 32];
			raw[..8].copy_from_slice(&who.to_le_bytes());
			assert_ok!(Providers::register_provider(
				signed(who),
				b"https://worker.example.com".to_vec(),
				b"eu".to_vec(),
				WorkerKey::from_raw(raw),
				vec![],
			));
			assert_ok!(Providers::add_devices(signed(who), H100_SXM, 16));
			out.push(who);
		}
		out
	}

	/// `n` one-GPU leases of Alice's, each with an escrow of `escrow` credits at one credit
	/// per block over 50 blocks, `SWEEP_PER_BLOCK` started in each block (the agenda's room)
	/// without running the sweep, so that none closes.
	fn leases(n: u32, escrow: u128) -> Vec<LeaseId> {
		buy(ALICE, 50_000 * CRU);
		let providers = providers_for(n);
		(0..n)
			.map(|i| {
				if i > 0 && i % SWEEP_PER_BLOCK == 0 {
					jump_to(now() + 1);
				}
				let who = providers[(i / 16) as usize];
				lease(ALICE, who, &[i % 16], credits(1), 50, credits(escrow))
			})
			.collect()
	}

	/// Every page of `running_low` with `limit` per page.
	fn all_running_low(limit: u32) -> Vec<LeaseId> {
		let (mut out, mut cursor) = (Vec::new(), None);
		loop {
			let page = Leases::running_low(cursor, limit);
			out.extend(page.leases.iter().map(|v| v.id));
			match page.next {
				Some(next) => cursor = Some(next),
				None => return out,
			}
		}
	}

	#[test]
	fn running_low_pages_through_every_warned_lease_with_a_real_cursor() {
		test(|| {
			// Three credits at one per block: each is low (horizon 5) from its start. More
			// than the 1,000 agenda entries a scan of the agenda would stop at.
			let mut ids = leases(1_100, 3);
			for limit in [7, 100, u32::MAX] {
				let mut got = all_running_low(limit);
				got.sort_unstable();
				ids.sort_unstable();
				assert_eq!(got, ids, "limit {limit}");
			}
			assert_eq!(
				Leases::running_low(None, u32::MAX).leases.len(),
				100,
				"a page holds 100 at most"
			);
		});
	}

	/// Trie nodes that `f` reads on the state `setup` builds (the budget is generous: it only
	/// stops a runaway walk).
	fn reads<R>(setup: impl FnOnce(), f: impl FnOnce() -> R) -> u32 {
		let mut ext = new_test_ext();
		ext.execute_with(setup);
		with_read_budget(&mut ext, 200_000, f).1
	}

	#[test]
	fn lease_views_read_no_more_with_more_leases_whatever_the_arguments() {
		let hostile = || {
			let due = LeaseFilter { status: Some(LeaseStatus::Due), ..Default::default() };
			(
				Leases::leases_page(due, None, u32::MAX),
				Leases::leases_page(LeaseFilter::default(), Some(u64::MAX), u32::MAX),
				Leases::running_low(None, u32::MAX),
				Leases::running_low(Some(u64::MAX), u32::MAX),
				Leases::stuck_tasks(None, u32::MAX),
				Leases::stuck_tasks(Some(Task::CheckLease(u64::MAX)), u32::MAX),
				Leases::open_orders(None, u32::MAX),
				Leases::lease_view(u64::MAX),
				Leases::order_view(u64::MAX),
				Leases::market_summary(
					Providers::supply_view().models.into_iter().map(|m| (m.model, m.registered, 0)),
				),
			)
		};
		// A filter no lease matches scans 1,000 leases at most, a page holds 100 at most: 1,100
		// leases and 1,300 cost the same to within the trie's depth.
		let few = reads(|| drop(leases(1_100, 3)), hostile);
		let many = reads(|| drop(leases(1_300, 3)), hostile);
		assert!(many <= few + few / 10, "{few} trie reads with 1,100 leases, {many} with 1,300");
		// And an empty market reads next to nothing.
		let none = reads(|| (), hostile);
		assert!(none < 1_000, "{none}");
	}

	#[test]
	fn set_params_refuses_a_low_funds_horizon_beyond_a_week() {
		test(|| {
			let long = LeaseParams {
				low_funds_horizon: crate::MAX_LOW_FUNDS_HORIZON + 1,
				..lease_params()
			};
			assert_noop!(
				Leases::set_params(RuntimeOrigin::root(), long),
				Error::<Test>::InvalidParams
			);
			let week =
				LeaseParams { low_funds_horizon: crate::MAX_LOW_FUNDS_HORIZON, ..lease_params() };
			assert_ok!(Leases::set_params(RuntimeOrigin::root(), week));
		});
	}
}

// ---- property: random operations keep every invariant ----

mod property {
	use super::*;
	use proptest::prelude::*;
	use std::collections::BTreeMap;

	const TENANTS: [u64; 2] = [ALICE, BOB];
	const PROVIDERS: [u64; 3] = [PROV_A, PROV_B, PROV_C];
	const ACCOUNTS: [u64; 6] = [ALICE, BOB, PROV_A, PROV_B, PROV_C, EVE];
	const MODEL_SETS: [&[u16]; 6] = [
		&[H100_SXM],
		&[H100_SXM, A100],
		&[A100],
		&[H100_SXM, RTX_4090],
		&[RTX_4090],
		&[H100_SXM, A100, RTX_4090],
	];

	#[derive(Clone, Debug)]
	enum Op {
		Order {
			tenant: usize,
			gpus: u32,
			models: usize,
			big: bool,
			max_price: u128,
			duration: BlockNumber,
			blocks: u128,
			odd: u128,
			window: BlockNumber,
			region: u8,
		},
		Bid {
			order: usize,
			provider: usize,
			/// Any provider, not only one that could serve the order.
			anyone: bool,
			/// Half-credits under the order's maximum (-1: above it).
			under: i8,
			shift: usize,
		},
		Accept {
			order: usize,
			provider: usize,
			by_tenant: bool,
		},
		Cancel {
			order: usize,
			by_tenant: bool,
		},
		Settle {
			lease: usize,
		},
		Withdraw {
			lease: usize,
			by_provider: bool,
		},
		TopUp {
			lease: usize,
			credits: u128,
		},
		Close {
			lease: usize,
			who: u8,
		},
		Fault {
			lease: usize,
		},
		Advance {
			blocks: u64,
		},
		/// Blocks pass without the hooks: the sweep falls behind, and calls touch leases
		/// past their due block before it gets there.
		Skip {
			blocks: u32,
		},
		Idle,
		Suspend {
			provider: usize,
		},
		Reinstate {
			provider: usize,
		},
	}

	fn op() -> impl Strategy<Value = Op> {
		let order = (
			0..2usize,
			1..=3u32,
			0..MODEL_SETS.len(),
			prop::bool::weighted(0.3),
			1..=5u128,
			1..=40u32,
			1..=60u128,
			0..1_000_000u128,
			2..=8u32,
			0..4u8,
		)
			.prop_map(
				|(tenant, gpus, models, big, max_price, duration, blocks, odd, window, region)| {
					Op::Order {
						tenant,
						gpus,
						models,
						big,
						max_price,
						duration,
						blocks,
						odd,
						window,
						region,
					}
				},
			);
		prop_oneof![
			6 => order,
			10 => (any::<usize>(), 0..3usize, prop::bool::weighted(0.15), -1..=4i8, 0..4usize)
				.prop_map(|(order, provider, anyone, under, shift)| {
					Op::Bid { order, provider, anyone, under, shift }
				}),
			3 => (any::<usize>(), 0..3usize, prop::bool::weighted(0.9))
				.prop_map(|(order, provider, by_tenant)| Op::Accept { order, provider, by_tenant }),
			1 => (any::<usize>(), prop::bool::weighted(0.8))
				.prop_map(|(order, by_tenant)| Op::Cancel { order, by_tenant }),
			2 => any::<usize>().prop_map(|lease| Op::Settle { lease }),
			3 => (any::<usize>(), prop::bool::weighted(0.9))
				.prop_map(|(lease, by_provider)| Op::Withdraw { lease, by_provider }),
			2 => (any::<usize>(), 0..=30u128).prop_map(|(lease, credits)| Op::TopUp { lease, credits }),
			1 => (any::<usize>(), 0..3u8).prop_map(|(lease, who)| Op::Close { lease, who }),
			1 => any::<usize>().prop_map(|lease| Op::Fault { lease }),
			3 => (1..=3u64).prop_map(|blocks| Op::Advance { blocks }),
			1 => (4..=20u64).prop_map(|blocks| Op::Advance { blocks }),
			1 => (1..=12u32).prop_map(|blocks| Op::Skip { blocks }),
			1 => Just(Op::Idle),
			1 => (0..3usize).prop_map(|provider| Op::Suspend { provider }),
			2 => (0..3usize).prop_map(|provider| Op::Reinstate { provider }),
		]
	}

	/// One of the open orders (or, with none, an id that is not one).
	fn pick_order(i: usize) -> OrderId {
		let mut open: Vec<OrderId> = Orders::<Test>::iter_keys().collect();
		open.sort_unstable();
		if open.is_empty() {
			(i % 8) as OrderId
		} else {
			open[i % open.len()]
		}
	}

	/// One of the running leases (or, with none, an id that is not one).
	fn pick_lease(i: usize) -> LeaseId {
		let mut running: Vec<LeaseId> = LeasesMap::<Test>::iter_keys().collect();
		running.sort_unstable();
		if running.is_empty() {
			(i % 8) as LeaseId
		} else {
			running[i % running.len()]
		}
	}

	/// Free devices of `who` that fit `order`.
	fn fitting(who: u64, order: OrderId) -> Vec<DeviceId> {
		let Some(o) = Orders::<Test>::get(order) else { return Vec::new() };
		let vram = |m| <Providers as ProviderRegistry<u64>>::model(m).map_or(0, |(v, _)| v);
		<Providers as ProviderRegistry<u64>>::devices(&who)
			.iter()
			.filter(|d| {
				d.state == FREE
					&& o.request.models.contains(&d.model)
					&& vram(d.model) >= o.request.min_vram_mib
			})
			.map(|d| d.id)
			.collect()
	}

	/// Free devices of `who` that fit the order, `shift`ed; any of its devices when too few fit.
	fn devices_for(who: u64, order: OrderId, shift: usize) -> Vec<DeviceId> {
		let Some(o) = Orders::<Test>::get(order) else { return vec![0] };
		let mut fit = fitting(who, order);
		let gpus = o.request.gpus as usize;
		if fit.len() < gpus {
			fit =
				<Providers as ProviderRegistry<u64>>::devices(&who).iter().map(|d| d.id).collect();
		}
		if !fit.is_empty() {
			let by = shift % fit.len();
			fit.rotate_left(by);
		}
		fit.truncate(gpus);
		fit
	}

	/// Run a call; a failed call must leave the state exactly as it was.
	fn attempt(call: impl FnOnce() -> DispatchResult) {
		let root = sp_io::storage::root(sp_runtime::StateVersion::V1);
		if call().is_err() {
			assert_eq!(
				root,
				sp_io::storage::root(sp_runtime::StateVersion::V1),
				"a failed call changed the state"
			);
		}
	}

	fn apply(op: &Op) {
		match *op {
			Op::Order {
				tenant,
				gpus,
				models,
				big,
				max_price,
				duration,
				blocks,
				odd,
				window,
				region,
			} => {
				let mut req = request(MODEL_SETS[models], if big { 80_000 } else { 0 }, gpus);
				req.region = match region {
					0 => Some(b"eu".to_vec().try_into().unwrap()),
					1 => Some(b"us".to_vec().try_into().unwrap()),
					_ => None,
				};
				let max_price = credits(max_price);
				let escrow = Credits(max_price.0 * blocks + odd);
				attempt(|| try_order(TENANTS[tenant], req, max_price, duration, escrow, window));
			}
			Op::Bid { order, provider, anyone, under, shift } => {
				let id = pick_order(order);
				let o = Orders::<Test>::get(id);
				// Mostly a provider that could serve the order.
				let able: Vec<u64> = PROVIDERS
					.into_iter()
					.filter(|p| {
						o.as_ref().is_some_and(|o| {
							o.request.region.as_ref().is_none_or(|r| {
								<Providers as ProviderRegistry<u64>>::in_region(p, r)
							}) && fitting(*p, id).len() >= o.request.gpus as usize
						})
					})
					.collect();
				let who = if anyone || able.is_empty() {
					PROVIDERS[provider]
				} else {
					able[provider % able.len()]
				};
				let devices = devices_for(who, id, shift);
				let max = o.map_or(credits(1), |o| o.max_price);
				let price =
					Credits(max.0.saturating_add_signed(-i128::from(under) * 500_000).max(1));
				attempt(|| Leases::bid(signed(who), id, price, ids(&devices)));
			}
			Op::Accept { order, provider, by_tenant } => {
				let id = pick_order(order);
				let tenant = Orders::<Test>::get(id).map_or(ALICE, |o| o.tenant);
				let who = if by_tenant { tenant } else { EVE };
				// Mostly a provider that did bid.
				let bids = Bids::<Test>::get(id);
				let bidder = if bids.is_empty() {
					PROVIDERS[provider]
				} else {
					bids[provider % bids.len()].provider
				};
				attempt(|| Leases::accept_bid(signed(who), id, bidder));
			}
			Op::Cancel { order, by_tenant } => {
				let id = pick_order(order);
				let tenant = Orders::<Test>::get(id).map_or(ALICE, |o| o.tenant);
				let who = if by_tenant { tenant } else { PROV_A };
				attempt(|| Leases::cancel_order(signed(who), id));
			}
			Op::Settle { lease } => {
				let id = pick_lease(lease);
				attempt(|| Leases::settle(signed(EVE), id));
			}
			Op::Withdraw { lease, by_provider } => {
				let id = pick_lease(lease);
				let who = match LeasesMap::<Test>::get(id) {
					Some(l) if by_provider => l.provider,
					Some(l) => l.tenant,
					None => PROV_A,
				};
				attempt(|| Leases::withdraw(signed(who), id));
			}
			Op::TopUp { lease, credits: amount } => {
				let id = pick_lease(lease);
				let who = LeasesMap::<Test>::get(id).map_or(ALICE, |l| l.tenant);
				attempt(|| Leases::top_up(signed(who), id, credits(amount)));
			}
			Op::Close { lease, who } => {
				let id = pick_lease(lease);
				let who = match (LeasesMap::<Test>::get(id), who) {
					(Some(l), 0) => l.tenant,
					(Some(l), 1) => l.provider,
					_ => EVE,
				};
				attempt(|| Leases::close_lease(signed(who), id));
			}
			Op::Fault { lease } => {
				let id = pick_lease(lease);
				attempt(|| {
					Leases::provider_fault(RuntimeOrigin::root(), id, FaultKind::Unreachable)
				});
			}
			Op::Advance { blocks } => advance(blocks),
			Op::Skip { blocks } => jump_to(now() + blocks),
			Op::Idle => idle(),
			Op::Suspend { provider } => attempt(|| {
				Providers::suspend(RuntimeOrigin::root(), PROVIDERS[provider], b"test".to_vec())
			}),
			Op::Reinstate { provider } => attempt(|| {
				Providers::reinstate(RuntimeOrigin::root(), PROVIDERS[provider], b"test".to_vec())
			}),
		}
	}

	/// What the events say about each order and lease.
	#[derive(Default)]
	struct Books {
		/// Events already read.
		seen: usize,
		/// Per open order or lease: credits put into its escrow less credits taken out.
		held: BTreeMap<u64, u128>,
		/// Per lease: price, start, end.
		terms: BTreeMap<LeaseId, (Credits, BlockNumber, BlockNumber)>,
		/// Per lease: credits paid to the provider so far (before the take-rate).
		paid: BTreeMap<LeaseId, u128>,
		/// The take-rate burned by the ledger.
		burned: u128,
		leases_closed: u32,
		orders_closed: u32,
	}

	impl Books {
		/// Read the new events, checking each closed order and lease.
		fn read(&mut self) {
			let events = System::events();
			let now = now();
			for record in &events[self.seen..] {
				match &record.event {
					RuntimeEvent::Bme(pallet_crucible_bme::Event::EscrowPaid {
						to_provider,
						burned,
						..
					}) => {
						assert_eq!(*burned, take(sum(*to_provider, *burned)), "take-rate");
						self.burned += burned.0;
					}
					RuntimeEvent::Leases(e) => self.read_market(e, now),
					_ => {}
				}
			}
			self.seen = events.len();
		}

		fn take_out(&mut self, id: u64, credits: Credits) {
			let held = self.held.get_mut(&id).expect("a known escrow");
			*held = held.checked_sub(credits.0).expect("never more out than in");
		}

		fn read_market(&mut self, e: &Event<Test>, now: BlockNumber) {
			match e {
				Event::OrderCreated { order, escrow, .. } => {
					assert!(self.held.insert(*order, escrow.0).is_none());
				}
				Event::OrderClosed { order, refunded, .. } => {
					self.take_out(*order, *refunded);
					assert_eq!(self.held.remove(order), Some(0), "order {order} refunded in full");
					self.orders_closed += 1;
				}
				Event::LeaseStarted { lease, price, start, end, .. } => {
					assert!(*start <= now);
					assert!(self.terms.insert(*lease, (*price, *start, *end)).is_none());
					self.paid.insert(*lease, 0);
				}
				Event::ToppedUp { lease, credits, .. } => {
					*self.held.get_mut(lease).expect("a running lease") += credits.0;
				}
				Event::Withdrawn { lease, to_provider, burned, .. } => {
					let amount = sum(*to_provider, *burned);
					self.take_out(*lease, amount);
					*self.paid.get_mut(lease).expect("a running lease") += amount.0;
				}
				Event::LeaseClosed { lease, reason, paid_to, paid, refunded } => {
					self.take_out(*lease, sum(*paid, *refunded));
					// Funded = paid + refunded.
					assert_eq!(self.held.remove(lease), Some(0), "lease {lease}: funded != out");
					let (price, start, end) = self.terms.remove(lease).expect("started");
					let total = self.paid.remove(lease).expect("started") + paid.0;
					// Paid exactly for the blocks up to `paid_to`, never beyond the end.
					assert!(*paid_to >= start && *paid_to <= end && *paid_to <= now);
					assert_eq!(total, price.0 * u128::from(paid_to - start), "lease {lease}");
					match reason {
						CloseReason::Expired => assert_eq!(*paid_to, end),
						CloseReason::InsufficientFunds => {
							assert!(*paid_to < end && refunded.0 < price.0)
						}
						CloseReason::Tenant | CloseReason::Provider => assert_eq!(*paid_to, now),
						CloseReason::ProviderFault(_) | CloseReason::ForceClosed => {
							assert!(*paid_to == now || *paid_to == end || refunded.0 < price.0)
						}
					}
					self.leases_closed += 1;
				}
				_ => {}
			}
		}
	}

	/// Every credit: held by accounts, in escrows, or burned as the take-rate.
	fn credits_total(books: &Books) -> u128 {
		let accounts: u128 = ACCOUNTS.iter().map(|a| purchased(*a).0 + earned(*a).0).sum();
		let escrows: u128 = (0..NextId::<Test>::get()).filter_map(escrow).map(|(_, c)| c.0).sum();
		accounts + escrows + books.burned
	}

	/// The checks after every step.
	fn check_step(books: &mut Books, credits0: u128, issuance0: Balance) {
		check();
		books.read();
		assert_eq!(issuance(), issuance0, "the market minted or burned CRU");
		assert_eq!(credits_total(books), credits0, "credits were created or destroyed");
		assert_eq!(books.burned, burned_total().0);
		// Every escrow holds what went in less what came out.
		for (id, held) in &books.held {
			assert_eq!(escrow(*id).map_or(0, |(_, c)| c.0), *held, "escrow {id}");
		}
		for id in 0..NextId::<Test>::get() {
			if escrow(id).is_some() {
				assert!(books.held.contains_key(&id), "escrow {id} of nothing open");
			}
		}
		// A deposit is held for each standing bid, and none else.
		for p in PROVIDERS {
			let bids = Bids::<Test>::iter_values()
				.map(|bids| bids.iter().filter(|b| b.provider == p).count() as u128)
				.sum::<u128>();
			assert_eq!(deposits(p), DEPOSIT * bids);
		}
	}

	fn setup() -> (u128, Balance) {
		provider(PROV_A, "eu", H100_SXM, 4);
		assert_ok!(Providers::add_devices(signed(PROV_A), A100, 2));
		provider(PROV_B, "eu", H100_SXM, 3);
		provider(PROV_C, "us", A100, 3);
		assert_ok!(Providers::add_devices(signed(PROV_C), RTX_4090, 2));
		buy(ALICE, 10_000 * CRU);
		buy(BOB, 10_000 * CRU);
		(credits_total(&Books::default()), issuance())
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

		/// Any sequence of calls, blocks and suspensions keeps every pallet's invariants, never
		/// changes the CRU issuance (credits were bought before), conserves credits (accounts +
		/// escrows + take-rate burned), pays every lease exactly per block to its close, and
		/// returns every closed order's and lease's escrow in full (funded = paid + refunded).
		#[test]
		fn random_operations_keep_the_books(ops in prop::collection::vec(op(), 10..100)) {
			new_test_ext().execute_with(|| {
				let (credits0, issuance0) = setup();
				let mut books = Books { seen: System::events().len(), ..Default::default() };
				for op in &ops {
					apply(op);
					check_step(&mut books, credits0, issuance0);
				}
				// Let every order be decided and every lease run out.
				for _ in 0..200 {
					if Orders::<Test>::count() == 0 && LeasesMap::<Test>::count() == 0 {
						break;
					}
					advance(1);
					idle();
					check_step(&mut books, credits0, issuance0);
				}
				assert_eq!((Orders::<Test>::count(), LeasesMap::<Test>::count()), (0, 0));
				assert!(books.held.is_empty() && books.terms.is_empty());
				assert_eq!(
					u64::from(books.orders_closed + books.leases_closed),
					NextId::<Test>::get(),
					"every order closed, directly or through its lease"
				);
				assert!((0..NextId::<Test>::get()).all(|id| escrow(id).is_none()));
				for p in PROVIDERS {
					assert!(all_free(p));
					assert_eq!(deposits(p), 0);
				}
				assert_eq!(LeasedGpus::<Test>::get(), 0);
				assert_eq!(credits_total(&books), credits0);
			});
		}
	}
}
