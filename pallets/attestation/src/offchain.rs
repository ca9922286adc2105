//! The off-chain worker's driver: persistent offchain storage, locks, the HTTP requests for row
//! openings, and the transactions it submits. The decisions themselves are in [`crate::ocw`].
//!
//! It runs on each new best block in validators holding a key of the open round's snapshot:
//! - per epoch, the private r and Br = B·r (by `epoch_seed`, in column chunks across runs);
//! - per committed provider, once: `s_v` distinct rows per device, drawn from the private seed
//!   and stored by (`round_seed`, provider), so every retry asks for the same rows;
//! - per run, at most [`crate::Config::OcwProvidersPerRun`] providers, each under a
//!   `StorageLock<BlockAndTime>` by (`round_seed`, provider), visited in an order drawn from the
//!   private seed, asked in parallel with one signed POST each and at most
//!   [`HTTP_WAIT_MS`] of waiting for all;
//! - one attempt per provider a block, at most `http_attempts`, the last by c − 2; a device whose
//!   rows all check passes, one with a wrong row gets a `report_fraud`, one without a good answer
//!   after the last attempt is vetoed naming its rows. Verdicts go out as soon as they are final.
//!
//! Every key includes a seed of the fork it was drawn on (`epoch_seed` or `round_seed`), so a
//! reorg that changes a round's seeds starts its work afresh.

use alloc::{format, string::String, vec::Vec};
use codec::{Decode, Encode};
use crucible_primitives::{
	attestation::{
		self, AttestationKey, DeviceCommit, ProviderVerdict, Verdict, MAX_VERDICT_PROVIDERS,
	},
	challenge::{chacha::ChaCha8, freivalds, matrix, merkle, rows_per_validator, Blake2},
	endpoint,
	providers::{DeviceId, ProviderRegistry},
	AccountId, BlockNumber,
};
use frame_support::{traits::Get, BoundedVec};
use frame_system::offchain::SubmitTransaction;
use sp_core::{
	offchain::{Duration, HttpRequestStatus, Timestamp},
	H256,
};
use sp_runtime::{
	offchain::{
		storage::StorageValueRef,
		storage_lock::{BlockAndTime, StorageLock},
	},
	RuntimeAppPublic,
};

use crate::{
	ocw::{self, DeviceCheck, EpochCheck},
	pallet::{Call, Commits, Config, OpenRound, Params, Rounds, Snapshots},
	types::{CommitRecord, RoundRecord},
	SpIoBlake2,
};

/// The longest a run waits for all its HTTP answers, bodies included.
pub const HTTP_WAIT_MS: u64 = 2_000;
/// The most products of B's entries one run spends on Br (a testnet epoch's in one run).
pub const BR_ENTRIES_PER_RUN: u64 = 1 << 28;
/// The longest endpoint the registry stores.
const MAX_ENDPOINT_BYTES: usize = 128;

const KEY_EPOCH: &[u8] = b"crucible/attest/ocw/epoch/";
const KEY_WORK: &[u8] = b"crucible/attest/ocw/work/";
const KEY_LOCK: &[u8] = b"crucible/attest/ocw/lock/";
const TAG_ROUND_ROWS: &[u8] = b"crucible/attest/ocw/provider-seed/v1";
const TAG_RUN_ORDER: &[u8] = b"crucible/attest/ocw/run-order/v1";
/// A provider's lock outlives a crashed run by this many blocks and milliseconds (both).
const LOCK_BLOCKS: u32 = 2;
const LOCK_MS: u64 = 30_000;

/// The epoch's private check material, built over one or more runs.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct EpochState {
	/// The private vector r ∈ [0, p)^N.
	pub r: Vec<u64>,
	/// B·r accumulated over columns `..next_column`.
	pub br: Vec<u64>,
	/// The next column of B to add (N when Br is complete).
	pub next_column: u32,
}

/// What a validator has done about one provider in one round.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug, Default)]
pub struct ProviderWork {
	/// The rows drawn per committed device, once, reused on every retry.
	pub rows: Vec<(DeviceId, Vec<u32>)>,
	/// HTTP attempts made.
	pub attempts: u32,
	/// The block of the last attempt (one a block).
	pub last_attempt: Option<BlockNumber>,
	/// Devices decided `Pass`.
	pub passed: Vec<DeviceId>,
	/// Devices proven wrong (a `report_fraud` submitted).
	pub proven: Vec<DeviceId>,
	/// The verdicts went out.
	pub done: bool,
}

