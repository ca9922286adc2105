//! Unit and property tests of the BME pallet.

use crate::{mock::*, *};
use crucible_primitives::{
	bme::{BreakerView, CreditLedger, Credits, SubnetEmission, TripReason},
	currency::CRU,
};
use frame_support::{
	assert_noop, assert_ok,
	dispatch::{GetDispatchInfo, Pays},
	traits::fungible::Inspect,
};
use sp_runtime::{DispatchError, Permill};

fn balance(who: u64) -> u128 {
	Balances::balance(&who)
}

fn check() {
	Bme::do_try_state().expect("invariants hold");
	// Every account's `PendingMint` hold, not only those with pending mints.
	let reason: RuntimeHoldReason = HoldReason::PendingMint.into();
	let held = pallet_balances::Holds::<Test>::iter_values()
		.flat_map(|holds| holds.into_iter())
		.filter(|h| h.id == reason)
		.fold(0u128, |acc, h| acc + h.amount);
	assert_eq!(held, MintHeld::<Test>::get(), "PendingMint holds differ from MintHeld");
}

/// `tenant` buys `n` credits' worth (roughly) and pays `amount` of them to `provider`
/// through escrow `id`.
fn earn(tenant: u64, provider: u64, id: u64, amount: Credits) {
	let price = Bme::usable_prices().unwrap().1;
	let cru = math::credits_to_cru(amount, price, sp_runtime::Rounding::Up).unwrap() * 11 / 10;
	assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(tenant), cru, Credits::ZERO));
	assert_ok!(<Bme as CreditLedger<u64>>::lock(&tenant, id, amount));
	assert_ok!(<Bme as CreditLedger<u64>>::pay(id, &provider, amount));
}

/// Runs blocks, feeding `price`, until the epoch ends and its boundary completes.
fn next_boundary(price: crucible_primitives::bme::Price) {
	let epoch = Epoch::<Test>::get();
	let end = (epoch.start + epoch.length) as u64;
	while System::block_number() < end {
		feed_for(price, 1);
	}
	finish_boundaries(price);
}

mod oracle {
	use super::*;

