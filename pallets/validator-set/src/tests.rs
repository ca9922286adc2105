//! Unit tests: every call, every error, and the hand-over to `pallet-session`.

use crate::{mock::*, Error, Event, PendingChange, SessionLength, SessionPeriod, Validators};
use frame_support::{assert_noop, assert_ok, traits::Get};
use pallet_session::SessionManager;
use sp_runtime::DispatchError;

fn set() -> Vec<u64> {
	ValidatorSet::validators()
}

#[test]
fn genesis_sets_validators_and_session_length() {
	new_test_ext().execute_with(|| {
		assert_eq!(set(), vec![1, 2]);
		assert_eq!(SessionLength::<Test>::get(), 5);
		assert_eq!(<SessionPeriod<Test> as Get<u64>>::get(), 5);
		// pallet-session asks for the genesis sessions' set explicitly.
		assert_eq!(ValidatorSet::new_session_genesis(0), Some(vec![1, 2]));
		assert!(!PendingChange::<Test>::get());
	});
}

#[test]
fn add_validator_queues_the_new_set_once() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 3));
		System::assert_last_event(Event::ValidatorAdded { who: 3 }.into());
		assert_eq!(set(), vec![1, 2, 3]);
		// The next planned session gets the new set, the one after that nothing new.
		assert_eq!(ValidatorSet::new_session(2), Some(vec![1, 2, 3]));
		System::assert_last_event(
			Event::ValidatorSetQueued { session_index: 2, validators: 3 }.into(),
		);
		assert_eq!(ValidatorSet::new_session(3), None);
	});
}

#[test]
fn unchanged_set_is_not_requeued() {
	new_test_ext().execute_with(|| {
		assert_eq!(ValidatorSet::new_session(2), None);
	});
}

#[test]
fn remove_validator_queues_the_new_set() {
	new_test_ext().execute_with(|| {
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 3));
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 1));
		System::assert_last_event(Event::ValidatorRemoved { who: 1 }.into());
		assert_eq!(set(), vec![2, 3]);
		assert_eq!(ValidatorSet::new_session(2), Some(vec![2, 3]));
	});
}

#[test]
fn only_the_update_origin_may_change_the_set() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::signed(3), 3),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::signed(1), 1),
			DispatchError::BadOrigin
		);
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::none(), 3),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn add_validator_errors_change_nothing() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::AlreadyValidator
		);
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 100),
			Error::<Test>::NoSessionKeys
		);
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 3));
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 4));
		PendingChange::<Test>::kill();
		assert_noop!(
			ValidatorSet::add_validator(RuntimeOrigin::root(), 5),
			Error::<Test>::TooManyValidators
		);
		assert_eq!(Validators::<Test>::get().len(), 4);
	});
}

#[test]
fn remove_validator_errors_change_nothing() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 7),
			Error::<Test>::NotValidator
		);
		assert_noop!(
			ValidatorSet::remove_validator(RuntimeOrigin::root(), 2),
			Error::<Test>::TooFewValidators
		);
		assert_eq!(set(), vec![1, 2]);
	});
}

#[test]
fn purge_keys_refuses_a_validator_decided_pending_active_or_queued() {
	new_test_ext().execute_with(|| {
		// In the governed set.
		assert_noop!(
			ValidatorSet::purge_keys(RuntimeOrigin::signed(1)),
			Error::<Test>::StillValidator
		);
		// Removed, but still active or queued in pallet-session.
		assert_ok!(ValidatorSet::add_validator(RuntimeOrigin::root(), 3));
		assert_ok!(ValidatorSet::remove_validator(RuntimeOrigin::root(), 1));
		InSession::set(&vec![1, 2]);
		assert_noop!(
			ValidatorSet::purge_keys(RuntimeOrigin::signed(1)),
			Error::<Test>::StillValidator
		);
		// Added, not yet handed over: pending.
		assert_noop!(
			ValidatorSet::purge_keys(RuntimeOrigin::signed(3)),
			Error::<Test>::StillValidator
		);
		// Two sessions later account 1 is gone from the session too: it may leave.
		InSession::set(&vec![2, 3]);
		assert_ok!(ValidatorSet::purge_keys(RuntimeOrigin::signed(1)));
		System::assert_last_event(Event::KeysPurged { who: 1 }.into());
		assert_eq!(Purged::get(), vec![1]);
		// An account that never was a validator may purge too; one without keys fails.
		assert_ok!(ValidatorSet::purge_keys(RuntimeOrigin::signed(7)));
		assert_noop!(
			ValidatorSet::purge_keys(RuntimeOrigin::signed(100)),
			DispatchError::Other("no keys")
		);
		assert_noop!(ValidatorSet::purge_keys(RuntimeOrigin::root()), DispatchError::BadOrigin);
	});
}
