//! Tests of the attestation pallet: parameters and calibrations, epochs, openings, commits.

use crate::{
	codes, mock::*, Calibration, CloseCursor, Commits, CurrentEpoch, Error, Event, LockedUntil,
	OpenRound, Params, PendingCalibration, ProviderLockedUntil, RoundResults, RoundVetoes, Rounds,
	Snapshots, SpIoBlake2, Standing, ValidatorStats, Votes,
};
use codec::{Decode, Encode};
use crucible_primitives::{
	attestation::{
		self, AttestationParams, AttestationStanding, DeviceCommit, Outcome, ProviderVerdict,
		Share, Verdict, VoteBits,
	},
	challenge::seeds,
	leases::FaultKind,
	providers::{DeviceState, DeviceUse, ProviderRegistry, ProviderStatus, ReputationEvent},
	AccountId,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{Authorize, Hooks},
	BoundedVec,
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{
	traits::BadOrigin,
	transaction_validity::{
		InvalidTransaction, TransactionSource, TransactionValidityError,
		TransactionValidityWithRefund,
	},
	Perbill,
};

/// The dev CPU model's rows at 1 GOPS: full and at the 25 % leased share.
const FULL_ROWS: u32 = 3_815;
const LEASED_ROWS: u32 = 954;

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Attestation(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn root_origin() -> RuntimeOrigin {
	RuntimeOrigin::root()
}

fn authorized() -> RuntimeOrigin {
	RuntimeOrigin::from(frame_system::RawOrigin::<AccountId>::Authorized)
}

/// Runs to the first opening (block 12 with the dev parameters) and returns round 0's record.
fn open_first_round() -> crate::types::RoundRecord {
	run_to(12);
	Rounds::<Test>::get(0).expect("round 0 opened at block 12")
}

fn entry(device: u32, share: Share, rows: u32) -> DeviceCommit {
	DeviceCommit { device, share, rows, root: H256::repeat_byte(device as u8 + 1) }
}

/// A commit call of provider `seed`, signed by `signer` over `genesis`.
fn commit_call(
	round: u64,
	seed: u8,
	devices: Vec<DeviceCommit>,
	signer: &sr25519::Pair,
	genesis: H256,
) -> crate::Call<Test> {
	let record = Rounds::<Test>::get(round).unwrap_or_else(|| Rounds::<Test>::get(0).unwrap());
	let devices: BoundedVec<_, _> = devices.try_into().unwrap();
	let payload = attestation::commit_payload(
		&genesis,
		round,
		&record.round_seed,
		&record.epoch_seed,
		&account(seed),
		&devices,
	);
	crate::Call::commit {
		round,
		round_seed: record.round_seed,
		epoch_seed: record.epoch_seed,
		provider: account(seed),
		devices,
		signature: signer.sign(&payload),
	}
}

fn signed_commit(seed: u8, devices: Vec<DeviceCommit>) -> crate::Call<Test> {
	commit_call(0, seed, devices, &worker(seed), Attestation::genesis_hash())
}

fn authorize(call: &crate::Call<Test>) -> TransactionValidityWithRefund {
	call.authorize(TransactionSource::External).expect("commit is an authorized call")
}

fn refused(code: u8) -> TransactionValidityWithRefund {
	Err(TransactionValidityError::Invalid(InvalidTransaction::Custom(code)))
}

fn dispatch(call: crate::Call<Test>) -> sp_runtime::DispatchResult {
	match call {
		crate::Call::commit { round, round_seed, epoch_seed, provider, devices, signature } => {
			Attestation::commit(
				authorized(),
				round,
				round_seed,
				epoch_seed,
				provider,
				devices,
				signature,
			)
		}
		_ => unreachable!("only commits here"),
	}
}

#[test]
fn parameters_are_validated_and_scheduled() {
	new_test_ext(1).execute_with(|| {
		let dev = AttestationParams::dev();
		assert_noop!(
			Attestation::set_params(RuntimeOrigin::signed(account(1)), dev.clone()),
			BadOrigin
		);
		for (p, e) in [
			(AttestationParams { k: 65, ..dev.clone() }, Error::<Test>::BadShape),
			(AttestationParams { min_round_gap: 13, ..dev.clone() }, Error::<Test>::BadGaps),
			(
				AttestationParams { pass_quorum: Perbill::one(), ..dev.clone() },
				Error::<Test>::BadQuorum,
			),
			(AttestationParams { target_ms: 0, ..dev.clone() }, Error::<Test>::BadWindow),
			(
				AttestationParams { default_rate: Perbill::zero(), ..dev.clone() },
				Error::<Test>::BadRate,
			),
			(AttestationParams { sample_rows: 65, ..dev.clone() }, Error::<Test>::TooManyRows),
		] {
			assert_noop!(Attestation::set_params(root_origin(), p), e);
		}
		run_to(1);
		// Timing from the next opening, K, N and the epoch length from the next epoch.
		let new = AttestationParams {
			k: 2_048,
			n: 128,
			epoch_length: 200,
			target_ms: 4_000,
			min_round_gap: 20,
			max_round_gap: 20,
			..dev.clone()
		};
		assert_ok!(Attestation::set_params(root_origin(), new.clone()));
		assert_eq!(events().last(), Some(&Event::ParamsScheduled { params: new.clone() }));
		assert_eq!(Params::<Test>::get(), dev);
		run_to(12);
		let round = Rounds::<Test>::get(0).unwrap();
		assert_eq!(round.target_ms, 4_000, "timing applied at the opening");
		assert_eq!((round.shape.k, round.shape.n), (1_024, 256), "the shape waits for the epoch");
		let now = Params::<Test>::get();
		assert_eq!((now.k, now.n, now.epoch_length, now.min_round_gap), (1_024, 256, 100, 20));
		run_to(101);
		let epoch = CurrentEpoch::<Test>::get().unwrap();
		assert_eq!((epoch.index, epoch.start, epoch.length), (1, 101, 200));
		assert_eq!((epoch.shape.k, epoch.shape.n), (2_048, 128));
		assert_eq!(Params::<Test>::get(), new);
	});
}

#[test]
fn calibrations_apply_at_the_next_epoch() {
	new_test_ext(1).execute_with(|| {
		assert_eq!(Calibration::<Test>::get(CPU), Some(1), "genesis calibration");
		assert_noop!(
			Attestation::set_calibration(root_origin(), 77, 5),
			Error::<Test>::UnknownModel
		);
		assert_noop!(Attestation::set_calibration(root_origin(), H100, 0), Error::<Test>::ZeroRate);
		assert_noop!(
			Attestation::set_calibration(RuntimeOrigin::signed(account(1)), H100, 5),
			BadOrigin
		);
		run_to(1);
		assert_ok!(Attestation::set_calibration(root_origin(), H100, 1_500_000));
		assert_eq!(Calibration::<Test>::get(H100), None);
		assert_eq!(PendingCalibration::<Test>::get(H100), Some(1_500_000));
		run_to(100);
		assert_eq!(Calibration::<Test>::get(H100), None);
		run_to(101);
		assert_eq!(Calibration::<Test>::get(H100), Some(1_500_000));
		assert_eq!(PendingCalibration::<Test>::count(), 0);
	});
}

#[test]
fn epochs_start_at_block_1_and_every_length_blocks_with_their_seed() {
	new_test_ext(1).execute_with(|| {
		run_to(1);
		let e0 = CurrentEpoch::<Test>::get().unwrap();
		let genesis = Attestation::genesis_hash();
		let parent = System::parent_hash();
		assert_eq!(e0.index, 0);
		assert_eq!(e0.start, 1);
		assert_eq!(e0.seed.0, seeds::epoch_seed::<SpIoBlake2>(&genesis.0, 0, &parent.0));
		assert!(events().contains(&Event::EpochStarted {
			epoch: 0,
			seed: e0.seed,
			k: 1_024,
			n: 256
		}));
		run_to(100);
		assert_eq!(CurrentEpoch::<Test>::get().unwrap().index, 0);
		run_to(101);
		let e1 = CurrentEpoch::<Test>::get().unwrap();
		assert_eq!((e1.index, e1.start), (1, 101));
		assert_ne!(e1.seed, e0.seed);
	});
}

#[test]
fn a_round_opens_at_the_gap_with_its_snapshot_and_deadlines() {
	new_test_ext(3).execute_with(|| {
		run_to(11);
		assert_eq!(Rounds::<Test>::get(0), None);
		let r = open_first_round();
		let genesis = Attestation::genesis_hash();
		assert_eq!(r.opened_at, 12);
		assert_eq!(
			r.round_seed.0,
			seeds::round_seed::<SpIoBlake2>(&genesis.0, 0, &System::parent_hash().0)
		);
		assert_eq!(r.epoch_seed, CurrentEpoch::<Test>::get().unwrap().seed);
		// D = 4; the check window is max(4, v + 2) = 5 with three validators.
		assert_eq!((r.commit_deadline, r.close_at, r.fraud_deadline), (16, 21, 81));
		assert_eq!(r.validators, 3);
		let snapshot = Snapshots::<Test>::get(0).unwrap();
		assert_eq!(snapshot.len(), 3);
		assert_eq!(snapshot[2], (account(102), validator_key(2)));
		assert!(events().contains(&Event::RoundOpened {
			round: 0,
			epoch: 0,
			seed: r.round_seed,
			deadline: 16,
			close: 21,
			validators: 3,
		}));
		// No second round before the first one's close has completed (at c = 21, with no
		// provider to visit); then the next one opens 12 blocks after the first.
		run_to(20);
		assert_eq!(OpenRound::<Test>::get(), Some(0));
		run_to(21);
		assert_eq!(OpenRound::<Test>::get(), None);
		assert!(events().contains(&Event::RoundClosed {
			round: 0,
			passed: 0,
			vetoed: 0,
			unverified: 0,
			proven: 0,
			uncommitted: 0
		}));
		run_to(24);
		assert_eq!(Rounds::<Test>::get(1).map(|r| r.opened_at), Some(24));
	});
}

#[test]
fn openings_follow_the_hazard_drawn_from_the_parent_hash() {
	new_test_ext(1).execute_with(|| {
		let p = AttestationParams {
			min_round_gap: 3,
			round_hazard: 4,
			max_round_gap: 30,
			..AttestationParams::dev()
		};
		Params::<Test>::put(&p);
		// The first block at or after the minimum gap whose parent hash draws an opening.
		let mut expected = None;
		for n in 1..=30u64 {
			let parent = H256::from_low_u64_be(n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
			if n >= 3 && seeds::hazard_opens::<SpIoBlake2>(&parent.0, 4) {
				expected = Some(n as u32);
				break;
			}
		}
		let expected = expected.unwrap_or(30);
		run_to(30);
		assert_eq!(Rounds::<Test>::get(0).map(|r| r.opened_at), Some(expected));
	});
}

#[test]
fn an_honest_commit_is_authorized_and_stored_with_its_digest_and_locks() {
	new_test_ext(1).execute_with(|| {
		provider(1, 0, &[(0, CPU, DeviceState::Free, 0), (1, CPU, DeviceState::Free, 5)]);
		let r = open_first_round();
		run_to(13);
		let devices = vec![entry(0, Share::Full, FULL_ROWS), entry(1, Share::Full, FULL_ROWS)];
		let call = signed_commit(1, devices.clone());
		let (valid, refund) = authorize(&call).expect("an honest commit is valid");
		assert_eq!(valid.priority, u64::MAX);
		assert_eq!(valid.provides, vec![(b"crucible/attest/commit", 0u64, account(1)).encode()]);
		assert_eq!(valid.longevity, 4, "until the commit deadline (block 16)");
		assert_eq!(refund, sp_runtime::Weight::zero());
		assert_ok!(dispatch(call.clone()));
		let stored = Commits::<Test>::get(0, account(1)).unwrap();
		let digest = attestation::commit_digest(&r.round_seed, &account(1), &devices);
		assert_eq!(stored.digest, digest);
		assert_eq!(stored.devices.to_vec(), devices);
		assert_eq!(stored.at, 13);
		assert_eq!(LockedUntil::<Test>::get(account(1), 0), Some(r.fraud_deadline));
		assert_eq!(LockedUntil::<Test>::get(account(1), 1), Some(r.fraud_deadline));
		assert_eq!(ProviderLockedUntil::<Test>::get(account(1)), Some(r.fraud_deadline));
		assert_eq!(
			events().last(),
			Some(&Event::Committed { round: 0, provider: account(1), devices: 2, digest })
		);
		// Once per round and provider.
		assert_eq!(authorize(&call), refused(codes::ALREADY_COMMITTED));
		assert_noop!(dispatch(call), Error::<Test>::AlreadyCommitted);
	});
}

#[test]
fn authorize_refuses_every_bad_commit_before_it_enters_a_block() {
	new_test_ext(1).execute_with(|| {
		provider(1, 0, &[(0, CPU, DeviceState::Free, 0)]);
		provider(2, 0, &[(0, CPU, DeviceState::Free, 0)]);
		let devices = vec![entry(0, Share::Full, FULL_ROWS)];
		let genesis = Attestation::genesis_hash();
		run_to(12);
		// At the opening block itself: too early.
		assert_eq!(authorize(&signed_commit(1, devices.clone())), refused(codes::WRONG_PHASE));
		run_to(13);
		let r = Rounds::<Test>::get(0).unwrap();
		// Unknown round.
		assert_eq!(
			authorize(&commit_call(5, 1, devices.clone(), &worker(1), genesis)),
			refused(codes::UNKNOWN_ROUND)
		);
		// Another fork's seeds.
		let mut call = signed_commit(1, devices.clone());
		if let crate::Call::commit { round_seed, .. } = &mut call {
			*round_seed = H256::repeat_byte(9);
		}
		assert_eq!(authorize(&call), refused(codes::SEED_MISMATCH));
		let mut call = signed_commit(1, devices.clone());
		if let crate::Call::commit { epoch_seed, .. } = &mut call {
			*epoch_seed = H256::repeat_byte(9);
		}
		assert_eq!(authorize(&call), refused(codes::SEED_MISMATCH));
		// Signed by another key, over another chain's genesis, or over other devices.
		assert_eq!(
			authorize(&commit_call(0, 1, devices.clone(), &worker(2), genesis)),
			refused(codes::BAD_SIGNATURE)
		);
		assert_eq!(
			authorize(&commit_call(0, 1, devices.clone(), &worker(1), H256::repeat_byte(7))),
			refused(codes::BAD_SIGNATURE)
		);
		let mut call = signed_commit(1, devices.clone());
		if let crate::Call::commit { devices: d, .. } = &mut call {
			d[0].rows += 1;
		}
		assert_eq!(authorize(&call), refused(codes::BAD_SIGNATURE));
		// Not a provider; not Active.
		assert_eq!(
			authorize(&commit_call(0, 3, devices.clone(), &worker(3), genesis)),
			refused(codes::NOT_A_PROVIDER)
		);
		set_status(2, ProviderStatus::Suspended);
		assert_eq!(
			authorize(&signed_commit(2, devices.clone())),
			refused(codes::PROVIDER_NOT_ACTIVE)
		);
		// A signed origin cannot dispatch it.
		let call = signed_commit(1, devices.clone());
		if let crate::Call::commit { round, round_seed, epoch_seed, provider, devices, signature } =
			call.clone()
		{
			assert_noop!(
				Attestation::commit(
					RuntimeOrigin::signed(account(1)),
					round,
					round_seed,
					epoch_seed,
					provider,
					devices,
					signature
				),
				BadOrigin
			);
		}
		// The last block of the window accepts it; the next refuses it.
		run_to(r.commit_deadline.into());
		assert!(authorize(&call).is_ok());
		run_to((r.commit_deadline + 1).into());
		assert_eq!(authorize(&call), refused(codes::WRONG_PHASE));
		assert_noop!(dispatch(call), Error::<Test>::WrongPhase);
	});
}

#[test]
fn dispatch_drops_entries_that_are_not_the_devices_due_work() {
	new_test_ext(1).execute_with(|| {
		let leased_before = DeviceState::InUse(DeviceUse::Leased(1));
		let leased_at_open = DeviceState::InUse(DeviceUse::Leased(2));
		lease(1, 5);
		lease(2, 12);
		provider(
			1,
			0,
			&[
				(0, CPU, DeviceState::Free, 0),
				(1, CPU, leased_before, 0),
				(2, CPU, leased_at_open, 0),
				(3, CPU, DeviceState::Free, 12),
				(4, H100, DeviceState::Free, 0),
			],
		);
		let r = open_first_round();
		run_to(13);
		let h100_rows = crate::round::rows(989_500, &r, Share::Full);
		let submitted = vec![
			entry(0, Share::Full, FULL_ROWS),
			entry(0, Share::Full, FULL_ROWS),
			entry(1, Share::Full, FULL_ROWS),
			entry(2, Share::Full, FULL_ROWS),
			entry(3, Share::Full, FULL_ROWS),
			entry(4, Share::Full, h100_rows + 1),
			entry(9, Share::Full, FULL_ROWS),
		];
		let call = signed_commit(1, submitted);
		assert!(authorize(&call).is_ok(), "a commit's entries are checked at dispatch");
		assert_ok!(dispatch(call));
		let stored = Commits::<Test>::get(0, account(1)).unwrap();
		assert_eq!(
			stored.devices.to_vec(),
			vec![entry(0, Share::Full, FULL_ROWS), entry(2, Share::Full, FULL_ROWS)]
		);
		assert_eq!(
			stored.digest,
			attestation::commit_digest(&r.round_seed, &account(1), &stored.devices)
		);
		let refusals: Vec<(u32, Error<Test>)> = events()
			.into_iter()
			.filter_map(|e| match e {
				Event::CommitEntryRefused { device, reason, .. } => Some((device, reason)),
				_ => None,
			})
			.collect();
		assert_eq!(
			refusals,
			vec![
				(0, Error::<Test>::DuplicateDevice),
				(1, Error::<Test>::WrongShare),
				(3, Error::<Test>::DeviceNotDue),
				(4, Error::<Test>::WrongRowCount),
				(9, Error::<Test>::UnknownDevice),
			]
		);
		// Left-out devices are not locked.
		assert_eq!(LockedUntil::<Test>::get(account(1), 1), None);
		assert_eq!(LockedUntil::<Test>::get(account(1), 2), Some(r.fraud_deadline));
	});
}

#[test]
fn a_device_leased_before_the_opening_owes_the_leased_share() {
	new_test_ext(1).execute_with(|| {
		lease(1, 5);
		provider(1, 0, &[(0, CPU, DeviceState::InUse(DeviceUse::Leased(1)), 0)]);
		let r = open_first_round();
		let view = <Registry as ProviderRegistry<AccountId>>::devices(&account(1))[0];
		assert_eq!(Attestation::expected(&r, 0, &view), Ok((Share::Leased, LEASED_ROWS)));
		run_to(13);
		assert_ok!(dispatch(signed_commit(1, vec![entry(0, Share::Leased, LEASED_ROWS)])));
		assert_eq!(Commits::<Test>::get(0, account(1)).unwrap().devices.len(), 1);
		// A provider registered at the opening owes nothing in it.
		provider(2, 12, &[(0, CPU, DeviceState::Free, 0)]);
		let view = <Registry as ProviderRegistry<AccountId>>::devices(&account(2))[0];
		assert_eq!(Attestation::expected(&r, 12, &view), Err(Error::<Test>::DeviceNotDue));
		// With a zero leased share a leased device is not due.
		let r0 = crate::types::RoundRecord { leased_share: Perbill::zero(), ..r };
		let view = <Registry as ProviderRegistry<AccountId>>::devices(&account(1))[0];
		assert_eq!(Attestation::expected(&r0, 0, &view), Err(Error::<Test>::DeviceNotDue));
	});
}

#[test]
fn the_hooks_run_from_block_1_without_a_provider() {
	new_test_ext(0).execute_with(|| {
		Attestation::on_initialize(0);
		assert_eq!(CurrentEpoch::<Test>::get(), None, "nothing at block 0");
		run_to(12);
		assert_eq!(Rounds::<Test>::get(0).map(|r| r.validators), Some(0));
	});
}

// ---------------------------------------------------------------------------------------------
// Verdicts and the close.

type Verdicts = BoundedVec<
	ProviderVerdict<AccountId, MaxDevices>,
	frame_support::traits::ConstU32<{ attestation::MAX_VERDICT_PROVIDERS }>,
>;

fn pass_all(seed: u8, round: u64) -> ProviderVerdict<AccountId, MaxDevices> {
	let stored = Commits::<Test>::get(round, account(seed)).expect("committed");
	ProviderVerdict {
		provider: account(seed),
		digest: stored.digest,
		devices: stored
			.devices
			.iter()
			.map(|e| (e.device, Verdict::Pass))
			.collect::<Vec<_>>()
			.try_into()
			.unwrap(),
	}
}

fn veto(
	seed: u8,
	round: u64,
	device: u32,
	rows: Vec<u32>,
) -> ProviderVerdict<AccountId, MaxDevices> {
	let stored = Commits::<Test>::get(round, account(seed)).expect("committed");
	ProviderVerdict {
		provider: account(seed),
		digest: stored.digest,
		devices: vec![(device, Verdict::Unavailable { rows: rows.try_into().unwrap() })]
			.try_into()
			.unwrap(),
	}
}

/// A verdicts call of validator `index`, signed by validator `signer`'s key over `genesis`.
fn verdicts_call_by(
	round: u64,
	index: u32,
	verdicts: Vec<ProviderVerdict<AccountId, MaxDevices>>,
	signer: u8,
	genesis: H256,
) -> crate::Call<Test> {
	let record = Rounds::<Test>::get(round).unwrap();
	let verdicts: Verdicts = verdicts.try_into().unwrap();
	let payload =
		attestation::verdicts_payload(&genesis, round, &record.round_seed, index, &verdicts);
	crate::Call::submit_verdicts {
		round,
		round_seed: record.round_seed,
		validator_index: index,
		verdicts,
		signature: validator_pair(signer).sign(&payload).into(),
	}
}

fn verdicts_call(
	round: u64,
	index: u32,
	verdicts: Vec<ProviderVerdict<AccountId, MaxDevices>>,
) -> crate::Call<Test> {
	verdicts_call_by(round, index, verdicts, index as u8, Attestation::genesis_hash())
}

fn dispatch_verdicts(call: crate::Call<Test>) -> sp_runtime::DispatchResult {
	assert!(matches!(call.authorize(TransactionSource::External), Some(Ok(_))), "authorized");
	match call {
		crate::Call::submit_verdicts {
			round,
			round_seed,
			validator_index,
			verdicts,
			signature,
		} => Attestation::submit_verdicts(
			authorized(),
			round,
			round_seed,
			validator_index,
			verdicts,
			signature,
		),
		_ => unreachable!("only verdicts here"),
	}
}

/// Providers 1..=count with one free CPU device each, registered at genesis, committed in
/// round 0 at block 13.
fn committed_providers(count: u8) {
	for seed in 1..=count {
		provider(seed, 0, &[(0, CPU, DeviceState::Free, 0)]);
	}
	let round = Rounds::<Test>::get(0).map(|r| r.opened_at);
	if round.is_none() {
		open_first_round();
	}
	run_to(13);
	for seed in 1..=count {
		assert_ok!(dispatch(signed_commit(seed, vec![entry(0, Share::Full, FULL_ROWS)])));
	}
}

fn outcome(seed: u8, device: u32) -> Option<Outcome> {
	Standing::<Test>::get(account(seed), device).last.map(|(_, o)| o)
}

fn attested(seed: u8, device: u32) -> bool {
	<Attestation as AttestationStanding<AccountId>>::is_attested(&account(seed), device)
}

#[test]
fn authorize_refuses_every_bad_verdict() {
	new_test_ext(3).execute_with(|| {
		committed_providers(2);
		provider(3, 0, &[(0, CPU, DeviceState::Free, 0)]);
		let genesis = Attestation::genesis_hash();
		let good = verdicts_call(0, 1, vec![pass_all(1, 0)]);
		assert!(authorize(&good).is_ok());
		let mut call = good.clone();
		if let crate::Call::submit_verdicts { round_seed, .. } = &mut call {
			*round_seed = H256::repeat_byte(3);
		}
		assert_eq!(authorize(&call), refused(codes::SEED_MISMATCH));
		assert_eq!(
			authorize(&verdicts_call_by(0, 5, vec![pass_all(1, 0)], 5, genesis)),
			refused(codes::NOT_ROUND_VALIDATOR)
		);
		assert_eq!(
			authorize(&verdicts_call_by(0, 1, vec![pass_all(1, 0)], 2, genesis)),
			refused(codes::BAD_SIGNATURE)
		);
		assert_eq!(
			authorize(&verdicts_call_by(0, 1, vec![pass_all(1, 0)], 1, H256::repeat_byte(7))),
			refused(codes::BAD_SIGNATURE)
		);
		assert_eq!(authorize(&verdicts_call(0, 1, vec![])), refused(codes::EMPTY));
		// Not committed: a provider, or a device.
		let mut stranger = pass_all(1, 0);
		stranger.provider = account(3);
		assert_eq!(authorize(&verdicts_call(0, 1, vec![stranger])), refused(codes::NOT_COMMITTED));
		let mut other_device = pass_all(1, 0);
		other_device.devices = vec![(5, Verdict::Pass)].try_into().unwrap();
		assert_eq!(
			authorize(&verdicts_call(0, 1, vec![other_device])),
			refused(codes::NOT_COMMITTED)
		);
		// Another commit than the stored one.
		let mut stale = pass_all(1, 0);
		stale.digest = H256::repeat_byte(1);
		assert_eq!(authorize(&verdicts_call(0, 1, vec![stale])), refused(codes::STALE_DIGEST));
		// Rows: more than s_v (16 / 3 validators → 6), a repeat, beyond the device, none.
		let s_v = crucible_primitives::challenge::rows_per_validator(FULL_ROWS, 4, 16, 3);
		assert_eq!(s_v, 6);
		assert!(authorize(&verdicts_call(0, 1, vec![veto(1, 0, 0, (0..6).collect())])).is_ok());
		for rows in [(0..7).collect(), vec![1, 1], vec![FULL_ROWS], vec![]] {
			assert_eq!(
				authorize(&verdicts_call(0, 1, vec![veto(1, 0, 0, rows)])),
				refused(codes::BAD_ROWS)
			);
		}
		// Twice for one provider: in one call, or after the first landed.
		assert_eq!(
			authorize(&verdicts_call(0, 1, vec![pass_all(1, 0), pass_all(1, 0)])),
			refused(codes::ALREADY_VOTED)
		);
		assert_ok!(dispatch_verdicts(good.clone()));
		assert_eq!(authorize(&good), refused(codes::ALREADY_VOTED));
		// Not at or after the close.
		let late = verdicts_call(0, 2, vec![pass_all(2, 0)]);
		assert!(authorize(&late).is_ok());
		run_to(Rounds::<Test>::get(0).unwrap().close_at.into());
		assert_eq!(authorize(&late), refused(codes::WRONG_PHASE));
	});
}

#[test]
fn a_validator_counts_once_and_every_veto_is_counted() {
	new_test_ext(3).execute_with(|| {
		committed_providers(2);
		assert_ok!(dispatch_verdicts(verdicts_call(
			0,
			0,
			vec![pass_all(1, 0), veto(2, 0, 0, vec![3, 4])]
		)));
		assert_eq!(Votes::<Test>::get((0, account(1), 0)), Some(VoteBits { pass: 1, veto: 0 }));
		assert_eq!(Votes::<Test>::get((0, account(2), 0)), Some(VoteBits { pass: 0, veto: 1 }));
		assert_eq!(RoundVetoes::<Test>::get(0, 0), 1);
		let stats = ValidatorStats::<Test>::get(account(100));
		assert_eq!((stats.verdicts, stats.vetoes), (2, 1));
		assert!(events().contains(&Event::Vetoed {
			round: 0,
			validator: account(100),
			provider: account(2),
			device: 0,
			rows: 2
		}));
		// The same validator again, in a later block, by dispatch alone: skipped.
		let again = verdicts_call(0, 0, vec![pass_all(2, 0)]);
		if let crate::Call::submit_verdicts {
			round,
			round_seed,
			validator_index,
			verdicts,
			signature,
		} = again
		{
			assert_ok!(Attestation::submit_verdicts(
				authorized(),
				round,
				round_seed,
				validator_index,
				verdicts,
				signature
			));
		}
		assert_eq!(Votes::<Test>::get((0, account(2), 0)), Some(VoteBits { pass: 0, veto: 1 }));
	});
}

/// Runs round 0 with `v` validators, `passes` of whom pass provider 1's device (in `order`),
/// and returns its outcome.
fn tally_with(v: u8, order: &[u32], quorum: Perbill, previous: Option<Outcome>) -> Outcome {
	let mut out = None;
	new_test_ext(v).execute_with(|| {
		Params::<Test>::mutate(|p| p.pass_quorum = quorum);
		if let Some(prev) = previous {
			Standing::<Test>::insert(
				account(1),
				0,
				crate::types::DeviceRecord { last: Some((99, prev)), ..Default::default() },
			);
		}
		committed_providers(1);
		for i in order {
			assert_ok!(dispatch_verdicts(verdicts_call(0, *i, vec![pass_all(1, 0)])));
		}
		run_to(Rounds::<Test>::get(0).unwrap().close_at.into());
		out = outcome(1, 0);
	});
	out.expect("the device was due")
}

#[test]
fn tallies_at_1_3_4_and_32_validators() {
	let q = Perbill::from_percent(50);
	assert_eq!(tally_with(1, &[0], q, None), Outcome::Passed(Share::Full));
	assert_eq!(tally_with(1, &[], q, None), Outcome::Unverified { carried: false });
	assert_eq!(tally_with(3, &[2, 0], q, None), Outcome::Passed(Share::Full));
	assert_eq!(tally_with(3, &[1], q, None), Outcome::Unverified { carried: false });
	assert_eq!(
		tally_with(4, &[3, 1], q, None),
		Outcome::Unverified { carried: false },
		"2 of 4 is not more than half"
	);
	assert_eq!(tally_with(4, &[3, 1, 0], q, None), Outcome::Passed(Share::Full));
	assert_eq!(
		tally_with(32, &(0..16).collect::<Vec<_>>(), q, None),
		Outcome::Unverified { carried: false }
	);
	assert_eq!(
		tally_with(32, &(0..17).rev().collect::<Vec<_>>(), q, None),
		Outcome::Passed(Share::Full)
	);
	// A quorum of 0: one vote; an unverified device carries a previous pass, not a carry.
	assert_eq!(tally_with(32, &[31], Perbill::zero(), None), Outcome::Passed(Share::Full));
	assert_eq!(
		tally_with(4, &[0], q, Some(Outcome::Passed(Share::Full))),
		Outcome::Unverified { carried: true }
	);
	assert_eq!(
		tally_with(4, &[0], q, Some(Outcome::Unverified { carried: true })),
		Outcome::Unverified { carried: false }
	);
}

proptest::proptest! {
	#![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]
	#[test]
	fn votes_in_any_order_give_the_same_outcome(
		order in proptest::strategy::Strategy::prop_shuffle(
			proptest::sample::subsequence((0u32..8).collect::<Vec<_>>(), 0..=8)
		),
	) {
		use proptest::prelude::*;
		let mut sorted = order.clone();
		sorted.sort();
		let q = Perbill::from_percent(50);
		prop_assert_eq!(tally_with(8, &order, q, None), tally_with(8, &sorted, q, None));
		let want = if order.len() > 4 { Outcome::Passed(Share::Full) } else { Outcome::Unverified { carried: false } };
		prop_assert_eq!(tally_with(8, &order, q, None), want);
	}
}

#[test]
fn standing_is_won_by_a_pass_kept_once_by_an_unverified_round_and_lost_by_omission_or_veto() {
	new_test_ext(1).execute_with(|| {
		// Providers 1..=3; a close visits 2 a block, so it takes two blocks.
		committed_providers(3);
		assert!(!attested(1, 0), "a first-time device has no standing");
		assert_ok!(dispatch_verdicts(verdicts_call(0, 0, vec![pass_all(1, 0), pass_all(2, 0)])));
		let close = Rounds::<Test>::get(0).unwrap().close_at;
		run_to(close.into());
		assert!(CloseCursor::<Test>::get().is_some(), "the close takes a second block");
		assert!(!attested(1, 0), "standing changes apply when the close finishes");
		run_to((close + 1).into());
		assert_eq!(CloseCursor::<Test>::get(), None);
		assert!(attested(1, 0) && attested(2, 0));
		assert_eq!(outcome(3, 0), Some(Outcome::Unverified { carried: false }));
		assert!(!attested(3, 0));
		assert_eq!(RoundResults::<Test>::get(0).map(|c| (c.passed, c.unverified)), Some((2, 1)));
		assert_eq!(
			REPUTATION.with(|r| r.borrow().clone()),
			vec![
				(account(1), ReputationEvent::AttestationPassed),
				(account(2), ReputationEvent::AttestationPassed)
			]
		);
		// Round 1: provider 1 unverified (carries once), 2 omitted (loses at once), 3 vetoed.
		run_to(24);
		run_to(25);
		assert_ok!(dispatch(commit_call(
			1,
			1,
			vec![entry(0, Share::Full, FULL_ROWS)],
			&worker(1),
			Attestation::genesis_hash()
		)));
		assert_ok!(dispatch(commit_call(
			1,
			3,
			vec![entry(0, Share::Full, FULL_ROWS)],
			&worker(3),
			Attestation::genesis_hash()
		)));
		assert_ok!(dispatch_verdicts(verdicts_call(1, 0, vec![veto(3, 1, 0, vec![0])])));
		let close = Rounds::<Test>::get(1).unwrap().close_at;
		run_to(close.into());
		assert!(attested(2, 0), "still the old standing while the close runs");
		run_to((close + 1).into());
		assert_eq!(outcome(1, 0), Some(Outcome::Unverified { carried: true }));
		assert!(attested(1, 0));
		assert_eq!(outcome(2, 0), Some(Outcome::Uncommitted));
		assert!(!attested(2, 0));
		assert_eq!(outcome(3, 0), Some(Outcome::Vetoed));
		// Round 2: unverified again: the carry does not carry.
		run_to(36);
		run_to(37);
		assert_ok!(dispatch(commit_call(
			2,
			1,
			vec![entry(0, Share::Full, FULL_ROWS)],
			&worker(1),
			Attestation::genesis_hash()
		)));
		run_to((Rounds::<Test>::get(2).unwrap().close_at + 1).into());
		assert_eq!(outcome(1, 0), Some(Outcome::Unverified { carried: false }));
		assert!(!attested(1, 0));
		// A provider that is not Active has no standing whatever its devices did.
		Standing::<Test>::insert(
			account(1),
			0,
			crate::types::DeviceRecord {
				last: Some((2, Outcome::Passed(Share::Full))),
				..Default::default()
			},
		);
		assert!(attested(1, 0));
		set_status(1, ProviderStatus::Suspended);
		assert!(!attested(1, 0));
	});
}

#[test]
fn missed_censuses_fault_a_lease_unless_attestation_is_not_required() {
	for required in [true, false] {
		new_test_ext(1).execute_with(|| {
			ATTESTATION_REQUIRED.with(|r| *r.borrow_mut() = required);
			lease(1, 5);
			provider(1, 0, &[(0, CPU, DeviceState::InUse(DeviceUse::Leased(1)), 0)]);
			// Round 0: missed (no commit). Round 1: missed again: the lease is faulted.
			run_to(20);
			assert!(events().contains(&Event::LeaseMissedCensus {
				round: 0,
				provider: account(1),
				device: 0,
				misses: 1
			}));
			assert_eq!(FAULTS.with(|f| f.borrow().len()), 0);
			run_to(32);
			assert!(events().contains(&Event::LeaseMissedCensus {
				round: 1,
				provider: account(1),
				device: 0,
				misses: 2
			}));
			let faults = FAULTS.with(|f| f.borrow().clone());
			if required {
				assert_eq!(faults, vec![(account(1), Some(vec![0]), FaultKind::Unreachable)]);
				assert_eq!(Standing::<Test>::get(account(1), 0).missed_leased, 0);
			} else {
				assert!(faults.is_empty());
			}
		});
	}
	// A pass resets the count.
	new_test_ext(1).execute_with(|| {
		lease(1, 5);
		provider(1, 0, &[(0, CPU, DeviceState::InUse(DeviceUse::Leased(1)), 0)]);
		run_to(21);
		run_to(25);
		assert_ok!(dispatch(commit_call(
			1,
			1,
			vec![entry(0, Share::Leased, LEASED_ROWS)],
			&worker(1),
			Attestation::genesis_hash()
		)));
		assert_ok!(dispatch_verdicts(verdicts_call(1, 0, vec![pass_all(1, 1)])));
		run_to(33);
		assert_eq!(outcome(1, 0), Some(Outcome::Passed(Share::Leased)));
		assert_eq!(Standing::<Test>::get(account(1), 0).missed_leased, 0);
	});
}

#[test]
fn locks_last_until_the_fraud_deadline_and_removal_forgets_standing() {
	new_test_ext(1).execute_with(|| {
		committed_providers(1);
		let r = Rounds::<Test>::get(0).unwrap();
		type S = Attestation;
		assert!(<S as AttestationStanding<AccountId>>::is_locked(&account(1), 0));
		assert!(<S as AttestationStanding<AccountId>>::provider_locked(&account(1)));
		assert!(!<S as AttestationStanding<AccountId>>::is_locked(&account(2), 0));
		run_to(r.fraud_deadline.into());
		assert!(<S as AttestationStanding<AccountId>>::is_locked(&account(1), 0));
		run_to((r.fraud_deadline + 1).into());
		assert!(!<S as AttestationStanding<AccountId>>::is_locked(&account(1), 0));
		assert!(!<S as AttestationStanding<AccountId>>::provider_locked(&account(1)));
		Standing::<Test>::insert(
			account(1),
			0,
			crate::types::DeviceRecord {
				last: Some((0, Outcome::Passed(Share::Full))),
				..Default::default()
			},
		);
		<S as AttestationStanding<AccountId>>::on_devices_removed(&account(1), &[0]);
		assert_eq!(Standing::<Test>::get(account(1), 0), Default::default());
		assert_eq!(<S as AttestationStanding<AccountId>>::last_failure(&account(1)), None);
	});
}

// ---------------------------------------------------------------------------------------------
// Fraud proofs.

use crucible_primitives::{
	attestation::FraudProof,
	challenge::{chacha::ChaCha8, matrix, merkle, Blake2Rust},
	providers::SlashReason,
};

/// Small challenges for fraud tests: K = N = 64 and a 1 ms target give 123 rows per device.
fn small_params() -> AttestationParams {
	AttestationParams { k: 64, n: 64, target_ms: 1, ..AttestationParams::dev() }
}
const SMALL_ROWS: u32 = 123;

/// The honest output of device `device` of provider `seed` in `round`, with one entry changed
/// in each row of `corrupt` before its leaf is hashed (paths verify; only the recomputation
/// catches it).
fn output(
	round: u64,
	seed: u8,
	device: u32,
	corrupt: &[(u32, usize, i32)],
) -> (Vec<Vec<i32>>, Vec<[u8; 32]>) {
	let r = Rounds::<Test>::get(round).unwrap();
	let shape = r.shape;
	let provider: [u8; 32] = account(seed).into();
	let key_a = matrix::key_a::<Blake2Rust>(&r.round_seed.0, &provider, device);
	let key_b = matrix::key_b::<Blake2Rust>(&r.epoch_seed.0);
	let b = matrix::b_matrix(&ChaCha8::new(&key_b), shape);
	let mut rows = Vec::new();
	let mut leaves = Vec::new();
	for i in 0..SMALL_ROWS {
		let mut a = vec![0i8; shape.k as usize];
		matrix::a_row(&ChaCha8::new(&key_a), shape, i, &mut a);
		let mut c = vec![0i32; shape.n as usize];
		matrix::c_row(&a, &b, shape, &mut c);
		for (row, col, value) in corrupt {
			if *row == i {
				c[*col] = *value;
			}
		}
		leaves.push(merkle::leaf::<Blake2Rust>(round, &provider, device, i, &c));
		rows.push(c);
	}
	(rows, leaves)
}

/// Provider 1 with free devices 0 and 1, committed in round 0 with roots over `output` (device
/// 0 corrupted as given).
fn fraud_setup(corrupt: &[(u32, usize, i32)]) -> (Vec<Vec<i32>>, Vec<[u8; 32]>) {
	Params::<Test>::put(small_params());
	provider(1, 0, &[(0, CPU, DeviceState::Free, 0), (1, CPU, DeviceState::Free, 0)]);
	run_to(12);
	run_to(13);
	let r = Rounds::<Test>::get(0).unwrap();
	assert_eq!((r.shape.k, r.shape.n), (64, 64));
	let (rows, leaves) = output(0, 1, 0, corrupt);
	let root = merkle::root_over::<Blake2Rust>(&leaves, 0, merkle::depth(SMALL_ROWS)).unwrap();
	let (_, honest) = output(0, 1, 1, &[]);
	let honest_root =
		merkle::root_over::<Blake2Rust>(&honest, 0, merkle::depth(SMALL_ROWS)).unwrap();
	let devices = vec![
		DeviceCommit { device: 0, share: Share::Full, rows: SMALL_ROWS, root: H256(root) },
		DeviceCommit { device: 1, share: Share::Full, rows: SMALL_ROWS, root: H256(honest_root) },
	];
	assert_ok!(dispatch(signed_commit(1, devices)));
	(rows, leaves)
}

fn proof(
	round: u64,
	device: u32,
	row: u32,
	column: u32,
	rows: &[Vec<i32>],
	leaves: &[[u8; 32]],
) -> FraudProof<AccountId> {
	let path = merkle::path_over::<Blake2Rust>(leaves, 0, merkle::depth(SMALL_ROWS), row).unwrap();
	FraudProof {
		round,
		provider: account(1),
		device,
		row,
		values: rows[row as usize].clone().try_into().unwrap(),
		path: path.into_iter().map(H256).collect::<Vec<_>>().try_into().unwrap(),
		column,
	}
}

fn fraud_call_by(proof: FraudProof<AccountId>, index: u32, signer: u8) -> crate::Call<Test> {
	let r = Rounds::<Test>::get(proof.round).or_else(|| Rounds::<Test>::get(0)).unwrap();
	let payload = attestation::fraud_payload(
		&Attestation::genesis_hash(),
		proof.round,
		&r.round_seed,
		&proof,
	);
	crate::Call::report_fraud {
		proof,
		validator_index: index,
		signature: validator_pair(signer).sign(&payload).into(),
	}
}

fn fraud_call(proof: FraudProof<AccountId>) -> crate::Call<Test> {
	fraud_call_by(proof, 0, 0)
}

fn dispatch_fraud(call: crate::Call<Test>) -> sp_runtime::DispatchResult {
	assert!(matches!(call.authorize(TransactionSource::External), Some(Ok(_))), "authorized");
	match call {
		crate::Call::report_fraud { proof, validator_index, signature } => {
			Attestation::report_fraud(authorized(), proof, validator_index, signature)
				.map(|_| ())
				.map_err(|e| e.error)
		}
		_ => unreachable!("only fraud proofs here"),
	}
}

#[test]
fn a_proof_of_a_wrong_entry_is_verified_before_it_enters_a_block() {
	new_test_ext(2).execute_with(|| {
		let shape_max = 16_129 * 64;
		let (rows, leaves) = fraud_setup(&[(5, 7, 12_345), (9, 3, shape_max + 1)]);
		// The corrupted entry, and an out-of-range one, are fraud; a right entry is not.
		assert!(authorize(&fraud_call(proof(0, 0, 5, 7, &rows, &leaves))).is_ok());
		assert!(authorize(&fraud_call(proof(0, 0, 9, 3, &rows, &leaves))).is_ok());
		assert_eq!(
			authorize(&fraud_call(proof(0, 0, 5, 8, &rows, &leaves))),
			refused(codes::NOT_FRAUD)
		);
		assert_eq!(
			authorize(&fraud_call(proof(0, 0, 6, 7, &rows, &leaves))),
			refused(codes::NOT_FRAUD)
		);
		// A path that does not lead to the root: another row's path, or tampered values.
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.row = 4;
		assert_eq!(authorize(&fraud_call(p)), refused(codes::BAD_PATH));
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.values[0] += 1;
		assert_eq!(authorize(&fraud_call(p)), refused(codes::BAD_PATH));
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.path.pop();
		assert_eq!(authorize(&fraud_call(p)), refused(codes::BAD_PATH));
		// The honest device: no fraud anywhere it is claimed.
		let (honest_rows, honest_leaves) = output(0, 1, 1, &[]);
		assert_eq!(
			authorize(&fraud_call(proof(0, 1, 5, 7, &honest_rows, &honest_leaves))),
			refused(codes::NOT_FRAUD)
		);
		// Rows and columns beyond the device's, values not N long.
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.row = SMALL_ROWS;
		assert_eq!(authorize(&fraud_call(p)), refused(codes::ROW_OUT_OF_RANGE));
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.column = 64;
		assert_eq!(authorize(&fraud_call(p)), refused(codes::ROW_OUT_OF_RANGE));
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.values.pop();
		assert_eq!(authorize(&fraud_call(p)), refused(codes::ROW_OUT_OF_RANGE));
		// Signatures: another key, not in the snapshot, another proof.
		assert_eq!(
			authorize(&fraud_call_by(proof(0, 0, 5, 7, &rows, &leaves), 0, 1)),
			refused(codes::BAD_SIGNATURE)
		);
		assert_eq!(
			authorize(&fraud_call_by(proof(0, 0, 5, 7, &rows, &leaves), 2, 2)),
			refused(codes::NOT_ROUND_VALIDATOR)
		);
		let mut call = fraud_call(proof(0, 0, 5, 7, &rows, &leaves));
		if let crate::Call::report_fraud { proof, .. } = &mut call {
			proof.column = 6;
		}
		assert_eq!(authorize(&call), refused(codes::BAD_SIGNATURE));
		// Unknown round; a provider that did not commit.
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.round = 9;
		assert_eq!(
			authorize(&fraud_call_by(p.clone(), 0, 0)).err(),
			refused(codes::UNKNOWN_ROUND).err()
		);
		let mut p = proof(0, 0, 5, 7, &rows, &leaves);
		p.provider = account(2);
		assert_eq!(authorize(&fraud_call(p)), refused(codes::NOT_COMMITTED));
	});
}

#[test]
fn proven_fraud_faults_leases_slashes_suspends_and_pays_the_reporter() {
	new_test_ext(2).execute_with(|| {
		let (rows, leaves) = fraud_setup(&[(5, 7, 12_345)]);
		let held = Registry::attestation_view(&account(1)).unwrap().bond_held;
		// The validator at index 1 leaves the session mid-round: its snapshot key still counts.
		crate::Keys::<Test>::kill();
		assert_ok!(dispatch_fraud(fraud_call_by(proof(0, 0, 5, 7, &rows, &leaves), 1, 1)));
		// (1) leases faulted, (2) 50 % of the bond slashed, 10 % of that to the reporter.
		assert_eq!(
			FAULTS.with(|f| f.borrow().clone()),
			vec![(account(1), None, FaultKind::WrongResults)]
		);
		let total = Perbill::from_percent(50) * held;
		let to_reporter = Perbill::from_percent(10) * total;
		assert_eq!(
			SLASHES.with(|s| s.borrow().clone()),
			vec![
				(account(1), to_reporter, Some(account(101)), SlashReason::Fraud),
				(account(1), total - to_reporter, None, SlashReason::Fraud),
			]
		);
		// (3) suspended, (4) reputation and the failure block, (5) the event.
		assert_eq!(Registry::status(&account(1)), Some(ProviderStatus::Suspended));
		assert_eq!(
			REPUTATION.with(|r| r.borrow().clone()),
			vec![(account(1), ReputationEvent::AttestationFailed)]
		);
		assert_eq!(
			<Attestation as AttestationStanding<AccountId>>::last_failure(&account(1)),
			Some(13)
		);
		assert_eq!(ValidatorStats::<Test>::get(account(101)).proofs, 1);
		assert!(events().contains(&Event::FraudProven {
			round: 0,
			provider: account(1),
			device: 0,
			row: 5,
			column: 7,
			reporter: account(101),
			slashed: total,
			to_reporter,
			leases_faulted: 1,
			compensation: 7,
		}));
		// Once per (round, provider, device), even by another validator.
		assert_eq!(
			authorize(&fraud_call_by(proof(0, 0, 5, 7, &rows, &leaves), 0, 0)),
			refused(codes::ALREADY_PROVEN)
		);
		// The close decides the device Proven, whatever the votes.
		run_to(Rounds::<Test>::get(0).unwrap().close_at.into());
		assert_eq!(outcome(1, 0), Some(Outcome::Proven));
		assert_eq!(RoundResults::<Test>::get(0).map(|c| c.proven), Some(1));
	});
}

#[test]
fn fraud_proofs_are_accepted_until_the_fraud_deadline() {
	new_test_ext(1).execute_with(|| {
		let (rows, leaves) = fraud_setup(&[(5, 7, 12_345)]);
		let r = Rounds::<Test>::get(0).unwrap();
		let call = fraud_call(proof(0, 0, 5, 7, &rows, &leaves));
		run_to(r.fraud_deadline.into());
		assert!(authorize(&call).is_ok());
		run_to((r.fraud_deadline + 1).into());
		assert_eq!(authorize(&call), refused(codes::FRAUD_WINDOW_CLOSED));
	});
}

#[test]
fn a_round_is_pruned_by_cursor_after_its_fraud_window() {
	let mut ext = new_test_ext(2);
	let (rows, leaves) = ext.execute_with(|| {
		let (rows, leaves) = fraud_setup(&[(5, 7, 12_345)]);
		provider(2, 0, &[(0, CPU, DeviceState::Free, 0)]);
		assert_ok!(dispatch(signed_commit(2, vec![entry(0, Share::Full, SMALL_ROWS)])));
		assert_ok!(dispatch_verdicts(verdicts_call(0, 0, vec![pass_all(1, 0), pass_all(2, 0)])));
		assert_ok!(dispatch_verdicts(verdicts_call(0, 1, vec![pass_all(2, 0)])));
		assert_ok!(dispatch_fraud(fraud_call(proof(0, 0, 5, 7, &rows, &leaves))));
		let r = Rounds::<Test>::get(0).unwrap();
		run_to(r.fraud_deadline.into());
		assert!(Rounds::<Test>::get(0).is_some() && Commits::<Test>::iter_prefix(0).count() == 2);
		(rows, leaves)
	});
	// Into the backend, where `clear_prefix`'s limit applies (it removes keys only in the
	// overlay without counting them).
	ext.commit_all().unwrap();
	ext.execute_with(|| {
		let r = Rounds::<Test>::get(0).unwrap();
		// 2 commits + 3 votes + 1 proof + 2 voters + 2 veto counters = 10 keys at 3 a block
		// (after the stage's own last key), then the record, snapshot and counts.
		let call = fraud_call(proof(0, 0, 5, 8, &rows, &leaves));
		run_to((r.fraud_deadline + 1).into());
		assert_eq!(authorize(&call), refused(codes::FRAUD_WINDOW_CLOSED));
		let mut blocks = 1;
		while Rounds::<Test>::get(0).is_some() {
			run_to((r.fraud_deadline + 1 + blocks).into());
			blocks += 1;
			assert!(blocks < 10, "pruning advances every block");
		}
		assert!(blocks >= 3, "a bounded number of keys a block: {blocks} blocks");
		assert!(events().contains(&Event::RoundPruned { round: 0 }));
		assert_eq!(Commits::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(crate::Votes::<Test>::iter_prefix((0,)).count(), 0);
		assert_eq!(crate::Proven::<Test>::iter_prefix((0,)).count(), 0);
		assert_eq!(crate::Voted::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(RoundVetoes::<Test>::iter_prefix(0).count(), 0);
		assert_eq!(Snapshots::<Test>::get(0), None);
		assert_eq!(RoundResults::<Test>::get(0), None);
		assert_eq!(crate::PruneNext::<Test>::get(), 1);
		assert_eq!(authorize(&call), refused(codes::UNKNOWN_ROUND));
		// Standing records outlive the round's records (later rounds, uncommitted, decided it).
		assert!(Standing::<Test>::get(account(2), 0).last.is_some_and(|(r, _)| r > 0));
	});
}

// ---------------------------------------------------------------------------------------------
// The off-chain worker's decisions.

use crate::ocw::{self, DeviceCheck, EpochCheck};
use crucible_primitives::attestation::{DeviceOpenings, RowOpening};

fn openings(device: u32, drawn: &[u32], rows: &[Vec<i32>], leaves: &[[u8; 32]]) -> DeviceOpenings {
	DeviceOpenings {
		device,
		rows: drawn
			.iter()
			.map(|i| RowOpening {
				index: *i,
				values: rows[*i as usize].clone(),
				path: merkle::path_over::<Blake2Rust>(leaves, 0, merkle::depth(SMALL_ROWS), *i)
					.unwrap()
					.into_iter()
					.map(H256)
					.collect(),
			})
			.collect(),
	}
}

#[test]
fn rows_and_orders_are_drawn_privately_distinct_and_reproducibly() {
	let rows = ocw::draw_rows(&[1; 32], 0, 3_815, 16);
	assert_eq!(rows.len(), 16);
	assert!(rows.iter().all(|r| *r < 3_815));
	let mut sorted = rows.clone();
	sorted.sort();
	sorted.dedup();
	assert_eq!(sorted.len(), 16, "distinct");
	assert_eq!(ocw::draw_rows(&[1; 32], 0, 3_815, 16), rows, "a retry reuses the rows");
	assert_ne!(ocw::draw_rows(&[2; 32], 0, 3_815, 16), rows, "a new round seed draws new rows");
	assert_ne!(ocw::draw_rows(&[1; 32], 1, 3_815, 16), rows, "each device its own");
	assert_eq!(ocw::draw_rows(&[1; 32], 0, 3, 16), vec![0, 1, 2]);
	let order = ocw::visit_order(&[1; 32], 20);
	let mut all = order.clone();
	all.sort();
	assert_eq!(all, (0..20).collect::<Vec<_>>());
	assert_ne!(ocw::visit_order(&[2; 32], 20), order, "visiting orders differ by seed");
}

#[test]
fn answers_are_read_within_their_cap() {
	let answer = vec![DeviceOpenings {
		device: 0,
		rows: vec![RowOpening { index: 1, values: vec![-5; 64], path: vec![H256::zero(); 7] }],
	}];
	let body = answer.encode();
	let cap = attestation::response_cap(64, &[(1, 7)]);
	assert!(body.len() as u64 <= cap);
	assert_eq!(ocw::decode_answer(&body, cap), Some(answer.clone()));
	assert_eq!(ocw::decode_answer(&body, body.len() as u64 - 1), None, "oversized");
	assert_eq!(ocw::decode_answer(&body[..body.len() - 1], cap), None, "truncated");
	let mut trailing = body.clone();
	trailing.push(0);
	assert_eq!(ocw::decode_answer(&trailing, cap), None, "trailing bytes");
	assert_eq!(ocw::decode_answer(&[0xff; 16], cap), None, "malformed");
}

#[test]
fn honest_rows_pass_and_one_wrong_entry_gives_a_proof_that_verifies() {
	new_test_ext(1).execute_with(|| {
		let (bad_rows, bad_leaves) = fraud_setup(&[(5, 7, 12_345)]);
		let (rows, leaves) = output(0, 1, 1, &[]);
		let record = Rounds::<Test>::get(0).unwrap();
		let commit = Commits::<Test>::get(0, account(1)).unwrap();
		let epoch = EpochCheck::new(record.epoch_seed, record.shape, &[42; 32]);
		let check = |entry: usize, drawn: &[u32], answer: Option<&DeviceOpenings>| {
			ocw::check_device(
				&record,
				0,
				&account(1),
				&commit.devices[entry],
				drawn,
				answer,
				&epoch,
			)
		};
		let drawn = [0, 5, 9, 122];
		assert_eq!(check(1, &drawn, Some(&openings(1, &drawn, &rows, &leaves))), DeviceCheck::Pass);
		// The corrupted device passes where the wrong row is not drawn, and is proven where it is.
		let clean = [0, 6, 122];
		assert_eq!(
			check(0, &clean, Some(&openings(0, &clean, &bad_rows, &bad_leaves))),
			DeviceCheck::Pass
		);
		let DeviceCheck::Fraud(proof) =
			check(0, &drawn, Some(&openings(0, &drawn, &bad_rows, &bad_leaves)))
		else {
			panic!("the wrong entry is proven")
		};
		assert_eq!((proof.row, proof.column), (5, 7));
		assert!(authorize(&fraud_call(proof)).is_ok(), "the proof verifies on-chain");
		// Missing rows, a bad path, the wrong device, no answer: a veto naming the drawn rows.
		let unavailable = DeviceCheck::Unavailable(drawn.to_vec());
		assert_eq!(check(1, &drawn, Some(&openings(1, &drawn[..3], &rows, &leaves))), unavailable);
		let mut bad_path = openings(1, &drawn, &rows, &leaves);
		bad_path.rows[2].path[0] = H256::repeat_byte(1);
		assert_eq!(check(1, &drawn, Some(&bad_path)), unavailable);
		let mut short = openings(1, &drawn, &rows, &leaves);
		short.rows[0].values.pop();
		assert_eq!(check(1, &drawn, Some(&short)), unavailable);
		assert_eq!(check(1, &drawn, Some(&openings(0, &drawn, &rows, &leaves))), unavailable);
		assert_eq!(check(1, &drawn, None), unavailable);
		// Rows whose paths verify but whose entries were swapped in range: Freivalds and the
		// recomputation catch it ("skip-rows" style answers with another row's values fail the
		// path instead).
		let mut swapped = openings(1, &drawn, &rows, &leaves);
		swapped.rows[1].values = rows[6].clone();
		assert_eq!(check(1, &drawn, Some(&swapped)), unavailable);
	});
}

// ---------------------------------------------------------------------------------------------
// The off-chain worker's driver, against fake workers behind a fake network.

use crate::offchain::{self as driver, EpochState, ProviderWork};
use crucible_primitives::attestation::{OpenRequest, KEY_TYPE};
use sp_core::offchain::{
	testing::{TestOffchainExt, TestTransactionPoolExt},
	Duration as OcwDuration, HttpError, HttpRequestId, HttpRequestStatus, OffchainDbExt,
	OffchainWorkerExt, OpaqueNetworkState, Timestamp, TransactionPoolExt,
};
use sp_core::OpaquePeerId;
use sp_keystore::{testing::MemoryKeystore, Keystore, KeystoreExt};
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
};

/// How a fake worker answers one request.
#[derive(Clone, Debug)]
enum Mode {
	/// The honest openings of its committed output.
	Honest,
	/// No answer before the deadline.
	Timeout,
	/// The connection fails.
	Io,
	/// Another status than 200.
	Status(u16),
	/// A body one byte longer than the validator's cap.
	Oversized,
	/// Honest values with a wrong path.
	BadPath,
	/// One mode per attempt, the last repeated.
	Seq(Vec<Mode>),
}

/// A provider's committed output per device (rows and leaves), as its worker keeps it.
type Outputs = HashMap<(u8, u32), (Vec<Vec<i32>>, Vec<[u8; 32]>)>;

/// What the fake network saw and serves.
#[derive(Default)]
struct World {
	outputs: Outputs,
	modes: HashMap<u8, Mode>,
	/// Requests received: (provider seed, decoded request).
	requests: Vec<(u8, OpenRequest<AccountId>)>,
	/// The round's snapshot keys and N (the worker read them from the chain; the network
	/// cannot read storage while the runtime calls it).
	keys: Vec<crucible_primitives::attestation::AttestationKey>,
	n: u32,
}

/// A request in flight on the fake network.
struct InFlight {
	uri: String,
	body: Vec<u8>,
	reply: Option<Result<(u16, Vec<u8>), HttpRequestStatus>>,
	read: usize,
}

/// An `offchain::Externalities` whose HTTP goes to fake workers (by the endpoint's last
/// address byte = the provider's seed) and whose clock and seed are `TestOffchainExt`'s.
struct Net {
	inner: TestOffchainExt,
	world: Arc<Mutex<World>>,
	flights: HashMap<u16, InFlight>,
	next: u16,
}

fn answer(world: &mut World, uri: &str, body: &[u8]) -> Result<(u16, Vec<u8>), HttpRequestStatus> {
	let host = uri.trim_start_matches("http://").split(':').next().unwrap();
	let seed: u8 = host.rsplit('.').next().unwrap().parse().unwrap();
	let request = OpenRequest::<AccountId>::decode(&mut &body[..]).expect("a SCALE request");
	let attempt = world.requests.iter().filter(|(s, _)| *s == seed).count();
	world.requests.push((seed, request.clone()));
	let mut mode = world.modes.get(&seed).cloned().unwrap_or(Mode::Honest);
	if let Mode::Seq(modes) = mode {
		mode = modes[attempt.min(modes.len() - 1)].clone();
	}
	// The worker checks the request's signature before it answers.
	let payload = attestation::open_request_payload(
		&request.genesis,
		request.round,
		&request.round_seed,
		&request.provider,
		request.validator_index,
		&request.rows,
	);
	let key = &world.keys[request.validator_index as usize];
	use sp_runtime::RuntimeAppPublic;
	assert!(key.verify(&payload, &request.signature), "a request signed by its snapshot key");
	let honest = |world: &World| -> Vec<DeviceOpenings> {
		request
			.rows
			.iter()
			.map(|(device, drawn)| {
				let (rows, leaves) = &world.outputs[&(seed, *device)];
				openings(*device, drawn, rows, leaves)
			})
			.collect()
	};
	match mode {
		Mode::Honest => Ok((200, honest(world).encode())),
		Mode::Timeout => Err(HttpRequestStatus::DeadlineReached),
		Mode::Io => Err(HttpRequestStatus::IoError),
		Mode::Status(code) => Ok((code, b"busy".to_vec())),
		Mode::Oversized => {
			let shape: Vec<(u32, u32)> = request
				.rows
				.iter()
				.map(|(_, r)| (r.len() as u32, merkle::depth(SMALL_ROWS)))
				.collect();
			let cap = attestation::response_cap(world.n, &shape);
			Ok((200, vec![0; cap as usize + 1]))
		}
		Mode::BadPath => {
			let mut o = honest(world);
			o[0].rows[0].path[0] = H256::repeat_byte(0xee);
			Ok((200, o.encode()))
		}
		Mode::Seq(_) => unreachable!("resolved above"),
	}
}

impl sp_core::offchain::Externalities for Net {
	fn is_validator(&self) -> bool {
		true
	}
	fn network_state(&self) -> Result<OpaqueNetworkState, ()> {
		self.inner.network_state()
	}
	fn timestamp(&mut self) -> Timestamp {
		self.inner.timestamp()
	}
	fn sleep_until(&mut self, deadline: Timestamp) {
		self.inner.sleep_until(deadline)
	}
	fn random_seed(&mut self) -> [u8; 32] {
		self.inner.random_seed()
	}
	fn http_request_start(&mut self, _: &str, uri: &str, _: &[u8]) -> Result<HttpRequestId, ()> {
		let id = self.next;
		self.next += 1;
		self.flights
			.insert(id, InFlight { uri: uri.into(), body: Vec::new(), reply: None, read: 0 });
		Ok(HttpRequestId(id))
	}
	fn http_request_add_header(&mut self, id: HttpRequestId, _: &str, _: &str) -> Result<(), ()> {
		self.flights.get(&id.0).map(|_| ()).ok_or(())
	}
	fn http_request_write_body(
		&mut self,
		id: HttpRequestId,
		chunk: &[u8],
		_: Option<Timestamp>,
	) -> Result<(), HttpError> {
		let flight = self.flights.get_mut(&id.0).ok_or(HttpError::Invalid)?;
		if chunk.is_empty() {
			let reply = answer(&mut self.world.lock().unwrap(), &flight.uri, &flight.body);
			flight.reply = Some(reply);
		} else {
			flight.body.extend_from_slice(chunk);
		}
		Ok(())
	}
	fn http_response_wait(
		&mut self,
		ids: &[HttpRequestId],
		_: Option<Timestamp>,
	) -> Vec<HttpRequestStatus> {
		ids.iter()
			.map(|id| match self.flights.get(&id.0).and_then(|f| f.reply.clone()) {
				Some(Ok((code, _))) => HttpRequestStatus::Finished(code),
				Some(Err(status)) => status,
				None => HttpRequestStatus::Invalid,
			})
			.collect()
	}
	fn http_response_headers(&mut self, _: HttpRequestId) -> Vec<(Vec<u8>, Vec<u8>)> {
		Vec::new()
	}
	fn http_response_read_body(
		&mut self,
		id: HttpRequestId,
		buffer: &mut [u8],
		_: Option<Timestamp>,
	) -> Result<usize, HttpError> {
		let flight = self.flights.get_mut(&id.0).ok_or(HttpError::Invalid)?;
		match &flight.reply {
			Some(Ok((_, body))) => {
				let n = buffer.len().min(body.len() - flight.read);
				buffer[..n].copy_from_slice(&body[flight.read..flight.read + n]);
				flight.read += n;
				Ok(n)
			}
			Some(Err(HttpRequestStatus::DeadlineReached)) => Err(HttpError::DeadlineReached),
			_ => Err(HttpError::IoError),
		}
	}
	fn set_authorized_nodes(&mut self, _: Vec<OpaquePeerId>, _: bool) {}
}

/// Handles on a test's fake network, offchain storage and pool.
struct Harness {
	world: Arc<Mutex<World>>,
	offchain: Arc<parking_lot::RwLock<sp_core::offchain::testing::OffchainState>>,
	pool: Arc<parking_lot::RwLock<sp_core::offchain::testing::PoolState>>,
}

/// A test externality with `validators` snapshot keys, the keystore holding validator
/// `local`'s (none with `None`), a fake network, a transaction pool and offchain storage.
fn ocw_ext(validators: u8, local: Option<u8>) -> (sp_io::TestExternalities, Harness) {
	let mut ext = new_test_ext(validators);
	let (offchain, state) = TestOffchainExt::new();
	let (pool, pool_state) = TestTransactionPoolExt::new();
	let world = Arc::new(Mutex::new(World::default()));
	state.write().seed = [7; 32];
	state.write().timestamp = Timestamp::from_unix_millis(1_000_000);
	let net =
		Net { inner: offchain.clone(), world: world.clone(), flights: HashMap::new(), next: 0 };
	ext.register_extension(OffchainWorkerExt::new(net));
	ext.register_extension(OffchainDbExt::new(offchain));
	ext.register_extension(TransactionPoolExt::new(pool));
	let keystore = MemoryKeystore::new();
	if let Some(i) = local {
		let pair = validator_pair(i);
		let suri = format!("0x{}", hex_seed(0x80 | i));
		keystore.insert(KEY_TYPE, &suri, pair.public().as_ref()).unwrap();
	}
	ext.register_extension(KeystoreExt(Arc::new(keystore)));
	(ext, Harness { world, offchain: state, pool: pool_state })
}

fn hex_seed(byte: u8) -> String {
	format!("{byte:02x}").repeat(32)
}

impl Harness {
	/// The calls submitted so far, decoded from the pool.
	fn submitted(&self) -> Vec<crate::Call<Test>> {
		self.pool
			.read()
			.transactions
			.iter()
			.map(|raw| {
				let xt = Extrinsic::decode(&mut &raw[..]).expect("an extrinsic");
				assert!(
					matches!(xt.preamble, sp_runtime::generic::Preamble::General(_)),
					"a General transaction with the authorized extension"
				);
				match xt.function {
					RuntimeCall::Attestation(call) => call,
					other => panic!("not an attestation call: {other:?}"),
				}
			})
			.collect()
	}
	fn verdicts(&self) -> Vec<ProviderVerdict<AccountId, MaxDevices>> {
		self.submitted()
			.into_iter()
			.filter_map(|c| match c {
				crate::Call::submit_verdicts { verdicts, .. } => Some(verdicts.into_inner()),
				_ => None,
			})
			.flatten()
			.collect()
	}
	fn requests(&self) -> Vec<(u8, OpenRequest<AccountId>)> {
		self.world.lock().unwrap().requests.clone()
	}
	fn set_mode(&self, seed: u8, mode: Mode) {
		self.world.lock().unwrap().modes.insert(seed, mode);
	}
}

/// Providers `seeds` with devices 0 and 1 each (endpoint 203.0.113.<seed>), committed honestly in
/// round 0 at block 13 with the small challenge, except for `corrupt` entries of device 0 of the
/// first provider; their outputs go to the fake network.
fn commit_for_ocw(h: &Harness, seeds: &[u8], corrupt: &[(u32, usize, i32)]) {
	Params::<Test>::put(small_params());
	for seed in seeds {
		provider(*seed, 0, &[(0, CPU, DeviceState::Free, 0), (1, CPU, DeviceState::Free, 0)]);
		set_endpoint(*seed, format!("http://203.0.113.{seed}:8844").as_bytes());
	}
	run_to(13);
	for (i, seed) in seeds.iter().enumerate() {
		let mut devices = Vec::new();
		for device in 0..2u32 {
			let bad = if i == 0 && device == 0 { corrupt } else { &[] };
			let (rows, leaves) = output(0, *seed, device, bad);
			let root =
				merkle::root_over::<Blake2Rust>(&leaves, 0, merkle::depth(SMALL_ROWS)).unwrap();
			devices.push(DeviceCommit {
				device,
				share: Share::Full,
				rows: SMALL_ROWS,
				root: H256(root),
			});
			h.world.lock().unwrap().outputs.insert((*seed, device), (rows, leaves));
		}
		assert_ok!(dispatch(signed_commit(*seed, devices)));
	}
	let mut world = h.world.lock().unwrap();
	world.keys = Snapshots::<Test>::get(0).unwrap().iter().map(|(_, k)| k.clone()).collect();
	world.n = Rounds::<Test>::get(0).unwrap().shape.n;
}

fn ocw_at(block: u64) {
	run_to(block);
	Attestation::offchain_worker(block);
}

#[test]
fn honest_rows_pass_in_one_signed_verdict_that_the_chain_accepts() {
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		commit_for_ocw(&h, &[1, 2], &[]);
		ocw_at(13);
		let requests = h.requests();
		assert_eq!(requests.len(), 2, "one request per provider, in parallel");
		for (_, request) in &requests {
			assert_eq!(request.genesis, Attestation::genesis_hash());
			assert_eq!(request.validator_index, 0);
			for (_, rows) in &request.rows {
				assert_eq!(rows.len(), 16, "s_v = min(rows, max(4, ceil(16 / 1)))");
			}
		}
		let calls = h.submitted();
		assert_eq!(calls.len(), 1, "one submit_verdicts for both providers");
		assert!(authorize(&calls[0]).is_ok(), "signed by the snapshot key, accepted");
		let verdicts = h.verdicts();
		assert_eq!(verdicts.len(), 2);
		for v in &verdicts {
			assert_eq!(v.digest, Commits::<Test>::get(0, &v.provider).unwrap().digest);
			assert_eq!(v.devices.to_vec(), vec![(0, Verdict::Pass), (1, Verdict::Pass)]);
		}
		assert_ok!(dispatch_verdicts(calls[0].clone()));
		assert!(Votes::<Test>::get((0, account(1), 0)).is_some());
		// Done: later runs ask nothing and submit nothing.
		ocw_at(14);
		assert_eq!(h.requests().len(), 2);
		assert_eq!(h.submitted().len(), 1);
	});
}

#[test]
fn a_wrong_entry_is_proven_by_a_report_that_verifies_and_the_rest_passes() {
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		// Column 7 of every row of provider 1's device 0 is wrong (in range).
		let corrupt: Vec<(u32, usize, i32)> = (0..SMALL_ROWS).map(|i| (i, 7, 12_345)).collect();
		commit_for_ocw(&h, &[1], &corrupt);
		ocw_at(13);
		let calls = h.submitted();
		assert_eq!(calls.len(), 2, "a fraud proof and the verdicts");
		let fraud = calls
			.iter()
			.find(|c| matches!(c, crate::Call::report_fraud { .. }))
			.expect("a report_fraud");
		let crate::Call::report_fraud { proof, .. } = fraud else { unreachable!() };
		assert_eq!((proof.provider.clone(), proof.device, proof.column), (account(1), 0, 7));
		assert!(authorize(fraud).is_ok(), "the proof verifies on-chain");
		assert_eq!(h.verdicts()[0].devices.to_vec(), vec![(1, Verdict::Pass)]);
		assert_ok!(dispatch_fraud(fraud.clone()));
		assert_eq!(events().iter().filter(|e| matches!(e, Event::FraudProven { .. })).count(), 1);
	});
}

