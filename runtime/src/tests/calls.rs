//! Every call of every pallet, and what it may do to CRU issuance.
//!
//! [`TABLE`] is kept by hand: a call the runtime gains fails [`every_call_is_in_the_table`]
//! until someone decides whether it is neutral, counted by the BME, filtered or root-only.

use super::{alice, bob, dev_ext};
use crate::{
	governance::{tracks::ROOT, CrucibleOrigin},
	Balances, Bme, OriginCaller, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin,
};
use crucible_primitives::currency::CRU;
use frame_support::{
	assert_ok,
	traits::{fungible::Inspect, schedule::DispatchTime, Bounded, GetCallMetadata, StorePreimage},
};
use scale_info::{PortableRegistry, TypeDef};
use sp_runtime::{traits::Dispatchable, DispatchError};

/// What a call may do to CRU issuance.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
	/// Changes no issuance (transfers, holds, governance, market calls moving credits).
	Neutral,
	/// Changes issuance, and the BME counts it in its supply flows.
	Counted,
	/// Would change issuance uncounted (or empty the validator set): refused to every origin
	/// but root by the call filter.
	Filtered,
	/// Changes issuance (or the runtime) and needs root: a power of the root track.
	RootOnly,
}
use Kind::*;

/// (pallet, call, kind) for every call in `RuntimeCall`.
const TABLE: &[(&str, &str, Kind)] = &[
	("System", "remark", Neutral),
	("System", "set_heap_pages", RootOnly),
	("System", "set_code", RootOnly),
	("System", "set_code_without_checks", RootOnly),
	("System", "set_storage", RootOnly),
	("System", "kill_storage", RootOnly),
	("System", "kill_prefix", RootOnly),
	("System", "remark_with_event", Neutral),
	("System", "authorize_upgrade", RootOnly),
	("System", "authorize_upgrade_without_checks", RootOnly),
	// Applies only code that root authorized (`authorize_upgrade`).
	("System", "apply_authorized_upgrade", Neutral),
	("Timestamp", "set", Neutral),
	("Balances", "transfer_allow_death", Neutral),
	("Balances", "force_transfer", Neutral),
	("Balances", "transfer_keep_alive", Neutral),
	("Balances", "transfer_all", Neutral),
	("Balances", "force_unreserve", Neutral),
	("Balances", "upgrade_accounts", Neutral),
	("Balances", "force_set_balance", RootOnly),
	("Balances", "force_adjust_total_issuance", RootOnly),
	("Balances", "burn", Filtered),
	("Utility", "batch", Neutral),
	("Utility", "as_derivative", Neutral),
	("Utility", "batch_all", Neutral),
	// Root dispatching as another origin bypasses the call filter: it may burn as any account.
	("Utility", "dispatch_as", RootOnly),
	("Utility", "force_batch", Neutral),
	("Utility", "with_weight", RootOnly),
	("Utility", "if_else", Neutral),
	("Utility", "dispatch_as_fallible", RootOnly),
	("ValidatorSet", "add_validator", Neutral),
	("ValidatorSet", "remove_validator", Neutral),
	("ValidatorSet", "purge_keys", Neutral),
	("Session", "set_keys", Neutral),
	("Session", "purge_keys", Filtered),
	("Grandpa", "report_equivocation", Neutral),
	("Grandpa", "report_equivocation_unsigned", Neutral),
	("Grandpa", "note_stalled", Neutral),
	("Treasury", "spend_local", Neutral),
	("Treasury", "remove_approval", Neutral),
	("Treasury", "spend", Neutral),
	("Treasury", "payout", Neutral),
	("Treasury", "check_status", Neutral),
	("Treasury", "void_spend", Neutral),
	("Preimage", "note_preimage", Neutral),
	("Preimage", "unnote_preimage", Neutral),
	("Preimage", "request_preimage", Neutral),
	("Preimage", "unrequest_preimage", Neutral),
	("Preimage", "ensure_updated", Neutral),
	// Root schedules any call as any origin (a scheduled root call bypasses the filter).
	("Scheduler", "schedule", RootOnly),
	("Scheduler", "cancel", Neutral),
	("Scheduler", "schedule_named", RootOnly),
	("Scheduler", "cancel_named", Neutral),
	("Scheduler", "schedule_after", RootOnly),
	("Scheduler", "schedule_named_after", RootOnly),
	("Scheduler", "set_retry", Neutral),
	("Scheduler", "set_retry_named", Neutral),
	("Scheduler", "cancel_retry", Neutral),
	("Scheduler", "cancel_retry_named", Neutral),
	("ConvictionVoting", "vote", Neutral),
	("ConvictionVoting", "delegate", Neutral),
	("ConvictionVoting", "undelegate", Neutral),
	("ConvictionVoting", "unlock", Neutral),
	("ConvictionVoting", "remove_vote", Neutral),
	("ConvictionVoting", "remove_other_vote", Neutral),
	("Referenda", "submit", Neutral),
	("Referenda", "place_decision_deposit", Neutral),
	("Referenda", "refund_decision_deposit", Neutral),
	// Of a root-track referendum: filtered to every origin but root.
	("Referenda", "cancel", Neutral),
	("Referenda", "kill", Neutral),
	("Referenda", "nudge_referendum", Neutral),
	("Referenda", "one_fewer_deciding", Neutral),
	("Referenda", "refund_submission_deposit", Neutral),
	("Referenda", "set_metadata", Neutral),
	// Burns CRU for credits (counted as burned for credits and spread).
	("Bme", "mint_credits", Counted),
	// Queues earned credits; the boundary mints them (counted as reminted or new supply).
	("Bme", "redeem", Counted),
	("Bme", "submit_price", Neutral),
	("Bme", "add_feeder", Neutral),
	("Bme", "remove_feeder", Neutral),
	("Bme", "set_oracle_params", Neutral),
	("Bme", "set_market_params", Neutral),
	("Bme", "set_emission_params", Neutral),
	("Bme", "note_issuance_adjustment", RootOnly),
	("Providers", "register_provider", Neutral),
	("Providers", "add_devices", Neutral),
	("Providers", "remove_devices", Neutral),
	("Providers", "set_endpoint", Neutral),
	("Providers", "rotate_worker_key", Neutral),
	("Providers", "deregister", Neutral),
	("Providers", "withdraw_bond", Neutral),
	("Providers", "top_up_bond", Neutral),
	("Providers", "suspend_underbonded", Neutral),
	("Providers", "set_params", Neutral),
	("Providers", "set_model", Neutral),
	("Providers", "remove_model", Neutral),
	("Providers", "suspend", Neutral),
	("Providers", "reinstate", Neutral),
	// Moves held CRU to the treasury: no issuance changes.
	("Providers", "slash", Neutral),
	("Leases", "create_order", Neutral),
	("Leases", "bid", Neutral),
	("Leases", "accept_bid", Neutral),
	("Leases", "cancel_order", Neutral),
	("Leases", "settle", Neutral),
	("Leases", "withdraw", Neutral),
	("Leases", "top_up", Neutral),
	("Leases", "close_lease", Neutral),
	("Leases", "provider_fault", Neutral),
	("Leases", "set_params", Neutral),
	("Leases", "force_close", Neutral),
];