	#[test]
	fn no_price_until_enough_feeders_and_fresh_feeds() {
		new_test_ext().execute_with(|| {
			run_to(2);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO),
				Error::<Test>::OracleStale
			);
			// Two fresh feeds of the three needed.
			for f in &FEEDERS[..2] {
				assert_ok!(Bme::submit_price(RuntimeOrigin::signed(*f), usd(1000)));
			}
			run_to(3);
			assert_eq!(
				Bme::price_view().breaker,
				BreakerView::Tripped { reason: TripReason::Stale, since: 2 }
			);
			// Too few registered feeders trips whatever the feeds.
			assert_ok!(Bme::remove_feeder(RuntimeOrigin::root(), FEEDERS[4]));
			feed_all_registered(usd(1000));
			run_to(4);
			assert!(matches!(
				Bme::price_view().breaker,
				BreakerView::Tripped { reason: TripReason::TooFewFeeders, .. }
			));
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO),
				Error::<Test>::OraclePaused
			);
		});
	}

	fn feed_all_registered(price: crucible_primitives::bme::Price) {
		for r in Feeders::<Test>::get() {
			assert_ok!(Bme::submit_price(RuntimeOrigin::signed(r.who), price));
		}
	}

	#[test]
	fn a_clean_window_passes_before_minting_after_a_trip() {
		new_test_ext().execute_with(|| {
			feed_all(usd(1000));
			run_to(2);
			// A live median, but the window is not clean yet.
			assert!(matches!(Bme::price_view().breaker, BreakerView::Recovering { .. }));
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO),
				Error::<Test>::OraclePaused
			);
			feed_for(usd(1000), u64::from(WINDOW) - 1);
			assert_eq!(Bme::price_view().breaker, BreakerView::Live);
			assert!(events().contains(&Event::OracleLive { twap: usd(1000) }));
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			// Feeds go stale: minting stops with the typed error ...
			run_to(System::block_number() + 11);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO),
				Error::<Test>::OracleStale
			);
			// ... and resumes only after a fresh clean window.
			feed_for(usd(1000), u64::from(WINDOW) - 1);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO),
				Error::<Test>::OraclePaused
			);
			feed_for(usd(1000), 1);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			check();
		});
	}

	fn feed_prices(prices: [u128; 5]) {
		for (f, p) in FEEDERS.iter().zip(prices) {
			assert_ok!(Bme::submit_price(RuntimeOrigin::signed(*f), usd(p)));
		}
		run_to(System::block_number() + 1);
	}

	fn tripped(reason: TripReason) -> bool {
		matches!(Bme::price_view().breaker, BreakerView::Tripped { reason: r, .. } if r == reason)
	}

	#[test]
	fn one_bad_feeder_is_dropped_and_never_halts_the_oracle() {
		new_test_ext().execute_with(|| {
			// 1.020 is 1.8% above the median 1.002: dropped; the median of the rest is 1.0015.
			feed_prices([1000, 1001, 1002, 1020, 1003]);
			let view = Bme::price_view();
			assert_eq!(view.feeds.iter().filter(|f| f.dropped).count(), 1);
			assert!(view.feeds[3].dropped);
			assert_eq!(view.median, Some(usd(10015) / usd(10000) * usd(1000)));
			// One of five 4% off (it used to trip the breaker: the feeds spanned over 3%) and
			// then 10% off: live at the other four's median, the feed dropped.
			for bad in [1040, 1100] {
				feed_prices([1000, 1001, 1002, bad, 1003]);
				let view = Bme::price_view();
				assert!(!matches!(view.breaker, BreakerView::Tripped { .. }), "{:?}", view.breaker);
				assert_eq!(view.median, Some(usd(10015) / usd(10000) * usd(1000)));
				assert!(view.feeds[3].dropped && view.feeds[3].fresh);
				assert_eq!(view.feeds.iter().filter(|f| f.dropped).count(), 1);
			}
			assert!(!events().iter().any(|e| matches!(e, Event::OracleTripped { .. })));
		});
	}

	#[test]
	fn two_feeders_off_trip_the_breaker() {
		new_test_ext().execute_with(|| {
			feed_prices([1000, 1000, 1000, 1040, 1040]);
			assert!(tripped(TripReason::Spread));
			assert!(events().contains(&Event::OracleTripped { reason: TripReason::Spread }));
		});
	}

	#[test]
	fn three_colluding_feeders_drop_the_honest_two_and_trip() {
		new_test_ext().execute_with(|| {
			// The colluders are the median: the honest feeds, 4.8% below, are dropped.
			feed_prices([1000, 1000, 1050, 1050, 1050]);
			assert!(tripped(TripReason::Spread));
			assert_eq!(Bme::price_view().median, None);
		});
	}

	#[test]
	fn too_few_feeds_left_after_dropping_are_stale() {
		new_test_ext().execute_with(|| {
			// Three fresh feeds (the minimum), one 10% off: two are left.
			for (f, p) in FEEDERS.iter().zip([1000, 1000, 1100]) {
				assert_ok!(Bme::submit_price(RuntimeOrigin::signed(*f), usd(p)));
			}
			run_to(2);
			assert!(tripped(TripReason::Stale));
			let view = Bme::price_view();
			assert!(view.feeds[2].dropped);
			assert_eq!(view.feeds.iter().filter(|f| f.fresh).count(), 3);
		});
	}

	#[test]
	fn governed_parameters_keep_the_mint_delay_the_cap_floor_and_the_collusion_margin() {
		new_test_ext().execute_with(|| {
			let market = MarketParams { mint_delay: 2, ..market_params() };
			assert_ok!(Bme::set_market_params(RuntimeOrigin::root(), market));
			for (bad, error) in [
				(MarketParams { mint_delay: 0, ..market }, Error::<Test>::MintDelayZero),
				(
					MarketParams { cap_floor: MAX_CAP_FLOOR + 1, ..market },
					Error::<Test>::CapFloorTooHigh,
				),
				// 2% lost on a round trip, 3% (2 x 1.5%) a colluding majority can gain.
				(
					MarketParams {
						spread: Permill::zero(),
						take_rate: Permill::from_percent(2),
						..market
					},
					Error::<Test>::CollusionMarginTooThin,
				),
			] {
				assert_noop!(Bme::set_market_params(RuntimeOrigin::root(), bad), error);
			}
			assert_ok!(Bme::set_market_params(
				RuntimeOrigin::root(),
				MarketParams { cap_floor: MAX_CAP_FLOOR, ..market }
			));
			// The oracle is checked against the stored market: 0.5% spread and 5% take-rate
			// lose 5.475% a round trip; 2 x 2.7% is under it, 2 x 2.8% is not.
			let oracle = oracle_params();
			let at = |ppm| OracleParams { max_deviation: Permill::from_parts(ppm), ..oracle };
			assert_ok!(Bme::set_oracle_params(RuntimeOrigin::root(), at(27_000)));
			assert_noop!(
				Bme::set_oracle_params(RuntimeOrigin::root(), at(28_000)),
				Error::<Test>::CollusionMarginTooThin
			);
			// Today's margin: b = 1.52% against a break-even of 2.81%.
			assert!(collusion_margin_holds(&OracleParams::production(), &MarketParams::standard()));
		});
	}

	#[test]
	fn max_outliers_must_leave_a_majority_of_min_fresh() {
		new_test_ext().execute_with(|| {
			let params = oracle_params();
			for (k, valid) in [(0, true), (1, true), (2, false)] {
				let params = OracleParams { max_outliers: k, ..params };
				let result = Bme::set_oracle_params(RuntimeOrigin::root(), params);
				assert_eq!(result.is_ok(), valid, "k = {k} with min_fresh 3");
			}
			let five = OracleParams { max_outliers: 2, min_fresh: 5, min_feeders: 5, ..params };
			assert_ok!(Bme::set_oracle_params(RuntimeOrigin::root(), five));
		});
	}

	#[test]
	fn only_registered_feeders_feed_for_free_once_per_block() {
		new_test_ext().execute_with(|| {
			let call = crate::Call::<Test>::submit_price { price: usd(1000) };
			// Normal class and free: nesting feeds in a batch buys no lane.
			let info = call.get_dispatch_info();
			assert_eq!(info.class, frame_support::dispatch::DispatchClass::Normal);
			assert_eq!(info.pays_fee, Pays::No);
			let post = Bme::submit_price(RuntimeOrigin::signed(FEEDERS[0]), usd(1000)).unwrap();
			assert_eq!(post.pays_fee, Pays::No);
			assert_noop!(
				Bme::submit_price(RuntimeOrigin::signed(FEEDERS[0]), usd(1001)),
				Error::<Test>::AlreadySubmitted
			);
			let err = Bme::submit_price(RuntimeOrigin::signed(ALICE), usd(1000)).unwrap_err();
			assert_eq!(err.error, Error::<Test>::NotFeeder.into());
			assert_eq!(err.post_info.pays_fee, Pays::Yes);
			assert_noop!(
				Bme::submit_price(RuntimeOrigin::signed(FEEDERS[1]), usd(0)),
				Error::<Test>::ZeroPrice
			);
		});
	}

	#[test]
	fn a_non_feeders_feed_never_enters_the_pool() {
		use codec::Encode;
		use frame_support::{pallet_prelude::TransactionSource, weights::Weight};
		use sp_runtime::{
			traits::TransactionExtension,
			transaction_validity::{InvalidTransaction, TransactionValidityError},
		};
		new_test_ext().execute_with(|| {
			let ext = CheckFeeder::<Test>::new();
			let feed = RuntimeCall::Bme(crate::Call::submit_price { price: usd(1000) });
			let info = feed.get_dispatch_info();
			let validate = |who: u64, call: &RuntimeCall| {
				ext.validate(
					RuntimeOrigin::signed(who),
					call,
					&info,
					0,
					(),
					&sp_runtime::traits::TxBaseImplication(()),
					TransactionSource::External,
				)
				.map(|(valid, _, _)| valid)
			};
			assert_eq!(
				validate(ALICE, &feed).unwrap_err(),
				TransactionValidityError::Invalid(InvalidTransaction::BadSigner)
			);
			let valid = validate(FEEDERS[2], &feed).unwrap();
			assert_eq!(valid.priority, FEED_PRIORITY);
			assert_eq!(valid.longevity, FEED_LONGEVITY);
			assert_eq!(valid.provides, vec![(b"crucible/feed", FEEDERS[2]).encode()]);
			// A removed feeder is refused too.
			assert_ok!(Bme::remove_feeder(RuntimeOrigin::root(), FEEDERS[2]));
			assert!(validate(FEEDERS[2], &feed).is_err());
			// Every other call passes untouched, at no weight.
			let other = RuntimeCall::Bme(crate::Call::redeem { credits: credits(1) });
			assert_eq!(validate(ALICE, &other).unwrap(), Default::default());
			assert_eq!(ext.weight(&other), Weight::zero());
			assert!(ext.weight(&feed).any_gt(Weight::zero()));
		});
	}

	#[test]
	fn governance_manages_feeders_and_parameters() {
		new_test_ext().execute_with(|| {
			assert_noop!(
				Bme::add_feeder(RuntimeOrigin::signed(ALICE), 7),
				DispatchError::BadOrigin
			);
			assert_noop!(
				Bme::add_feeder(RuntimeOrigin::root(), FEEDERS[0]),
				Error::<Test>::AlreadyFeeder
			);
			assert_ok!(Bme::add_feeder(RuntimeOrigin::root(), 7));
			assert_noop!(Bme::remove_feeder(RuntimeOrigin::root(), 8), Error::<Test>::NotFeeder);
			assert_ok!(Bme::remove_feeder(RuntimeOrigin::root(), 7));
			for i in 0..11 {
				assert_ok!(Bme::add_feeder(RuntimeOrigin::root(), 200 + i));
			}
			assert_noop!(
				Bme::add_feeder(RuntimeOrigin::root(), 300),
				Error::<Test>::TooManyFeeders
			);

			let bad = OracleParams { min_fresh: 6, ..oracle_params() };
			assert_noop!(
				Bme::set_oracle_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
			let bad = OracleParams { twap_window: 601, ..oracle_params() };
			assert_noop!(
				Bme::set_oracle_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
			assert_noop!(
				Bme::set_oracle_params(RuntimeOrigin::signed(ALICE), oracle_params()),
				DispatchError::BadOrigin
			);
			let good = OracleParams { staleness: 20, ..oracle_params() };
			assert_ok!(Bme::set_oracle_params(RuntimeOrigin::root(), good));
			assert_eq!(OracleConfig::<Test>::get(), good);

			let bad = MarketParams { cap_multiple: 6, ..MarketParams::standard() };
			assert_noop!(
				Bme::set_market_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
			let bad = MarketParams { spread: Permill::one(), ..MarketParams::standard() };
			assert_noop!(
				Bme::set_market_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
			assert_noop!(
				Bme::set_market_params(RuntimeOrigin::signed(ALICE), MarketParams::standard()),
				DispatchError::BadOrigin
			);
			assert_ok!(Bme::set_market_params(RuntimeOrigin::root(), MarketParams::standard()));

			let bad = EmissionParams { provider_cap_k: Permill::one(), ..emission_params() };
			assert_noop!(
				Bme::set_emission_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
			let bad = EmissionParams { epoch_length: 0, ..emission_params() };
			assert_noop!(
				Bme::set_emission_params(RuntimeOrigin::root(), bad),
				Error::<Test>::InvalidParams
			);
			assert_noop!(
				Bme::set_emission_params(RuntimeOrigin::signed(ALICE), emission_params()),
				DispatchError::BadOrigin
			);
			assert_ok!(Bme::set_emission_params(RuntimeOrigin::root(), emission_params()));
		});
	}

	#[test]
	fn a_large_twap_move_defers_the_boundary_and_withholds_its_emission() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			next_boundary(usd(1000));
			assert!(Summaries::<Test>::get(0).unwrap().executed);
			// Every feeder agrees on a 20% fall: no spread, but the TWAP jumps.
			feed_for(usd(800), 1);
			next_boundary(usd(800));
			let s = Summaries::<Test>::iter_values()
				.find(|s| !s.executed)
				.expect("a deferred boundary");
			assert_eq!(s.withheld, s.scheduled_emission);
			assert_eq!(s.flows.emitted, 0);
			assert!(events().contains(&Event::OracleTripped { reason: TripReason::LargeMove }));
			// The new level is the reference: after a clean window the next boundary runs.
			next_boundary(usd(800));
			let last = Summaries::<Test>::get(Epoch::<Test>::get().index - 1).unwrap();
			assert!(last.executed);
			check();
		});
	}
}

mod minting {
	use super::*;

	#[test]
	fn mint_burns_at_the_lower_price_less_the_spread() {
		new_test_ext().execute_with(|| {
			make_live(usd(2000));
			// The median drops to 1.98; the TWAP lags above it: the mint uses the median.
			feed_all(usd(1980));
			run_to(System::block_number() + 1);
			let (twap, median) = Bme::usable_prices().unwrap();
			assert!(twap > median);
			let issuance = Balances::total_issuance();
			let before = balance(ALICE);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			// 100 CRU x 1.98 x 0.995 = 197.01 credits.
			let got = Accounts::<Test>::get(ALICE).purchased;
			assert_eq!(got, Credits(197_010_000));
			let cost = before - balance(ALICE);
			assert_eq!(cost, 100 * CRU);
			assert_eq!(issuance - Balances::total_issuance(), cost);
			let s = Supply::<Test>::get();
			// The pool gets the credits' worth at the mid price; the spread is burned for good.
			assert_eq!(s.burned_for_credits, 99_500_000_000_000);
			assert_eq!(s.spread_burned, cost - s.burned_for_credits);
			assert_eq!(Bme::remint_pool(), s.burned_for_credits);
			assert!(
				matches!(events().last(), Some(Event::CreditsMinted { credits, .. }) if *credits == got)
			);
			check();
		});
	}

	#[test]
	fn mint_errors_change_nothing() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 0, Credits::ZERO),
				Error::<Test>::ZeroCredits
			);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 5 * CRU, Credits::ZERO),
				Error::<Test>::BelowMinimum
			);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, credits(100)),
				Error::<Test>::SlippageExceeded
			);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(CHARLIE), 1_000 * CRU, Credits::ZERO),
				Error::<Test>::InsufficientCru
			);
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), u128::MAX, Credits::ZERO),
				Error::<Test>::InsufficientCru
			);
		});
	}

	#[test]
	fn the_cost_is_rounded_up_and_the_rest_stays_with_the_buyer() {
		new_test_ext().execute_with(|| {
			// 1/3 dollar per CRU: credits do not divide CRU evenly.
			make_live(crucible_primitives::bme::Price::saturating_from_rational(1u32, 3u32));
			let before = balance(ALICE);
			let offered = 100 * CRU + 7;
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), offered, Credits::ZERO));
			let got = Accounts::<Test>::get(ALICE).purchased;
			let cost = before - balance(ALICE);
			assert!(cost <= offered);
			let price = math::less_spread(
				Bme::usable_prices().unwrap().1,
				MarketConfig::<Test>::get().spread,
			);
			// The cost buys exactly the credits; one planck less would not.
			assert_eq!(math::cru_to_credits(cost, price, sp_runtime::Rounding::Down), Some(got));
			assert!(
				math::cru_to_credits(cost - 1, price, sp_runtime::Rounding::Down).unwrap() < got
			);
			check();
		});
	}

	use sp_runtime::FixedPointNumber;
}