#[test]
fn failed_answers_are_retried_once_a_block_with_the_same_rows_then_vetoed_naming_them() {
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		// Provider 1 times out, then fails to connect, then answers 500; providers 2..=4 answer
		// too much, a bad path, 503 every time; provider 5 is honest.
		commit_for_ocw(&h, &[1, 2, 3, 4, 5], &[]);
		h.set_mode(1, Mode::Seq(vec![Mode::Timeout, Mode::Io, Mode::Status(500)]));
		h.set_mode(2, Mode::Oversized);
		h.set_mode(3, Mode::BadPath);
		h.set_mode(4, Mode::Status(503));
		ocw_at(13);
		Attestation::offchain_worker(13);
		assert_eq!(h.requests().len(), 5, "one attempt per provider a block");
		assert_eq!(h.verdicts().len(), 1, "the honest provider's verdict goes out at once");
		ocw_at(14);
		assert_eq!(h.verdicts().len(), 1, "nothing final after two attempts");
		ocw_at(15);
		let requests = h.requests();
		assert_eq!(requests.len(), 5 + 4 + 4, "three attempts (http_attempts) for the failing");
		let calls = h.submitted();
		assert_eq!(calls.len(), 2);
		assert!(authorize(&calls[1]).is_ok());
		let verdicts = h.verdicts();
		for seed in 1..=4u8 {
			let asked: Vec<_> = requests.iter().filter(|(s, _)| *s == seed).collect();
			let first = &asked[0].1.rows;
			for later in &asked[1..] {
				for device in &later.1.rows {
					assert!(first.contains(device), "retries reuse the rows of {seed}");
				}
			}
			let v = verdicts.iter().find(|v| v.provider == account(seed)).unwrap();
			let last = &asked[2].1.rows;
			let vetoed: Vec<(u32, Vec<u32>)> = v
				.devices
				.iter()
				.filter_map(|(d, verdict)| match verdict {
					Verdict::Unavailable { rows } => Some((*d, rows.to_vec())),
					Verdict::Pass => None,
				})
				.collect();
			assert_eq!(&vetoed, last, "the veto names the drawn rows of {seed}");
		}
		// The bad path was on device 0 only: device 1 passed at the first attempt, and only
		// device 0 was asked again.
		let v3 = verdicts.iter().find(|v| v.provider == account(3)).unwrap();
		assert_eq!(v3.devices[1], (1, Verdict::Pass));
		assert_eq!(requests.iter().rfind(|(s, _)| *s == 3).unwrap().1.rows.len(), 1);
		assert_ok!(dispatch_verdicts(calls[1].clone()));
		assert_eq!(RoundVetoes::<Test>::get(0, 0), 7);
		ocw_at(16);
		assert_eq!(h.requests().len(), 13, "nothing after the verdicts");
	});
}