/// Every (pallet, call) of `RuntimeCall`, from its type information.
fn runtime_calls() -> Vec<(String, String)> {
	let mut registry = scale_info::Registry::new();
	let id = registry.register_type(&scale_info::meta_type::<RuntimeCall>()).id;
	let registry: PortableRegistry = registry.into();
	let variants = |id: u32| match &registry.resolve(id).expect("registered").type_def {
		TypeDef::Variant(v) => v.variants.clone(),
		other => panic!("a call type is an enum, not {other:?}"),
	};
	let mut calls = Vec::new();
	for pallet in variants(id) {
		let call_type = pallet.fields[0].ty.id;
		for call in variants(call_type) {
			calls.push((pallet.name.clone(), call.name.clone()));
		}
	}
	calls
}

#[test]
fn every_call_is_in_the_table() {
	let calls = runtime_calls();
	let missing: Vec<_> =
		calls.iter().filter(|(p, c)| !TABLE.iter().any(|(tp, tc, _)| tp == p && tc == c)).collect();
	assert!(missing.is_empty(), "calls missing from TABLE: {missing:?}");
	let stale: Vec<_> =
		TABLE.iter().filter(|(tp, tc, _)| !calls.iter().any(|(p, c)| p == tp && c == tc)).collect();
	assert!(stale.is_empty(), "TABLE lists calls the runtime does not have: {stale:?}");
}