mod settlement {
	use super::*;
	use frame_support::traits::fungible::InspectHold;

	const DELAY: u32 = 3;

	fn delayed() -> sp_io::TestExternalities {
		ext_with(MarketParams { mint_delay: DELAY, ..market_params() })
	}

	/// One block whose feeds are two 4% off the rest: more than one outlier, and the breaker
	/// trips.
	fn feed_a_wide_spread() {
		for (f, p) in FEEDERS.iter().zip([1000, 1000, 1000, 1040, 1040]) {
			assert_ok!(Bme::submit_price(RuntimeOrigin::signed(*f), usd(p)));
		}
		run_to(System::block_number() + 1);
	}

	fn on_hold(who: u64) -> u128 {
		Balances::balance_on_hold(&HoldReason::PendingMint.into(), &who)
	}

	#[test]
	fn a_queued_mint_pays_for_the_call_and_its_settlement_block_for_the_rest() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			let post = Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO)
				.expect("queued");
			assert_eq!(
				post.actual_weight,
				Some(<() as crate::weights::WeightInfo>::mint_credits())
			);
			let declared =
				Call::<Test>::mint_credits { cru: 100 * CRU, min_credits_out: Credits::ZERO }
					.get_dispatch_info()
					.call_weight;
			assert!(post.actual_weight.unwrap().all_lt(declared));
		});
		// Settled in the call: the whole declared weight.
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			let post = Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO)
				.expect("settled");
			assert_eq!(post.actual_weight, None);
		});
	}

	#[test]
	fn a_mint_holds_its_cru_and_settles_after_the_delay() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			let (before, issuance) = (balance(ALICE), Balances::total_issuance());
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			let at = System::block_number() as u32 + DELAY;
			assert!(events().contains(&Event::MintRequested {
				who: ALICE,
				cru: 100 * CRU,
				price: usd(995),
				settles_at: at,
			}));
			// Nothing is burned and nothing bought yet: the CRU waits on hold.
			assert_eq!(on_hold(ALICE), 100 * CRU);
			assert_eq!(Bme::account_view(ALICE).minting, 100 * CRU);
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits::ZERO);
			assert_eq!(Balances::total_issuance(), issuance);
			check();
			feed_for(usd(1000), u64::from(DELAY) - 1);
			assert_eq!(on_hold(ALICE), 100 * CRU);
			feed_for(usd(1000), 1);
			// Settled at the quote: 100 x 1.00 x 0.995.
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits(99_500_000));
			assert_eq!(on_hold(ALICE), 0);
			assert_eq!(before - balance(ALICE), 100 * CRU);
			assert_eq!(issuance - Balances::total_issuance(), 100 * CRU);
			assert_eq!(PendingMints::<Test>::iter().count(), 0);
			check();
		});
	}

	#[test]
	fn a_fall_before_settlement_settles_at_the_new_price_a_rise_at_the_quote() {
		for (after, expect) in [(900, 89_550_000), (1100, 99_500_000)] {
			delayed().execute_with(|| {
				make_live(usd(1000));
				let before = balance(ALICE);
				assert_ok!(Bme::mint_credits(
					RuntimeOrigin::signed(ALICE),
					100 * CRU,
					Credits::ZERO
				));
				feed_for(usd(after), u64::from(DELAY));
				let got = Accounts::<Test>::get(ALICE).purchased;
				assert_eq!(got, Credits(expect), "{after}");
				assert!(matches!(
					events().last(),
					Some(Event::CreditsMinted { credits, .. }) if *credits == got
				));
				// All the held CRU was needed for the credits; none is left on hold.
				assert_eq!(before - balance(ALICE), 100 * CRU);
				assert_eq!(on_hold(ALICE), 0);
				check();
			});
		}
	}

	#[test]
	fn a_mint_waits_out_a_trip_and_settles_at_the_price_after_it() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			let due = System::block_number() + u64::from(DELAY);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			for _ in 0..DELAY {
				feed_a_wide_spread();
			}
			assert!(Bme::usable_prices().is_err());
			assert_eq!(System::block_number(), due);
			// Due, but the oracle cannot price: it waits, on hold.
			assert_eq!(on_hold(ALICE), 100 * CRU);
			assert_eq!(PendingMints::<Test>::get(due as u32 + 1).len(), 1);
			// A clean window at 0.90 later the oracle is live and the mint settles there.
			feed_for(usd(900), u64::from(WINDOW) + 1);
			assert!(System::block_number() < due + 2 * u64::from(WINDOW));
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits(89_550_000));
			assert_eq!(on_hold(ALICE), 0);
			check();
		});
	}

	#[test]
	fn a_mint_is_refunded_when_the_oracle_cannot_price_or_too_few_credits_result() {
		// Feeds go stale before the settlement block and stay stale for two TWAP windows.
		ext_with(MarketParams { mint_delay: 12, ..market_params() }).execute_with(|| {
			make_live(usd(1000));
			let (before, totals) = (balance(ALICE), Totals::<Test>::get());
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			run_to(System::block_number() + 12 + 2 * u64::from(WINDOW) - 1);
			assert_eq!(on_hold(ALICE), 100 * CRU, "waiting");
			check();
			run_to(System::block_number() + 1);
			assert!(events().contains(&Event::MintRefunded {
				who: ALICE,
				cru: 100 * CRU,
				reason: MintRefund::OracleUnavailable,
			}));
			assert_eq!((balance(ALICE), on_hold(ALICE)), (before, 0));
			// Nothing was burned for credits (the boundary in between emitted as usual).
			let s = Supply::<Test>::get();
			assert_eq!((s.burned_for_credits, s.spread_burned), (0, 0));
			assert_eq!(Totals::<Test>::get(), totals);
			check();
		});
		// The price falls below what the buyer accepts.
		delayed().execute_with(|| {
			make_live(usd(1000));
			let before = balance(ALICE);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, credits(95)));
			feed_for(usd(900), u64::from(DELAY));
			assert!(events().contains(&Event::MintRefunded {
				who: ALICE,
				cru: 100 * CRU,
				reason: MintRefund::TooFewCredits,
			}));
			assert_eq!((balance(ALICE), on_hold(ALICE)), (before, 0));
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits::ZERO);
			check();
		});
	}

	#[test]
	fn a_settlement_block_takes_at_most_max_pending_mints() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			for _ in 0..MAX_PENDING {
				assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(BOB), 20 * CRU, Credits::ZERO));
			}
			assert_noop!(
				Bme::mint_credits(RuntimeOrigin::signed(ALICE), 20 * CRU, Credits::ZERO),
				Error::<Test>::MintQueueFull
			);
			check();
			// The next block settles a block later.
			feed_for(usd(1000), 1);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 20 * CRU, Credits::ZERO));
			feed_for(usd(1000), u64::from(DELAY));
			assert_eq!(Accounts::<Test>::get(BOB).purchased, Credits(4 * 19_900_000));
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits(19_900_000));
			assert_eq!((on_hold(ALICE), on_hold(BOB)), (0, 0));
			check();
		});
	}

	#[test]
	fn waiting_mints_go_ahead_of_the_next_blocks_and_the_youngest_that_do_not_fit_are_refunded() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			let alice_due = System::block_number() + u64::from(DELAY);
			for _ in 0..MAX_PENDING {
				assert_ok!(Bme::mint_credits(
					RuntimeOrigin::signed(ALICE),
					20 * CRU,
					Credits::ZERO
				));
			}
			feed_for(usd(1000), 1);
			let bob_before = balance(BOB);
			for _ in 0..MAX_PENDING {
				assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(BOB), 20 * CRU, Credits::ZERO));
			}
			// The breaker trips before Alice's mints are due.
			while System::block_number() < alice_due {
				feed_a_wide_spread();
			}
			assert!(Bme::usable_prices().is_err());
			// Alice's four wait in the next block's queue; Bob's four, due there, no longer fit.
			let waiting = PendingMints::<Test>::get(alice_due as u32 + 1);
			assert!(waiting.len() as u32 == MAX_PENDING && waiting.iter().all(|m| m.who == ALICE));
			let refunded = events()
				.into_iter()
				.filter(|e| {
					matches!(e, Event::MintRefunded { who: BOB, cru, reason: MintRefund::QueueFull }
						if *cru == 20 * CRU)
				})
				.count();
			assert_eq!(refunded as u32, MAX_PENDING);
			assert_eq!((balance(BOB), on_hold(BOB)), (bob_before, 0));
			check();
			// Once the oracle is live again Alice's settle.
			feed_for(usd(1000), u64::from(WINDOW) + 1);
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits(4 * 19_900_000));
			assert_eq!(Accounts::<Test>::get(BOB).purchased, Credits::ZERO);
			assert_eq!(on_hold(ALICE), 0);
			check();
		});
	}

	#[test]
	fn a_settlement_returns_the_rounding_remainder_of_the_hold() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			let (before, issuance) = (balance(ALICE), Balances::total_issuance());
			// 100.000005 CRU buy 99.500004 credits at 0.995, which cost 100.000004020101 CRU.
			let cru = 100 * CRU + 5_000_000;
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), cru, Credits::ZERO));
			let held = on_hold(ALICE);
			assert_eq!(held, 100 * CRU + 4_020_101);
			// At 0.90 x 0.995 the hold buys 89.550003 credits, which cost 100.000003350084 CRU:
			// the remaining 670,017 plancks go back.
			feed_for(usd(900), u64::from(DELAY));
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits(89_550_003));
			assert_eq!(on_hold(ALICE), 0);
			let burned = 100 * CRU + 3_350_084;
			assert_eq!(before - balance(ALICE), burned);
			assert_eq!(issuance - Balances::total_issuance(), burned);
			check();
		});
	}

	#[test]
	fn a_mint_whose_cru_a_vote_has_locked_is_refunded_not_burned() {
		use frame_support::traits::{LockableCurrency, WithdrawReasons};
		delayed().execute_with(|| {
			make_live(usd(1000));
			let (before, issuance) = (balance(ALICE), Balances::total_issuance());
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			// A vote locks the whole balance, held CRU included (locks overlap holds).
			Balances::set_lock(*b"vote    ", &ALICE, before, WithdrawReasons::all());
			feed_for(usd(1000), u64::from(DELAY));
			assert!(events().contains(&Event::MintRefunded {
				who: ALICE,
				cru: 100 * CRU,
				reason: MintRefund::Frozen,
			}));
			assert_eq!((balance(ALICE), on_hold(ALICE)), (before, 0));
			assert_eq!(Balances::total_issuance(), issuance);
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits::ZERO);
			check();
		});
	}

	#[test]
	fn a_mint_settles_only_on_feeds_submitted_after_it() {
		delayed().execute_with(|| {
			make_live(usd(1000));
			let due = System::block_number() + u64::from(DELAY);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			// The feeders post nothing more for a while: their feeds stay fresh (staleness 10)
			// and the oracle live, but they predate the request, so the mint waits.
			run_to(due);
			assert!(Bme::usable_prices().is_ok());
			assert_eq!(on_hold(ALICE), 100 * CRU);
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits::ZERO);
			assert_eq!(PendingMints::<Test>::get(due as u32 + 1).len(), 1);
			check();
			// The market fell 10% meanwhile; the next feeds carry it, and the mint settles there.
			feed_for(usd(900), 1);
			assert_eq!(Accounts::<Test>::get(ALICE).purchased, Credits(89_550_000));
			assert_eq!(on_hold(ALICE), 0);
			check();
		});
	}

	#[test]
	fn a_mint_on_feeds_that_missed_a_jump_buys_at_the_new_price() {
		// The market falls 10% in one block; the feeders report it over the next blocks. A
		// buyer who mints in that block on the stale feeds, leases to itself and redeems gains
		// about 1/0.9 x 0.995 x 0.95 - 1 = +5% when the mint settles at once, and loses the
		// spread and the take-rate when it settles after the feeds caught up.
		let round_trip = |delay: u32| {
			let mut gain = 0i128;
			ext_with(MarketParams { mint_delay: delay, ..market_params() }).execute_with(|| {
				make_live(usd(1000));
				let start = balance(ALICE) as i128;
				assert_ok!(Bme::mint_credits(
					RuntimeOrigin::signed(ALICE),
					10_000 * CRU,
					Credits::ZERO
				));
				feed_for(usd(900), u64::from(delay.max(1)));
				let bought = Accounts::<Test>::get(ALICE).purchased;
				assert_ok!(<Bme as CreditLedger<u64>>::lock(&ALICE, 1, bought));
				assert_ok!(<Bme as CreditLedger<u64>>::pay(1, &ALICE, bought));
				let earned = Accounts::<Test>::get(ALICE).earned;
				assert_ok!(Bme::redeem(RuntimeOrigin::signed(ALICE), earned));
				while Requests::<Test>::get(ALICE).is_some() {
					next_boundary(usd(900));
				}
				check();
				gain = balance(ALICE) as i128 - start;
			});
			gain
		};
		let at_once = round_trip(0);
		assert!(at_once > 400 * CRU as i128, "{at_once}");
		let delayed = round_trip(DELAY);
		assert!(delayed < 0, "{delayed}");
	}
}