fn key(prefix: &[u8], parts: &[&[u8]]) -> Vec<u8> {
	let mut k = prefix.to_vec();
	for p in parts {
		k.extend_from_slice(p);
	}
	k
}

/// The storage key of a provider's work in a round (by `round_seed`: fork-safe).
pub fn work_key(round_seed: &H256, provider: &AccountId) -> Vec<u8> {
	key(KEY_WORK, &[round_seed.as_bytes(), provider.as_ref()])
}

/// The storage key of a provider's lock in a round.
pub fn lock_key(round_seed: &H256, provider: &AccountId) -> Vec<u8> {
	key(KEY_LOCK, &[round_seed.as_bytes(), provider.as_ref()])
}

/// The storage key of an epoch's check material (by `epoch_seed`: fork-safe).
pub fn epoch_key(epoch_seed: &H256) -> Vec<u8> {
	key(KEY_EPOCH, &[epoch_seed.as_bytes()])
}

/// Why a provider's attempt found no answer (logged; every one is a failed attempt).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Failure {
	/// The endpoint is not an address the worker may fetch.
	NotFetchable,
	/// The request could not be started.
	Start,
	/// No answer before the deadline.
	Timeout,
	/// The connection failed.
	Io,
	/// An answer other than 200.
	Status(u16),
	/// A body longer than the cap, malformed, or with trailing bytes.
	Body,
}