fn kind_of(call: &RuntimeCall) -> Kind {
	let meta = call.get_call_metadata();
	TABLE
		.iter()
		.find(|(p, c, _)| *p == meta.pallet_name && *c == meta.function_name)
		.map(|(_, _, k)| *k)
		.unwrap_or_else(|| panic!("{meta:?} not in TABLE"))
}

fn dispatch_error(call: RuntimeCall, origin: RuntimeOrigin) -> DispatchError {
	call.dispatch(origin).expect_err("must fail").error
}

fn call_filtered() -> DispatchError {
	frame_system::Error::<Runtime>::CallFiltered.into()
}

fn events() -> Vec<RuntimeEvent> {
	frame_system::Pallet::<Runtime>::events().into_iter().map(|e| e.event).collect()
}

/// The filtered calls, one of each.
fn filtered_calls() -> Vec<RuntimeCall> {
	vec![
		RuntimeCall::Balances(pallet_balances::Call::burn { value: CRU, keep_alive: true }),
		RuntimeCall::Session(pallet_session::Call::purge_keys {}),
	]
}

#[test]
fn filtered_calls_fail_with_call_filtered_directly_and_nested() {
	dev_ext().execute_with(|| {
		let filtered = filtered_calls();
		let listed = TABLE.iter().filter(|(_, _, k)| *k == Filtered).count();
		assert_eq!(filtered.len(), listed, "one call per Filtered entry");
		let issuance = Balances::total_issuance();
		let signed = || RuntimeOrigin::signed(alice());
		let utility = |c: pallet_utility::Call<Runtime>| RuntimeCall::Utility(c);
		for call in filtered {
			assert_eq!(kind_of(&call), Filtered);
			assert_eq!(dispatch_error(call.clone(), signed()), call_filtered(), "{call:?}");

			// batch: interrupted at it, with the same error.
			frame_system::Pallet::<Runtime>::reset_events();
			let batch = utility(pallet_utility::Call::batch { calls: vec![call.clone()] });
			assert_ok!(batch.dispatch(signed()));
			assert!(
				events().contains(&RuntimeEvent::Utility(
					pallet_utility::Event::BatchInterrupted { index: 0, error: call_filtered() }
				)),
				"batch of {call:?}"
			);
			// batch_all and as_derivative: the whole call fails with it.
			for nested in [
				utility(pallet_utility::Call::batch_all { calls: vec![call.clone()] }),
				utility(pallet_utility::Call::as_derivative {
					index: 0,
					call: Box::new(call.clone()),
				}),
			] {
				assert_eq!(dispatch_error(nested.clone(), signed()), call_filtered(), "{nested:?}");
			}
			// force_batch: the item fails with it.
			frame_system::Pallet::<Runtime>::reset_events();
			let force = utility(pallet_utility::Call::force_batch { calls: vec![call.clone()] });
			assert_ok!(force.dispatch(signed()));
			assert!(
				events().contains(&RuntimeEvent::Utility(pallet_utility::Event::ItemFailed {
					error: call_filtered()
				})),
				"force_batch of {call:?}"
			);
		}
		assert_eq!(Balances::total_issuance(), issuance);
		assert_ok!(Bme::do_try_state());
	});
}