#[test]
fn the_drawn_rows_depend_on_the_round_seed_and_the_epoch_material_is_kept() {
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		commit_for_ocw(&h, &[1], &[]);
		h.set_mode(1, Mode::Timeout);
		ocw_at(13);
		let record = Rounds::<Test>::get(0).unwrap();
		let stored = |key: Vec<u8>| h.offchain.read().persistent_storage.get(&key);
		let epoch: EpochState =
			Decode::decode(&mut &stored(driver::epoch_key(&record.epoch_seed)).unwrap()[..])
				.unwrap();
		let stream_b = ChaCha8::new(&matrix::key_b::<Blake2Rust>(&record.epoch_seed.0));
		assert_eq!(epoch.next_column, 64);
		assert_eq!(
			epoch.br,
			crucible_primitives::challenge::freivalds::br(&stream_b, record.shape, &epoch.r)
		);
		// Another private seed later in the epoch: r and Br are not drawn again.
		h.offchain.write().seed = [8; 32];
		ocw_at(14);
		let again: EpochState =
			Decode::decode(&mut &stored(driver::epoch_key(&record.epoch_seed)).unwrap()[..])
				.unwrap();
		assert_eq!(again, epoch);
		let work: ProviderWork = Decode::decode(
			&mut &stored(driver::work_key(&record.round_seed, &account(1))).unwrap()[..],
		)
		.unwrap();
		assert_eq!(work.attempts, 2);
		// The same round index with another seed (a reorg): new work, new rows.
		let other = H256::repeat_byte(0x42);
		Rounds::<Test>::mutate(0, |r| r.as_mut().unwrap().round_seed = other);
		ocw_at(15);
		let requests = h.requests();
		assert_eq!(requests.len(), 3);
		assert_eq!(requests[2].1.round_seed, other);
		assert_ne!(requests[2].1.rows, requests[0].1.rows, "a new round seed draws new rows");
		assert!(stored(driver::work_key(&other, &account(1))).is_some());
	});
}

