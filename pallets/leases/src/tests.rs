//! Unit tests of the lease market against the real ledger and registry.

use crate::{mock::*, Error, Event, Leases as LeasesMap};
use crucible_primitives::{bme::CreditLedger, leases::CloseReason};
use frame_support::{assert_noop, assert_ok};

#[test]
fn order_bid_accept_run_and_sweep() {
	test(|| {
		provider(PROV_A, "eu", H100_SXM, 4);
		let bought = buy(ALICE, 1_000 * crucible_primitives::currency::CRU);
		assert!(bought >= credits(900));
		assert_ok!(Leases::create_order(
			RuntimeOrigin::signed(ALICE),
			request(&[H100_SXM], 80_000, 2),
			credits(2),
			20,
			credits(100),
			5,
		));
		assert_ok!(Leases::bid(RuntimeOrigin::signed(PROV_A), 0, credits(1), ids(&[0, 1])));
		assert_ok!(Leases::accept_bid(RuntimeOrigin::signed(ALICE), 0, PROV_A));
		check();
		advance(25);
		assert!(LeasesMap::<Test>::get(0).is_none());
		System::assert_has_event(
			Event::LeaseClosed {
				lease: 0,
				reason: CloseReason::Expired,
				paid_to: 25,
				paid: credits(20),
				refunded: credits(80),
			}
			.into(),
		);
		assert_noop!(
			Leases::settle(RuntimeOrigin::signed(EVE), 0),
			Error::<Test>::LeaseNotFound
		);
		let _ = <Bme as CreditLedger<u64>>::earned(&PROV_A);
	});
}