/// The root-only calls, one of each.
fn root_only_calls() -> Vec<RuntimeCall> {
	use frame_system::Call as S;
	use pallet_utility::Call as U;
	let hash = sp_core::H256::repeat_byte(1);
	let burn = || {
		Box::new(RuntimeCall::Balances(pallet_balances::Call::burn {
			value: CRU,
			keep_alive: true,
		}))
	};
	let as_alice = || Box::new(OriginCaller::system(frame_system::RawOrigin::Signed(alice())));
	vec![
		RuntimeCall::Utility(U::dispatch_as { as_origin: as_alice(), call: burn() }),
		RuntimeCall::Utility(U::dispatch_as_fallible { as_origin: as_alice(), call: burn() }),
		RuntimeCall::Utility(U::with_weight { call: burn(), weight: Default::default() }),
		RuntimeCall::Scheduler(pallet_scheduler::Call::schedule {
			when: 10,
			maybe_periodic: None,
			priority: 0,
			call: burn(),
		}),
		RuntimeCall::Scheduler(pallet_scheduler::Call::schedule_named {
			id: [0; 32],
			when: 10,
			maybe_periodic: None,
			priority: 0,
			call: burn(),
		}),
		RuntimeCall::Scheduler(pallet_scheduler::Call::schedule_after {
			after: 10,
			maybe_periodic: None,
			priority: 0,
			call: burn(),
		}),
		RuntimeCall::Scheduler(pallet_scheduler::Call::schedule_named_after {
			id: [0; 32],
			after: 10,
			maybe_periodic: None,
			priority: 0,
			call: burn(),
		}),
		RuntimeCall::System(S::set_heap_pages { pages: 64 }),
		RuntimeCall::System(S::set_code { code: vec![] }),
		RuntimeCall::System(S::set_code_without_checks { code: vec![] }),
		RuntimeCall::System(S::set_storage { items: vec![(b"k".to_vec(), b"v".to_vec())] }),
		RuntimeCall::System(S::kill_storage { keys: vec![b"k".to_vec()] }),
		RuntimeCall::System(S::kill_prefix { prefix: b"k".to_vec(), subkeys: 1 }),
		RuntimeCall::System(S::authorize_upgrade { code_hash: hash }),
		RuntimeCall::System(S::authorize_upgrade_without_checks { code_hash: hash }),
		RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
			who: bob().into(),
			new_free: 1_000_000 * CRU,
		}),
		RuntimeCall::Balances(pallet_balances::Call::force_adjust_total_issuance {
			direction: pallet_balances::AdjustmentDirection::Increase,
			delta: CRU,
		}),
		RuntimeCall::Bme(pallet_crucible_bme::Call::note_issuance_adjustment {
			delta: 1,
			reason: Default::default(),
		}),
	]
}

#[test]
fn root_only_calls_fail_with_bad_origin_from_every_other_origin() {
	dev_ext().execute_with(|| {
		let calls = root_only_calls();
		let listed = TABLE.iter().filter(|(_, _, k)| *k == RootOnly).count();
		assert_eq!(calls.len(), listed, "one call per RootOnly entry");
		let issuance = Balances::total_issuance();
		let track_origins = [
			CrucibleOrigin::GeneralAdmin,
			CrucibleOrigin::Treasurer,
			CrucibleOrigin::OracleAdmin,
			CrucibleOrigin::MarketAdmin,
		];
		for call in calls {
			assert_eq!(kind_of(&call), RootOnly);
			assert_eq!(
				dispatch_error(call.clone(), RuntimeOrigin::signed(alice())),
				DispatchError::BadOrigin,
				"{call:?}"
			);
			for origin in &track_origins {
				let origin: RuntimeOrigin = OriginCaller::Origins(origin.clone()).into();
				assert_eq!(
					dispatch_error(call.clone(), origin),
					DispatchError::BadOrigin,
					"{call:?}"
				);
			}
		}
		assert_eq!(Balances::total_issuance(), issuance);
	});
}