mod ledger {
	use super::*;

	#[test]
	fn escrow_lock_pay_refund_and_the_take_rate() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 1_000 * CRU, Credits::ZERO));
			let bought = Accounts::<Test>::get(ALICE).purchased;
			type L = Bme;
			assert_noop!(
				<L as CreditLedger<u64>>::lock(&ALICE, 1, bought.saturating_add(Credits(1))),
				Error::<Test>::InsufficientPurchased
			);
			assert_ok!(<L as CreditLedger<u64>>::lock(&ALICE, 1, credits(100)));
			assert_noop!(
				<L as CreditLedger<u64>>::lock(&BOB, 1, Credits::ZERO),
				Error::<Test>::NotEscrowOwner
			);
			assert_ok!(<L as CreditLedger<u64>>::lock(&ALICE, 1, credits(100)));
			assert_eq!(<L as CreditLedger<u64>>::escrow(1), Some((ALICE, credits(200))));
			assert_noop!(
				<L as CreditLedger<u64>>::pay(2, &BOB, Credits(1)),
				Error::<Test>::EscrowNotFound
			);
			assert_noop!(
				<L as CreditLedger<u64>>::pay(1, &BOB, credits(201)),
				Error::<Test>::InsufficientEscrow
			);
			// 5% of 100.000001 credits is 5.00000005: 5.000001 burned (rounded up).
			let paid = <L as CreditLedger<u64>>::pay(1, &BOB, Credits(100_000_001)).unwrap();
			assert_eq!(paid.burned, Credits(5_000_001));
			assert_eq!(paid.to_provider, Credits(95_000_000));
			assert_eq!(<L as CreditLedger<u64>>::earned(&BOB), Credits(95_000_000));
			assert_noop!(
				<L as CreditLedger<u64>>::refund(1, credits(100)),
				Error::<Test>::InsufficientEscrow
			);
			assert_ok!(<L as CreditLedger<u64>>::refund(1, Credits(99_999_999)));
			assert_eq!(<L as CreditLedger<u64>>::escrow(1), None);
			assert_eq!(
				<L as CreditLedger<u64>>::purchased(&ALICE),
				bought.saturating_sub(Credits(100_000_001))
			);
			// Purchased credits are never redeemable.
			assert_noop!(
				Bme::redeem(RuntimeOrigin::signed(ALICE), credits(10)),
				Error::<Test>::InsufficientEarned
			);
			check();
		});
	}
}

mod redemption {
	use super::*;