#[test]
fn a_provider_locked_by_a_running_worker_is_skipped_and_checked_once() {
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		commit_for_ocw(&h, &[1], &[]);
		run_to(13);
		let record = Rounds::<Test>::get(0).unwrap();
		let key = driver::lock_key(&record.round_seed, &account(1));
		{
			let mut lock =
				sp_runtime::offchain::storage_lock::StorageLock::<
					sp_runtime::offchain::storage_lock::BlockAndTime<System>,
				>::with_block_and_time_deadline(&key, 2, OcwDuration::from_millis(30_000));
			let _guard = lock.try_lock().expect("free");
			Attestation::offchain_worker(13);
			assert!(h.requests().is_empty(), "an overlapping run leaves it alone");
		}
		Attestation::offchain_worker(13);
		Attestation::offchain_worker(13);
		assert_eq!(h.requests().len(), 1);
		assert_eq!(h.submitted().len(), 1, "one submission");
	});
}

#[test]
fn without_a_snapshot_key_or_outside_the_check_window_nothing_is_done() {
	let (mut ext, h) = ocw_ext(2, None);
	ext.execute_with(|| {
		commit_for_ocw(&h, &[1], &[]);
		ocw_at(13);
		assert!(h.requests().is_empty() && h.submitted().is_empty());
	});
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		commit_for_ocw(&h, &[1], &[]);
		let close = Rounds::<Test>::get(0).unwrap().close_at;
		// c − 1: a verdict would be validated at c and refused.
		ocw_at((close - 1).into());
		assert!(h.requests().is_empty() && h.submitted().is_empty());
	});
}

#[test]
fn host_names_and_private_addresses_are_not_fetched_with_the_flag_off() {
	let (mut ext, h) = ocw_ext(1, Some(0));
	ext.execute_with(|| {
		ALLOW_PRIVATE.with(|a| *a.borrow_mut() = false);
		commit_for_ocw(&h, &[1, 2, 3], &[]);
		set_endpoint(1, b"http://worker.example.com:8844");
		set_endpoint(2, b"http://10.0.0.5:8844");
		set_endpoint(3, b"http://93.184.216.3:8844");
		for block in 13..=15 {
			ocw_at(block);
		}
		let requests = h.requests();
		assert!(requests.iter().all(|(s, _)| *s == 3), "only the public IP literal is fetched");
		let verdicts = h.verdicts();
		for seed in [1u8, 2] {
			let v = verdicts.iter().find(|v| v.provider == account(seed)).unwrap();
			assert!(v
				.devices
				.iter()
				.all(|(_, d)| matches!(d, Verdict::Unavailable { rows } if rows.len() == 16)));
		}
		let v = verdicts.iter().find(|v| v.provider == account(3)).unwrap();
		assert!(v.devices.iter().all(|(_, d)| *d == Verdict::Pass));
	});
}