/// One run of the off-chain worker at best block `now`.
pub fn run<T: Config>(now: BlockNumber) {
	let Some(round) = OpenRound::<T>::get() else { return };
	let Some(record) = Rounds::<T>::get(round) else { return };
	// Commits land after the opening; a verdict must be included before the close, and one
	// submitted at c − 2 is validated as of c − 1.
	if now <= record.opened_at || now.saturating_add(2) > record.close_at {
		return;
	}
	let Some((index, key)) = local_key::<T>(round) else { return };
	let Some(epoch) = epoch_check(&record) else { return };
	let committed: Vec<(AccountId, CommitRecord<T::MaxDevices>)> =
		Commits::<T>::iter_prefix(round).collect();
	if committed.is_empty() {
		return;
	}
	let private = sp_io::offchain::random_seed();
	let mut order_seed = TAG_RUN_ORDER.to_vec();
	order_seed.extend_from_slice(&private);
	order_seed.extend_from_slice(record.round_seed.as_bytes());
	order_seed.extend_from_slice(&now.to_le_bytes());
	let order = ocw::visit_order(&SpIoBlake2::blake2_256(&order_seed), committed.len() as u32);

	// Candidates in the drawn order: not done, not tried in this block.
	let mut candidates: Vec<usize> = Vec::new();
	for i in order {
		let (provider, _) = &committed[i as usize];
		let work = load_work(&record.round_seed, provider).unwrap_or_default();
		if !work.done && work.last_attempt != Some(now) {
			candidates.push(i as usize);
		}
	}
	let lock_keys: Vec<Vec<u8>> =
		candidates.iter().map(|i| lock_key(&record.round_seed, &committed[*i].0)).collect();
	let mut locks: Vec<StorageLock<BlockAndTime<frame_system::Pallet<T>>>> = lock_keys
		.iter()
		.map(|k| {
			StorageLock::with_block_and_time_deadline(
				k,
				LOCK_BLOCKS,
				Duration::from_millis(LOCK_MS),
			)
		})
		.collect();
	let mut guards = Vec::new();
	let mut chosen = Vec::new();
	let per_run = T::OcwProvidersPerRun::get() as usize;
	for (lock, i) in locks.iter_mut().zip(&candidates) {
		if chosen.len() >= per_run {
			break;
		}
		if let Ok(guard) = lock.try_lock() {
			guards.push(guard);
			chosen.push(*i);
		}
	}
	let jobs: Vec<Job> = chosen
		.iter()
		.filter_map(|i| {
			let (provider, commit) = &committed[*i];
			// Read again under the lock: another run may have finished it meanwhile.
			let work = load_work(&record.round_seed, provider).unwrap_or_default();
			(!work.done && work.last_attempt != Some(now)).then(|| {
				let work = draw_if_new(&record, provider, &commit.devices, &private, work);
				Job { provider: provider.clone(), digest: commit.digest, work }
			})
		})
		.collect();
	let allow_private = T::Registry::allow_private_endpoints();
	let genesis = crate::Pallet::<T>::genesis_hash();
	let deadline = sp_io::offchain::timestamp().add(Duration::from_millis(HTTP_WAIT_MS));
	let requests: Vec<Option<Request>> = jobs
		.iter()
		.map(|job| {
			let commit = &committed.iter().find(|(p, _)| *p == job.provider)?.1;
			build_request::<T>(
				&record,
				round,
				&genesis,
				index,
				&key,
				job,
				&commit.devices,
				allow_private,
			)
		})
		.collect();
	let answers = fetch_all(&requests, deadline);

	let http_attempts = Params::<T>::get().http_attempts;
	let mut finals: Vec<(usize, ProviderVerdict<AccountId, T::MaxDevices>)> = Vec::new();
	let mut jobs = jobs;
	for (j, (job, answer)) in jobs.iter_mut().zip(answers).enumerate() {
		let Some(commit) = committed.iter().find(|(p, _)| *p == job.provider).map(|c| &c.1) else {
			continue;
		};
		let decoded = match answer {
			Ok(body) => {
				let cap = requests[j].as_ref().map(|r| r.cap).unwrap_or(0);
				let d = ocw::decode_answer(&body, cap);
				if d.is_none() {
					log::debug!(target: "attestation", "round {round}: {:?} sent a bad body", job.provider);
				}
				d
			}
			Err(failure) => {
				log::debug!(target: "attestation", "round {round}: {:?}: {failure:?}", job.provider);
				None
			}
		};
		let mut pending: Vec<(DeviceId, Vec<u32>)> = Vec::new();
		for entry in commit.devices.iter() {
			if job.work.passed.contains(&entry.device) || job.work.proven.contains(&entry.device) {
				continue;
			}
			let drawn = drawn_rows(&job.work, entry.device);
			let opening =
				decoded.as_ref().and_then(|d| d.iter().find(|o| o.device == entry.device));
			match ocw::check_device(&record, round, &job.provider, entry, &drawn, opening, &epoch) {
				DeviceCheck::Pass => job.work.passed.push(entry.device),
				DeviceCheck::Fraud(proof) => {
					if submit_fraud::<T>(&genesis, &record, index, &key, proof) {
						job.work.proven.push(entry.device);
					} else {
						pending.push((entry.device, drawn));
					}
				}
				DeviceCheck::Unavailable(rows) => pending.push((entry.device, rows)),
			}
		}
		job.work.attempts = job.work.attempts.saturating_add(1);
		job.work.last_attempt = Some(now);
		let last_chance = now.saturating_add(2) >= record.close_at;
		if pending.is_empty() || job.work.attempts >= http_attempts || last_chance {
			let mut devices: Vec<(DeviceId, Verdict)> =
				job.work.passed.iter().map(|d| (*d, Verdict::Pass)).collect();
			for (device, rows) in pending {
				let rows: BoundedVec<_, _> = BoundedVec::truncate_from(rows);
				devices.push((device, Verdict::Unavailable { rows }));
			}
			devices.sort_by_key(|(d, _)| *d);
			if devices.is_empty() {
				// Every device proven: nothing to vote on.
				job.work.done = true;
			} else {
				finals.push((
					j,
					ProviderVerdict {
						provider: job.provider.clone(),
						digest: job.digest,
						devices: BoundedVec::truncate_from(devices),
					},
				));
			}
		}
	}
	for chunk in finals.chunks(MAX_VERDICT_PROVIDERS as usize) {
		let verdicts: BoundedVec<_, _> =
			BoundedVec::truncate_from(chunk.iter().map(|(_, v)| v.clone()).collect());
		if submit_verdicts::<T>(&genesis, &record, round, index, &key, verdicts) {
			for (j, _) in chunk {
				jobs[*j].work.done = true;
			}
		}
	}
	for job in &jobs {
		StorageValueRef::persistent(&work_key(&record.round_seed, &job.provider)).set(&job.work);
	}
	drop(guards);
}

/// A provider being checked in this run.
struct Job {
	provider: AccountId,
	digest: H256,
	work: ProviderWork,
}

/// A request ready to send.
struct Request {
	url: String,
	body: Vec<u8>,
	cap: u64,
}

/// The first of the round's snapshot keys this node's keystore holds, with its index.
fn local_key<T: Config>(round: u64) -> Option<(u32, AttestationKey)> {
	let snapshot = Snapshots::<T>::get(round)?;
	let local = AttestationKey::all();
	snapshot
		.iter()
		.enumerate()
		.find(|(_, (_, k))| local.contains(k))
		.map(|(i, (_, k))| (i as u32, k.clone()))
}