	/// Blocks from the epoch's end until its boundary completed, with one eligible request and
	/// `ineligible` requests made in the boundary's last TWAP window.
	fn boundary_length(ineligible: u32) -> u64 {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(90)));
			let epoch = Epoch::<Test>::get();
			let end = (epoch.start + epoch.length) as u64;
			while System::block_number() < end - 2 {
				feed_for(usd(1000), 1);
			}
			for i in 0..ineligible {
				let who = 10_000 + u64::from(i);
				Accounts::<Test>::mutate(who, |a| a.earned = credits(10));
				Totals::<Test>::mutate(|t| {
					t.minted = t.minted.saturating_add(credits(10));
					t.earned = t.earned.saturating_add(credits(10));
				});
				assert_ok!(Bme::redeem(RuntimeOrigin::signed(who), credits(10)));
			}
			assert_eq!(RequestCount::<Test>::get(), ineligible + 1);
			let before = balance(BOB);
			while !Summaries::<Test>::contains_key(epoch.index) {
				feed_for(usd(1000), 1);
			}
			assert!(balance(BOB) > before, "the eligible request is paid");
			assert_eq!(RequestCount::<Test>::get(), ineligible, "the others wait, whole");
			if ineligible <= 1_000 {
				check();
			}
			System::block_number() - end
		})
	}

	#[test]
	fn forty_thousand_ineligible_requests_do_not_lengthen_a_boundary() {
		// Today's code walked every open request, 8 per block here: 5,000 blocks.
		assert_eq!(boundary_length(40_000), boundary_length(0));
	}

	#[test]
	fn redeem_errors_change_nothing() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			assert_noop!(
				Bme::redeem(RuntimeOrigin::signed(BOB), credits(9)),
				Error::<Test>::BelowMinimum
			);
			assert_noop!(
				Bme::redeem(RuntimeOrigin::signed(BOB), credits(96)),
				Error::<Test>::InsufficientEarned
			);
			assert_noop!(
				Bme::redeem(RuntimeOrigin::signed(CHARLIE), credits(10)),
				Error::<Test>::InsufficientEarned
			);
		});
	}

	#[test]
	fn a_request_waits_for_a_whole_window_then_pays_at_the_higher_price() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			// Request late in the epoch: the window before this boundary started earlier.
			let epoch = Epoch::<Test>::get();
			let end = (epoch.start + epoch.length) as u64;
			while System::block_number() < end - 2 {
				feed_for(usd(1000), 1);
			}
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(95)));
			assert_eq!(Requests::<Test>::get(BOB).unwrap().round, epoch.index + 1);
			let before = balance(BOB);
			next_boundary(usd(1000));
			assert_eq!(balance(BOB), before, "not paid at the first boundary");
			assert!(!Bme::account_view(BOB).eligible);
			// The price rises 1% before the next boundary: the median is above the TWAP.
			while System::block_number() < (Epoch::<Test>::get().start + EPOCH) as u64 - 1 {
				feed_for(usd(1000), 1);
			}
			feed_for(usd(1010), 1);
			finish_boundaries(usd(1010));
			let paid = balance(BOB) - before;
			// 95 credits at max(TWAP, median) = 1.01: 94.0594... CRU, floored.
			let price = usd(1010);
			assert_eq!(
				paid,
				math::credits_to_cru(credits(95), price, sp_runtime::Rounding::Down).unwrap()
			);
			assert!(Requests::<Test>::get(BOB).is_none());
			let summary = Summaries::<Test>::iter_values().find(|s| s.requests_paid == 1).unwrap();
			assert_eq!(summary.credits_redeemed, credits(95));
			assert_eq!(summary.flows.reminted + summary.flows.new_supply, paid);
			// Paid from the remint pool: no new supply.
			assert_eq!(summary.flows.new_supply, 0);
			check();
		});
	}

	#[test]
	fn a_push_in_the_last_window_before_a_boundary_buys_no_more_cru() {
		// A redeemer sells CRU into the pool for the whole last TWAP window before its
		// boundary: the feeds, the median and the TWAP all fall 5%. The boundary redeems at the
		// previous boundary's TWAP (the look-back), which the push did not reach.
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			next_boundary(usd(1000));
			assert_eq!(Oracle::<Test>::get().reference, Some(usd(1000)));
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(95)));
			let round = Requests::<Test>::get(BOB).unwrap().round;
			let before = balance(BOB);
			let end = (Epoch::<Test>::get().start + EPOCH) as u64;
			while System::block_number() < end - u64::from(WINDOW) - 1 {
				feed_for(usd(1000), 1);
			}
			// The whole last window (and its boundary blocks) at the pushed price.
			while !Summaries::<Test>::contains_key(round) {
				feed_for(usd(950), 1);
			}
			let summary = Summaries::<Test>::get(round).unwrap();
			assert_eq!(summary.price, Some(usd(1000)), "redeemed at the look-back");
			assert_eq!(
				balance(BOB) - before,
				math::credits_to_cru(credits(95), usd(1000), sp_runtime::Rounding::Down).unwrap()
			);
			assert_eq!(Bme::price_view().previous_twap, Some(usd(950)));
			check();
		});
	}

	#[test]
	fn a_cap_that_binds_inside_a_request_debits_only_what_it_pays() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			next_boundary(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(95)));
			feed_for(usd(1000), u64::from(WINDOW) + 1);
			// A boundary whose cap has 10 CRU left when it reaches Bob's 95-credit request.
			Bme::start_boundary(Bme::now(), Epoch::<Test>::get());
			Boundary::<Test>::mutate(|b| b.as_mut().expect("running").cap_left = 10 * CRU);
			let before = balance(BOB);
			finish_boundaries(usd(1000));
			assert_eq!(balance(BOB) - before, 10 * CRU);
			// 10 CRU at 1 USD buys 10 credits: 85 stay queued, and the next boundary pays them.
			assert_eq!(Requests::<Test>::get(BOB).unwrap().credits, credits(85));
			let t = Totals::<Test>::get();
			assert_eq!((t.redeemed, t.queued), (credits(10), credits(85)));
			check();
			next_boundary(usd(1000));
			assert_eq!(balance(BOB) - before, 95 * CRU);
			assert!(Requests::<Test>::get(BOB).is_none());
			check();
		});
	}

	#[test]
	fn a_top_up_re_dates_the_whole_request() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			// Early in epoch 0: ripe before its boundary.
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(40)));
			let first = Requests::<Test>::get(BOB).unwrap();
			assert_eq!(first.round, 0);
			// Two blocks later a top-up: the whole request now waits for epoch 1's boundary.
			feed_for(usd(1000), 2);
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(40)));
			let second = Requests::<Test>::get(BOB).unwrap();
			assert_eq!(second.round, 1);
			assert_eq!(second.credits, credits(80));
			check();
			let before = balance(BOB);
			next_boundary(usd(1000));
			assert_eq!(balance(BOB), before);
			assert_eq!(Requests::<Test>::get(BOB).unwrap().credits, credits(80));
			next_boundary(usd(1000));
			assert_eq!(balance(BOB) - before, 80 * CRU);
			check();
		});
	}

	#[test]
	fn a_run_on_the_queue_is_filled_pro_rata_and_the_rest_carries() {
		let market = MarketParams { cap_floor: 100 * CRU, ..market_params() };
		ext_with(market).execute_with(|| {
			make_live(usd(1000));
			// Three providers earn 1000, 3000 and 96_000 credits; a huge one and two small.
			earn(ALICE, 11, 1, credits(1_000));
			earn(ALICE, 12, 2, credits(3_000));
			earn(BOB, 13, 3, credits(96_000));
			for p in [11, 12, 13] {
				let all = Accounts::<Test>::get(p).earned;
				assert_ok!(Bme::redeem(RuntimeOrigin::signed(p), all));
			}
			let queued = Totals::<Test>::get().queued;
			// Requests ripen after a window; run until a boundary pays them.
			let mut summary = None;
			while summary.is_none() {
				next_boundary(usd(1000));
				summary = Summaries::<Test>::iter_values().find(|s| s.requests_paid > 0);
			}
			let summary = summary.unwrap();
			// The cap binds: 100 CRU floor (the pool is far larger).
			assert_eq!(summary.cap, 100 * CRU);
			let paid = [11u64, 12, 13].map(balance);
			assert!(paid.iter().sum::<u128>() <= 100 * CRU);
			// Everyone got the same fraction: no first-come advantage, and the oversized
			// request did not block the small ones.
			let left = [11u64, 12, 13].map(|p| Requests::<Test>::get(p).unwrap().credits.0);
			let asked = [950_000_000u128, 2_850_000_000, 91_200_000_000];
			for i in 0..3 {
				let filled = asked[i] - left[i];
				assert!(filled > 0);
				// filled / asked equal across requests up to rounding.
				let ratio = filled * 1_000_000 / asked[i];
				let ratio0 = (asked[0] - left[0]) * 1_000_000 / asked[0];
				assert!(ratio.abs_diff(ratio0) <= 1, "{ratio} vs {ratio0}");
			}
			// Nothing lost: redeemed + still queued = what was queued.
			let t = Totals::<Test>::get();
			assert_eq!(t.redeemed.saturating_add(t.queued), queued);
			// One summary event per boundary, none per request.
			let completed =
				events().iter().filter(|e| matches!(e, Event::BoundaryCompleted { .. })).count();
			assert_eq!(completed as u32, Summaries::<Test>::iter().count() as u32);
			// The rest carries and is paid over the next boundaries.
			for _ in 0..20 {
				next_boundary(usd(1000));
			}
			let t = Totals::<Test>::get();
			assert!(t.queued < queued.saturating_sub(credits(2_000)));
			check();
		});
	}

	#[test]
	fn requests_wait_while_the_oracle_is_paused() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			// Feeds stop; the request is still accepted.
			run_to(System::block_number() + 12);
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(95)));
			let before = balance(BOB);
			run_to(System::block_number() + 3 * u64::from(EPOCH));
			assert_eq!(balance(BOB), before);
			assert!(Summaries::<Test>::iter_values().all(|s| !s.executed || s.requests_paid == 0));
			// Feeds resume; after a clean window the next boundary pays.
			make_live(usd(1000));
			next_boundary(usd(1000));
			next_boundary(usd(1000));
			assert!(balance(BOB) > before);
			assert!(Requests::<Test>::get(BOB).is_none());
			check();
		});
	}

	#[test]
	fn boundary_work_is_spread_over_blocks() {
		new_test_ext().execute_with(|| {
			Steps::set(2);
			make_live(usd(1000));
			for p in 20..30u64 {
				earn(ALICE, p, p, credits(20));
				assert_ok!(Bme::redeem(RuntimeOrigin::signed(p), credits(15)));
			}
			let mut blocks_in_batch = 0;
			while Totals::<Test>::get().queued > Credits::ZERO {
				feed_for(usd(1000), 1);
				if Boundary::<Test>::exists() {
					blocks_in_batch += 1;
				}
				check();
			}
			// 10 requests at 2 per block: at least 5 blocks of batch.
			assert!(blocks_in_batch >= 5, "{blocks_in_batch}");
		});
	}
}