#[test]
fn a_root_issuance_change_batched_with_its_note_keeps_the_identity() {
	dev_ext().execute_with(|| {
		let before = Balances::total_issuance();
		let new_free = Balances::balance(&bob()) + 5_000 * CRU;
		let batch = RuntimeCall::Utility(pallet_utility::Call::batch_all {
			calls: vec![
				RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
					who: bob().into(),
					new_free,
				}),
				RuntimeCall::Bme(pallet_crucible_bme::Call::note_issuance_adjustment {
					delta: (5_000 * CRU) as i128,
					reason: b"grant".to_vec().try_into().unwrap(),
				}),
			],
		});
		assert_ok!(batch.dispatch(RuntimeOrigin::root()));
		assert_eq!(Balances::total_issuance(), before + 5_000 * CRU);
		assert_ok!(Bme::do_try_state());
		// A wrong delta undoes the whole batch.
		let wrong = RuntimeCall::Utility(pallet_utility::Call::batch_all {
			calls: vec![
				RuntimeCall::Balances(pallet_balances::Call::force_adjust_total_issuance {
					direction: pallet_balances::AdjustmentDirection::Increase,
					delta: 7 * CRU,
				}),
				RuntimeCall::Bme(pallet_crucible_bme::Call::note_issuance_adjustment {
					delta: (6 * CRU) as i128,
					reason: Default::default(),
				}),
			],
		});
		assert!(wrong.dispatch(RuntimeOrigin::root()).is_err());
		assert_eq!(Balances::total_issuance(), before + 5_000 * CRU);
		assert_ok!(Bme::do_try_state());
	});
}

/// Submits a referendum whose proposal dispatches as `origin`; returns its index.
fn submit(origin: OriginCaller) -> u32 {
	let index = pallet_referenda::ReferendumCount::<Runtime>::get();
	let proposal = RuntimeCall::System(frame_system::Call::remark { remark: vec![1] });
	let bounded: Bounded<RuntimeCall, _> = crate::Preimage::bound(proposal).unwrap();
	assert_ok!(crate::Referenda::submit(
		RuntimeOrigin::signed(alice()),
		Box::new(origin),
		bounded,
		DispatchTime::After(1),
	));
	index
}

#[test]
fn only_root_cancels_a_root_track_referendum() {
	dev_ext().execute_with(|| {
		let admin =
			|| -> RuntimeOrigin { OriginCaller::Origins(CrucibleOrigin::GeneralAdmin).into() };
		let root_ref = submit(OriginCaller::system(frame_system::RawOrigin::Root));
		let status = pallet_referenda::ReferendumInfoFor::<Runtime>::get(root_ref);
		assert!(
			matches!(status, Some(pallet_referenda::ReferendumInfo::Ongoing(s)) if s.track == ROOT)
		);
		let cancel = RuntimeCall::Referenda(pallet_referenda::Call::cancel { index: root_ref });
		assert_eq!(dispatch_error(cancel.clone(), admin()), call_filtered());
		// A general-admin referendum the general admin track may still cancel.
		let admin_ref = submit(OriginCaller::Origins(CrucibleOrigin::GeneralAdmin));
		let cancel_admin =
			RuntimeCall::Referenda(pallet_referenda::Call::cancel { index: admin_ref });
		assert_ok!(cancel_admin.dispatch(admin()));
		// Root cancels the root-track one.
		assert_ok!(cancel.dispatch(RuntimeOrigin::root()));
		assert!(matches!(
			pallet_referenda::ReferendumInfoFor::<Runtime>::get(root_ref),
			Some(pallet_referenda::ReferendumInfo::Cancelled(..))
		));
	});
}