/// The epoch's r and Br, building Br over runs; `None` until it is complete.
fn epoch_check(record: &RoundRecord) -> Option<EpochCheck> {
	let storage_key = epoch_key(&record.epoch_seed);
	let store = StorageValueRef::persistent(&storage_key);
	let shape = record.shape;
	let mut state = match store.get::<EpochState>() {
		Ok(Some(s)) if s.r.len() == shape.n as usize && s.br.len() == shape.k as usize => s,
		_ => {
			let mut seed_input = b"crucible/attest/ocw/r/v1".to_vec();
			seed_input.extend_from_slice(&sp_io::offchain::random_seed());
			seed_input.extend_from_slice(record.epoch_seed.as_bytes());
			let seed = SpIoBlake2::blake2_256(&seed_input);
			EpochState {
				r: freivalds::draw_r(&seed, shape.n),
				br: alloc::vec![0; shape.k as usize],
				next_column: 0,
			}
		}
	};
	if state.next_column < shape.n {
		let columns = (BR_ENTRIES_PER_RUN / u64::from(shape.k)).max(1) as u32;
		let to = state.next_column.saturating_add(columns).min(shape.n);
		let stream_b = ChaCha8::new(&matrix::key_b::<SpIoBlake2>(&record.epoch_seed.0));
		freivalds::accumulate_br(&stream_b, shape, &state.r, state.next_column, to, &mut state.br);
		state.next_column = to;
		store.set(&state);
	}
	(state.next_column >= shape.n).then_some(EpochCheck {
		epoch_seed: record.epoch_seed,
		r: state.r,
		br: state.br,
	})
}

fn load_work(round_seed: &H256, provider: &AccountId) -> Option<ProviderWork> {
	StorageValueRef::persistent(&work_key(round_seed, provider)).get().ok().flatten()
}

/// The provider's work with its rows drawn, if they were not yet: s_v per device from a seed
/// private to this validator, the round's seed and the provider.
fn draw_if_new(
	record: &RoundRecord,
	provider: &AccountId,
	devices: &[DeviceCommit],
	private: &[u8; 32],
	mut work: ProviderWork,
) -> ProviderWork {
	if !work.rows.is_empty() {
		return work;
	}
	let mut input = TAG_ROUND_ROWS.to_vec();
	input.extend_from_slice(private);
	input.extend_from_slice(record.round_seed.as_bytes());
	input.extend_from_slice(provider.as_ref());
	let seed = SpIoBlake2::blake2_256(&input);
	work.rows = devices
		.iter()
		.map(|e| {
			let s_v = rows_per_validator(
				e.rows,
				record.min_rows_per_validator,
				record.sample_rows,
				record.validators,
			);
			(e.device, ocw::draw_rows(&seed, e.device, e.rows, s_v))
		})
		.collect();
	work
}

fn drawn_rows(work: &ProviderWork, device: DeviceId) -> Vec<u32> {
	work.rows.iter().find(|(d, _)| *d == device).map(|(_, r)| r.clone()).unwrap_or_default()
}

/// The signed request for the rows of the provider's undecided devices, or `None` if its
/// endpoint may not be fetched (or the key cannot sign).
#[allow(clippy::too_many_arguments)]
fn build_request<T: Config>(
	record: &RoundRecord,
	round: u64,
	genesis: &H256,
	index: u32,
	key: &AttestationKey,
	job: &Job,
	devices: &[DeviceCommit],
	allow_private: bool,
) -> Option<Request> {
	let view = T::Registry::attestation_view(&job.provider)?;
	if !endpoint::fetchable(&view.endpoint, MAX_ENDPOINT_BYTES, allow_private) {
		log::debug!(target: "attestation", "round {round}: {:?}: endpoint not fetchable", job.provider);
		return None;
	}
	let base = core::str::from_utf8(&view.endpoint).ok()?.trim_end_matches('/');
	let mut rows = Vec::new();
	let mut shape = Vec::new();
	for entry in devices {
		if job.work.passed.contains(&entry.device) || job.work.proven.contains(&entry.device) {
			continue;
		}
		let drawn = drawn_rows(&job.work, entry.device);
		shape.push((drawn.len() as u32, merkle::depth(entry.rows)));
		rows.push((entry.device, drawn));
	}
	let payload = attestation::open_request_payload(
		genesis,
		round,
		&record.round_seed,
		&job.provider,
		index,
		&rows,
	);
	let signature = key.sign(&payload)?;
	let body = attestation::OpenRequest {
		genesis: *genesis,
		round,
		round_seed: record.round_seed,
		provider: job.provider.clone(),
		validator_index: index,
		rows,
		signature,
	}
	.encode();
	Some(Request {
		url: format!("{base}/v1/rounds/{round}/open"),
		body,
		cap: attestation::response_cap(record.shape.n, &shape),
	})
}