mod emission {
	use super::*;

	#[test]
	fn parts_sum_to_the_schedule_and_withheld_is_never_minted() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			let treasury = balance(TREASURY);
			next_boundary(usd(1000));
			let s = Summaries::<Test>::get(0).unwrap();
			assert!(s.executed);
			assert_eq!(s.scheduled_emission, 100 * CRU);
			// No earned credits yet: the providers' half is withheld; subnets accrue 30%.
			assert_eq!(s.emitted_providers, 0);
			assert_eq!(s.subnet_accrued, 30 * CRU);
			assert_eq!(s.emitted_treasury, 20 * CRU);
			assert_eq!(s.withheld, 50 * CRU);
			assert_eq!(
				s.emitted_providers + s.subnet_accrued + s.emitted_treasury + s.withheld,
				s.scheduled_emission
			);
			assert_eq!(balance(TREASURY) - treasury, 20 * CRU);
			assert_eq!(Bme::available(), 30 * CRU);
			check();
		});
	}

	#[test]
	fn the_schedule_decays() {
		let e = math::scheduled_emission(100 * CRU, EmissionParams::production().decay, 8760);
		// Halves after a year of hourly epochs (to within 0.01%).
		assert!(e.abs_diff(50 * CRU) < 50 * CRU / 10_000, "{e}");
		assert_eq!(
			math::scheduled_emission(100 * CRU, sp_runtime::Perbill::zero(), 1_000_000),
			100 * CRU
		);
	}

	#[test]
	fn the_subnet_pot_is_capped_and_drawn_by_minting() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			for _ in 0..40 {
				next_boundary(usd(1000));
			}
			// 30 CRU per epoch, capped at 1,000 CRU.
			assert_eq!(Bme::available(), 1_000 * CRU);
			assert_noop!(
				<Bme as SubnetEmission<u64>>::draw(&CHARLIE, 1_001 * CRU),
				Error::<Test>::PotExhausted
			);
			let issuance = Balances::total_issuance();
			assert_ok!(<Bme as SubnetEmission<u64>>::draw(&CHARLIE, 400 * CRU));
			assert_eq!(Balances::total_issuance() - issuance, 400 * CRU);
			assert_eq!(Bme::available(), 600 * CRU);
			check();
		});
	}

	#[test]
	fn provider_emission_is_shared_by_earned_credits_and_capped() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			// A steady market: two providers earn 3:1 every epoch.
			let (mut got_11, mut got_12) = (0, 0);
			for epoch in 0..30u64 {
				earn(ALICE, 11, 1000 + 2 * epoch, credits(3_000));
				earn(ALICE, 12, 1001 + 2 * epoch, credits(1_000));
				(got_11, got_12) = (balance(11), balance(12));
				next_boundary(usd(1000));
				(got_11, got_12) = (balance(11) - got_11, balance(12) - got_12);
			}
			let s = Summaries::<Test>::get(29).unwrap();
			assert!(s.emitted_providers > 0);
			// Earned net of the 5% take-rate: 2,850 and 950 credits of 3,800.
			assert_eq!(s.credits_earned, credits(3_800));
			assert_eq!(got_11 + got_12, s.emitted_providers);
			// Cap: k (0.5) x (spread + take-rate = 5.5%) x min(average, current) earned volume.
			let history = History::<Test>::get();
			let average = history.iter().map(|h| h.earned.0).sum::<u128>() / 168;
			let cap = math::provider_cap(
				Credits(average.min(s.credits_earned.0)),
				usd(1000),
				Permill::from_parts(5_000),
				Permill::from_parts(50_000),
				Permill::from_percent(50),
			);
			assert!(s.emitted_providers <= cap.max(1) + 1);
			// The pot (half the schedule, or the cap if lower) is shared by earned credits,
			// each share floored; the floors' remainder goes to the treasury.
			// The boundary saw the history before its own epoch.
			let before: u128 = history.iter().rev().skip(1).map(|h| h.earned.0).sum::<u128>() / 168;
			let pot = (50 * CRU).min(math::provider_cap(
				Credits(before.min(s.credits_earned.0)),
				usd(1000),
				Permill::from_parts(5_000),
				Permill::from_parts(50_000),
				Permill::from_percent(50),
			));
			assert_eq!(got_11, math::pro_rata(pot, credits(2_850).0, credits(3_800).0));
			assert_eq!(got_12, math::pro_rata(pot, credits(950).0, credits(3_800).0));
			assert!(got_12 > 0 && got_11.abs_diff(3 * got_12) <= 3, "{got_11} vs 3 x {got_12}");
			// Withheld + minted + accrued = the schedule.
			assert_eq!(
				s.emitted_providers + s.subnet_accrued + s.emitted_treasury + s.withheld,
				s.scheduled_emission
			);
			check();
		});
	}

	#[test]
	fn self_leasing_never_pays() {
		// An attacker mints credits, leases to itself for a whole epoch after a long quiet
		// (or busy) market, redeems everything, and collects the providers' emission: it
		// loses CRU. The last cases are a quiet epoch after a high moving average: capped by
		// the average alone (or not at all), the pot (50 CRU) would pay the attacker's small
		// self-lease many times over; capped by min(average, current) it pays k (0.5) of the
		// spread and take-rate it burned.
		for (honest, attack) in
			[(0u128, 100_000u128), (1_000, 100_000), (4_000, 100_000), (4_000, 1_000), (4_000, 200)]
		{
			new_test_ext().execute_with(|| {
				make_live(usd(1000));
				// History: honest volume for 200 epochs (fills the average).
				for epoch in 0..200u64 {
					if honest > 0 {
						earn(BOB, 12, 10_000 + epoch, credits(honest));
					}
					next_boundary(usd(1000));
				}
				let start = balance(ALICE);
				// The attacker self-leases in one epoch with no other demand, then redeems.
				earn(ALICE, ALICE, 1, credits(attack));
				next_boundary(usd(1000));
				let earned = Accounts::<Test>::get(ALICE).earned;
				assert_ok!(Bme::redeem(RuntimeOrigin::signed(ALICE), earned));
				for _ in 0..10 {
					next_boundary(usd(1000));
				}
				let left = Accounts::<Test>::get(ALICE).purchased;
				let left_cru =
					math::credits_to_cru(left, usd(1000), sp_runtime::Rounding::Down).unwrap();
				assert!(Requests::<Test>::get(ALICE).is_none());
				let end = balance(ALICE) + left_cru;
				assert!(end < start, "honest {honest}, attack {attack}: {end} >= {start}");
				check();
			});
		}
	}
}

mod attacks {
	use super::*;

	/// HIP-18: the market falls from 1.000 to `to` (USD/CRU) while the feeders lag: for `lag`
	/// blocks they post nothing, their last feeds (at 1.000) still fresh. The attacker mints
	/// in the first of those blocks at the stale quote, leases to itself, and redeems after
	/// the feeds caught up. Returns its CRU at the end (unspent credits counted at the lowest
	/// price seen, the most CRU they could fetch) and at the start.
	fn lag_round_trip(mint_delay: u32, lag: u64, to: u128) -> (u128, u128) {
		ext_with(MarketParams { mint_delay, ..market_params() }).execute_with(|| {
			make_live(usd(1000));
			next_boundary(usd(1000));
			let start = balance(ALICE);
			// The feeders' last feeds are a block old: the fall is not in them.
			run_to(System::block_number() + 1);
			assert_ok!(Bme::mint_credits(
				RuntimeOrigin::signed(ALICE),
				10_000 * CRU,
				Credits::ZERO
			));
			run_to(System::block_number() + lag);
			// The feeds catch up.
			feed_for(usd(to), 2 * u64::from(WINDOW) + 1);
			let bought = Accounts::<Test>::get(ALICE).purchased;
			if !bought.is_zero() {
				assert_ok!(<Bme as CreditLedger<u64>>::lock(&ALICE, 1, bought));
				assert_ok!(<Bme as CreditLedger<u64>>::pay(1, &ALICE, bought));
				let earned = Accounts::<Test>::get(ALICE).earned;
				assert_ok!(Bme::redeem(RuntimeOrigin::signed(ALICE), earned));
				while Requests::<Test>::get(ALICE).is_some() {
					next_boundary(usd(to));
				}
			}
			let left = Accounts::<Test>::get(ALICE).purchased;
			let left_cru =
				math::credits_to_cru(left, usd(to.min(1000)), sp_runtime::Rounding::Up).unwrap();
			check();
			(balance(ALICE) + left_cru, start)
		})
	}