/// Sends every request at once and waits for all until `deadline`; each answer's body is read
/// up to one byte past its cap.
fn fetch_all(requests: &[Option<Request>], deadline: Timestamp) -> Vec<Result<Vec<u8>, Failure>> {
	let mut started: Vec<Result<sp_runtime::offchain::http::PendingRequest, Failure>> = requests
		.iter()
		.map(|r| {
			let r = r.as_ref().ok_or(Failure::NotFetchable)?;
			sp_runtime::offchain::http::Request::post(&r.url, alloc::vec![r.body.clone()])
				.add_header("Content-Type", "application/octet-stream")
				.deadline(deadline)
				.send()
				.map_err(|_| Failure::Start)
		})
		.collect();
	let ids: Vec<_> = started.iter().filter_map(|s| s.as_ref().ok().map(|p| p.id)).collect();
	let statuses = sp_io::offchain::http_response_wait(&ids, Some(deadline));
	let mut statuses = statuses.into_iter();
	let mut out = Vec::with_capacity(requests.len());
	for (slot, req) in started.iter_mut().zip(requests) {
		let pending = match slot {
			Ok(p) => p,
			Err(f) => {
				out.push(Err(*f));
				continue;
			}
		};
		let result = match statuses.next() {
			Some(HttpRequestStatus::Finished(200)) => {
				let cap = req.as_ref().map(|r| r.cap).unwrap_or(0);
				read_body(pending.id, cap, deadline)
			}
			Some(HttpRequestStatus::Finished(code)) => Err(Failure::Status(code)),
			Some(HttpRequestStatus::DeadlineReached) | None => Err(Failure::Timeout),
			Some(HttpRequestStatus::IoError) | Some(HttpRequestStatus::Invalid) => Err(Failure::Io),
		};
		out.push(result);
	}
	out
}

/// The body of a finished request, read into one buffer, refused once it passes `cap`.
fn read_body(
	id: sp_core::offchain::HttpRequestId,
	cap: u64,
	deadline: Timestamp,
) -> Result<Vec<u8>, Failure> {
	let mut body = Vec::new();
	let mut chunk = [0u8; 4096];
	loop {
		match sp_io::offchain::http_response_read_body(id, &mut chunk, Some(deadline)) {
			Ok(0) => return Ok(body),
			Ok(n) => {
				body.extend_from_slice(&chunk[..n as usize]);
				if body.len() as u64 > cap {
					return Err(Failure::Body);
				}
			}
			Err(sp_core::offchain::HttpError::DeadlineReached) => return Err(Failure::Timeout),
			Err(_) => return Err(Failure::Io),
		}
	}
}

fn submit<T: Config>(call: Call<T>) -> bool {
	let xt = T::create_authorized_transaction(call.into());
	SubmitTransaction::<T, Call<T>>::submit_transaction(xt).is_ok()
}

fn submit_fraud<T: Config>(
	genesis: &H256,
	record: &RoundRecord,
	index: u32,
	key: &AttestationKey,
	proof: attestation::FraudProof<AccountId>,
) -> bool {
	let payload = attestation::fraud_payload(genesis, proof.round, &record.round_seed, &proof);
	let Some(signature) = key.sign(&payload) else { return false };
	log::info!(
		target: "attestation",
		"round {}: fraud of {:?} device {} row {} column {}",
		proof.round, proof.provider, proof.device, proof.row, proof.column
	);
	submit::<T>(Call::report_fraud { proof, validator_index: index, signature })
}

fn submit_verdicts<T: Config>(
	genesis: &H256,
	record: &RoundRecord,
	round: u64,
	index: u32,
	key: &AttestationKey,
	verdicts: crate::pallet::VerdictsOf<T>,
) -> bool {
	let payload =
		attestation::verdicts_payload(genesis, round, &record.round_seed, index, &verdicts);
	let Some(signature) = key.sign(&payload) else { return false };
	submit::<T>(Call::submit_verdicts {
		round,
		round_seed: record.round_seed,
		validator_index: index,
		verdicts,
		signature,
	})
}