	#[test]
	fn lag_arbitrage_gains_nothing() {
		// A mint settles after a delay, at the lower of its quote and the price then, and only
		// on a median whose every feed came after it: the lag buys nothing (a lag beyond two
		// TWAP windows refunds the mint).
		for lag in [0, 1, 3, 9] {
			for to in [900, 1000, 1100] {
				let (end, start) = lag_round_trip(3, lag, to);
				// A refunded mint (the lag outlasting two windows) ends where it began.
				assert!(end <= start, "lag {lag}, to {to}: {end} > {start}");
				if lag <= 3 {
					assert!(end < start, "lag {lag}, to {to}: the round trip settled and lost");
				}
			}
		}
		// The control: settled in the call (no delay), the stale quote gains about 5% of the
		// mint on a 10% fall, net of the spread and the take-rate.
		let (end, start) = lag_round_trip(0, 3, 900);
		assert!(end > start, "no delay: {end} <= {start}");
	}

	#[test]
	fn mint_then_redeem_never_gains_at_a_constant_price() {
		new_test_ext().execute_with(|| {
			make_live(usd(1234));
			let start = balance(ALICE);
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 1_000 * CRU, Credits::ZERO));
			let all = Accounts::<Test>::get(ALICE).purchased;
			assert_ok!(<Bme as CreditLedger<u64>>::lock(&ALICE, 1, all));
			assert_ok!(<Bme as CreditLedger<u64>>::pay(1, &ALICE, all));
			let earned = Accounts::<Test>::get(ALICE).earned;
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(ALICE), earned));
			while Requests::<Test>::get(ALICE).is_some() {
				next_boundary(usd(1234));
			}
			assert!(balance(ALICE) < start);
			check();
		});
	}
}

mod remint {
	use super::*;

	#[test]
	fn the_pool_is_capped_at_outstanding_credits_and_the_excess_is_realized() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			assert_ok!(Bme::mint_credits(
				RuntimeOrigin::signed(ALICE),
				10_000 * CRU,
				Credits::ZERO
			));
			let pool = Bme::remint_pool();
			// Half the credits are paid out and burned as take-rate... here: the take-rate
			// burns 5% of a payment, so outstanding credits fall below the pool's worth.
			let all = Accounts::<Test>::get(ALICE).purchased;
			assert_ok!(<Bme as CreditLedger<u64>>::lock(&ALICE, 1, all));
			assert_ok!(<Bme as CreditLedger<u64>>::pay(1, &BOB, all));
			next_boundary(usd(1000));
			let s = Supply::<Test>::get();
			assert!(s.realized_net_burn > 0);
			let outstanding = Totals::<Test>::get().outstanding();
			assert_eq!(
				Bme::remint_pool(),
				math::credits_to_cru(outstanding, usd(1000), sp_runtime::Rounding::Down).unwrap()
			);
			assert_eq!(pool - Bme::remint_pool(), s.realized_net_burn);
			// The spread never entered the pool.
			assert_eq!(pool, s.burned_for_credits);
			check();
		});
	}
}

mod issuance {
	use super::*;
	use frame_support::{
		traits::{fungible::Mutate, ConstU32},
		BoundedVec,
	};

	fn reason() -> BoundedVec<u8, ConstU32<MAX_ADJUSTMENT_REASON>> {
		BoundedVec::try_from(b"referendum 7: restore a lost key's funds".to_vec()).unwrap()
	}

	#[test]
	fn a_noted_root_mint_or_burn_keeps_the_identity_exact() {
		new_test_ext().execute_with(|| {
			check();
			// Root mints 500 CRU outside the BME: the identity is off until it is noted.
			assert_ok!(<Balances as Mutate<u64>>::mint_into(&ALICE, 500 * CRU));
			assert!(Bme::do_try_state().is_err());
			assert_ok!(Bme::note_issuance_adjustment(
				RuntimeOrigin::root(),
				(500 * CRU) as i128,
				reason()
			));
			check();
			assert_eq!(Supply::<Test>::get().adjusted_up, 500 * CRU);
			assert!(events().contains(&Event::IssuanceAdjustmentNoted {
				delta: (500 * CRU) as i128,
				reason: reason()
			}));
			// And burns 200.
			assert_ok!(<Balances as Mutate<u64>>::burn_from(
				&ALICE,
				200 * CRU,
				frame_support::traits::tokens::Preservation::Expendable,
				frame_support::traits::tokens::Precision::Exact,
				frame_support::traits::tokens::Fortitude::Force,
			));
			assert_ok!(Bme::note_issuance_adjustment(
				RuntimeOrigin::root(),
				-((200 * CRU) as i128),
				reason()
			));
			check();
			let s = Bme::supply_view();
			assert_eq!(
				(s.cumulative.adjusted_up, s.cumulative.adjusted_down),
				(500 * CRU, 200 * CRU)
			);
			assert_eq!(s.cumulative.net_change(), (300 * CRU) as i128);
			// The epoch's summary carries the adjustments.
			next_boundary(usd(1000));
			let summary = Summaries::<Test>::get(0).unwrap();
			assert_eq!(summary.flows.adjusted_up, 500 * CRU);
			assert_eq!(summary.flows.adjusted_down, 200 * CRU);
			check();
		});
	}

	#[test]
	fn a_wrong_delta_zero_or_a_signed_origin_changes_nothing() {
		new_test_ext().execute_with(|| {
			assert_ok!(<Balances as Mutate<u64>>::mint_into(&ALICE, 500 * CRU));
			assert_noop!(
				Bme::note_issuance_adjustment(RuntimeOrigin::root(), (499 * CRU) as i128, reason()),
				Error::<Test>::IssuanceMismatch
			);
			assert_noop!(
				Bme::note_issuance_adjustment(
					RuntimeOrigin::root(),
					-((500 * CRU) as i128),
					reason()
				),
				Error::<Test>::IssuanceMismatch
			);
			assert_noop!(
				Bme::note_issuance_adjustment(RuntimeOrigin::root(), 0, reason()),
				Error::<Test>::ZeroAdjustment
			);
			assert_noop!(
				Bme::note_issuance_adjustment(
					RuntimeOrigin::signed(ALICE),
					(500 * CRU) as i128,
					reason()
				),
				DispatchError::BadOrigin
			);
		});
	}
}

mod views {
	use super::*;

	/// Every BME runtime API on hostile arguments reads a bounded number of trie nodes (a
	/// read walks a few nodes of this small trie: the budgets are generous multiples).
	#[test]
	fn runtime_apis_read_a_bounded_amount_whatever_the_arguments() {
		use crucible_primitives::testing::with_read_budget;
		let mut ext = new_test_ext();
		ext.execute_with(|| {
			make_live(usd(1000));
			earn(ALICE, BOB, 1, credits(100));
			assert_ok!(Bme::redeem(RuntimeOrigin::signed(BOB), credits(50)));
			for _ in 0..12 {
				next_boundary(usd(1000));
			}
		});
		// 12 summaries: 12 summary reads plus three entries, about ten nodes each.
		let (page, reads) =
			with_read_budget(&mut ext, 400, || Bme::epochs_page(Some(u32::MAX), u32::MAX));
		assert_eq!(page.epochs.len(), 12);
		assert!(reads > 0);
		let (page, _) = with_read_budget(&mut ext, 400, || Bme::epochs_page(Some(7), 100));
		assert_eq!(page.epochs.first().map(|s| s.epoch), Some(6));
		let (page, _) = with_read_budget(&mut ext, 100, || Bme::epochs_page(Some(0), u32::MAX));
		assert!(page.epochs.is_empty() && page.next.is_none());
		let _ = with_read_budget(&mut ext, 400, Bme::price_view);
		let _ = with_read_budget(&mut ext, 200, || Bme::account_view(u64::MAX));
		let _ = with_read_budget(&mut ext, 200, || Bme::account_view(BOB));
		let _ = with_read_budget(&mut ext, 400, Bme::supply_view);
		let _ = with_read_budget(&mut ext, 200, Bme::queue_view);
	}

	#[test]
	fn views_report_the_state() {
		new_test_ext().execute_with(|| {
			make_live(usd(1000));
			assert_ok!(Bme::mint_credits(RuntimeOrigin::signed(ALICE), 100 * CRU, Credits::ZERO));
			let price = Bme::price_view();
			assert_eq!(price.feeds.len(), 5);
			assert!(price.feeds.iter().all(|f| f.fresh && !f.dropped && f.age == Some(1)));
			assert_eq!(price.median, Some(usd(1000)));
			assert_eq!(price.twap, Some(usd(1000)));
			assert_eq!(price.redeem_price, Some(usd(1000)));
			assert_eq!(price.mint_price, Some(usd(995)));
			let supply = Bme::supply_view();
			assert_eq!(supply.total_issuance, Balances::total_issuance());
			assert_eq!(supply.cumulative, Supply::<Test>::get());
			for _ in 0..3 {
				next_boundary(usd(1000));
			}
			let page = Bme::epochs_page(None, 2);
			assert_eq!(page.epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(), vec![2, 1]);
			assert_eq!(page.next, Some(1));
			let page = Bme::epochs_page(page.next, 2);
			assert_eq!(page.epochs.iter().map(|e| e.epoch).collect::<Vec<_>>(), vec![0]);
			assert_eq!(page.next, None);
			let net: i128 =
				(0..3).map(|e| Summaries::<Test>::get(e).unwrap().flows.net_change()).sum();
			assert_eq!(Bme::supply_view().net_change_24, net);
			assert_eq!(Bme::queue_view().requests, 0);
		});
	}
}

mod properties {
	use super::*;
	use proptest::prelude::*;

	#[derive(Clone, Debug)]
	enum Op {
		Mint(u16),
		/// Provider p (of `PROVIDERS`) earns this many credits.
		Earn(u8, u16),
		/// Provider p queues (or tops up) a redemption.
		Redeem(u8, u16),
		Refund(u16),
		/// Feed a price moved by this many tenths of a percent, for this many blocks.
		Feed(i8, u8),
		/// No feeds for this many blocks (staleness, trips).
		Gap(u8),
		/// A crash: the price falls by this many percent over a few blocks.
		Crash(u8),
		/// Governance changes a parameter (which one, and how).
		Govern(u8, u8),
	}

	/// Providers earning and redeeming.
	const PROVIDERS: u8 = 7;

	fn op() -> impl Strategy<Value = Op> {
		prop_oneof![
			(1u16..2000).prop_map(Op::Mint),
			(0u8..PROVIDERS, 1u16..500).prop_map(|(p, c)| Op::Earn(p, c)),
			(0u8..PROVIDERS, 10u16..500).prop_map(|(p, c)| Op::Redeem(p, c)),
			(1u16..200).prop_map(Op::Refund),
			(-20i8..20, 1u8..15).prop_map(|(m, b)| Op::Feed(m, b)),
			(1u8..25).prop_map(Op::Gap),
			(10u8..60).prop_map(Op::Crash),
			(0u8..4, any::<u8>()).prop_map(|(w, v)| Op::Govern(w, v)),
		]
	}

	/// A parameter change through the governance origin (root in the mock); refused changes
	/// change nothing, like any failed call.
	fn govern(which: u8, v: u8) {
		let root = RuntimeOrigin::root;
		let _ = match which {
			0 => Bme::set_market_params(
				root(),
				MarketParams {
					mint_delay: u32::from(v % 4),
					cap_floor: (1 + u128::from(v)) * 100 * CRU,
					..MarketConfig::<Test>::get()
				},
			),
			1 => Bme::set_market_params(
				root(),
				MarketParams { cap_multiple: 1 + u32::from(v % 8), ..MarketConfig::<Test>::get() },
			),
			2 => Bme::set_oracle_params(
				root(),
				OracleParams { twap_window: 2 + u32::from(v % 5), ..OracleConfig::<Test>::get() },
			),
			_ => Bme::set_emission_params(
				root(),
				EmissionParams {
					epoch_length: 6 + u32::from(v % 10),
					..EmissionConfig::<Test>::get()
				},
			),
		};
	}

	/// Runs `ops`, checking every invariant after each, and that what was requested is
	/// redeemed or queued at the end.
	fn run(ops: Vec<Op>, mint_delay: u32) -> Result<(), TestCaseError> {
		ext_with(MarketParams { mint_delay, ..market_params() }).execute_with(|| {
			let mut price: u128 = 1000;
			make_live(usd(price));
			let mut requested = Credits::ZERO;
			let mut escrow_id = 0u64;
			for op in ops {
				match op {
					Op::Mint(c) => {
						let _ = Bme::mint_credits(
							RuntimeOrigin::signed(ALICE),
							u128::from(c) * CRU,
							Credits::ZERO,
						);
					}
					Op::Earn(p, c) => {
						escrow_id += 1;
						let amount = credits(c.into());
						if <Bme as CreditLedger<u64>>::lock(&ALICE, escrow_id, amount).is_ok() {
							// Pay most of it; the rest stays for a refund.
							let provider = 11 + u64::from(p);
							let pay = Credits(amount.0 * 3 / 4);
							assert_ok!(<Bme as CreditLedger<u64>>::pay(escrow_id, &provider, pay));
						}
					}
					Op::Redeem(p, c) => {
						let amount = credits(c.into());
						if Bme::redeem(RuntimeOrigin::signed(11 + u64::from(p)), amount).is_ok() {
							requested = requested.saturating_add(amount);
						}
					}
					Op::Refund(c) => {
						if let Some((_, left)) = <Bme as CreditLedger<u64>>::escrow(escrow_id) {
							let amount = left.min(credits(c.into()));
							assert_ok!(<Bme as CreditLedger<u64>>::refund(escrow_id, amount));
						}
					}
					Op::Feed(m, b) => {
						price = (price as i128 * (1000 + i128::from(m)) / 1000).max(10) as u128;
						feed_for(usd(price), b.into());
					}
					Op::Gap(b) => run_to(System::block_number() + u64::from(b)),
					Op::Crash(pct) => {
						let target = (price * (100 - u128::from(pct)) / 100).max(10);
						while price > target {
							price = (price * 99 / 100).max(target);
							feed_for(usd(price), 1);
						}
					}
					Op::Govern(which, v) => govern(which, v),
				}
				check();
			}
			// No redemption lost or paid twice: what was requested is redeemed or queued.
			let t = Totals::<Test>::get();
			prop_assert_eq!(t.redeemed.saturating_add(t.queued), requested);
			prop_assert_eq!(t.requested, requested);
			Ok(())
		})
	}

	proptest! {
		#![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]
		#[test]
		fn invariants_hold_over_random_sequences(
			ops in proptest::collection::vec(op(), 1..60),
			mint_delay in prop_oneof![Just(0u32), Just(3u32)],
		) {
			run(ops, mint_delay)?;
		}

		/// One step a block: every boundary spans several blocks, so mints, payments,
		/// redemptions, top-ups and parameter changes land while one runs.
		#[test]
		fn invariants_hold_when_boundaries_span_many_blocks(
			ops in proptest::collection::vec(op(), 20..80),
			mint_delay in prop_oneof![Just(0u32), Just(2u32)],
		) {
			Steps::set(1);
			let result = run(ops, mint_delay);
			Steps::set(8);
			result?;
		}

		/// Mint credits at a random price, spend them on a lease to yourself, redeem what you
		/// earned, whatever the price does meanwhile: in US dollars at the market price of
		/// each step, you end with less than you paid (unspent credits count a dollar each).
		#[test]
		fn a_mint_redeem_round_trip_never_gains(
			start in 200u128..5_000,
			cru in 10u128..50_000,
			moves in proptest::collection::vec(-100i32..100, 1..8),
			share in 1u128..=100,
		) {
			new_test_ext().execute_with(|| {
				// Values in 10^-15 USD: plancks times a price in thousandths of a dollar, or
				// micro-credits times 10^9.
				let mut price = start;
				make_live(usd(price));
				let before = balance(ALICE);
				if Bme::mint_credits(RuntimeOrigin::signed(ALICE), cru * CRU, Credits::ZERO).is_err() {
					return Ok(());
				}
				let paid = (before - balance(ALICE)) * price;
				let bought = Accounts::<Test>::get(ALICE).purchased;
				let spend = Credits(bought.0 * share / 100);
				assert_ok!(<Bme as CreditLedger<u64>>::lock(&ALICE, 1, spend));
				assert_ok!(<Bme as CreditLedger<u64>>::pay(1, &ALICE, spend));
				let earned = Accounts::<Test>::get(ALICE).earned;
				if Bme::redeem(RuntimeOrigin::signed(ALICE), earned).is_err() {
					return Ok(());
				}
				let mut received = 0u128;
				let boundary = |price: u128, received: &mut u128| {
					let b = balance(ALICE);
					next_boundary(usd(price));
					*received += (balance(ALICE) - b) * price;
				};
				for m in moves {
					// At most 10% a step, so the large-move breaker trips only sometimes.
					price = (price as i128 * (1000 + i128::from(m)) / 1000).max(10) as u128;
					boundary(price, &mut received);
				}
				let mut guard = 0;
				while Requests::<Test>::get(ALICE).is_some() && guard < 50 {
					boundary(price, &mut received);
					guard += 1;
				}
				prop_assert!(Requests::<Test>::get(ALICE).is_none(), "paid in the end");
				let left = Accounts::<Test>::get(ALICE).purchased.0 * 1_000_000_000;
				prop_assert!(received + left < paid, "{} + {} >= {}", received, left, paid);
				check();
				Ok(())
			})?;
		}
	}
}
