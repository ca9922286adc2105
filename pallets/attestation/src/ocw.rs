//! What a validator's off-chain worker decides, as plain functions: which rows it opens, in what
//! order it visits providers, how it reads a worker's answer, and each device's verdict or
//! fraud proof. The driver (offchain storage, locks, HTTP, submission) builds on these.
//!
//! Rows, the visiting order and the Freivalds vector come from the validator's private
//! randomness (`sp_io::offchain::random_seed()`), drawn after the roots are in state; rows are
//! drawn once per (round, provider, validator) and reused on every retry.

use alloc::vec::Vec;
use codec::Decode;
use crucible_primitives::{
	attestation::{DeviceCommit, DeviceOpenings, FraudProof},
	challenge::{chacha::ChaCha8, freivalds, matrix, merkle, Blake2, Shape},
	providers::DeviceId,
	AccountId,
};
use sp_core::H256;

use crate::{types::RoundRecord, SpIoBlake2};

/// Domain tag of a device's row draw.
const TAG_ROWS: &[u8] = b"crucible/attest/ocw/rows/v1";
/// Domain tag of the visiting order.
const TAG_ORDER: &[u8] = b"crucible/attest/ocw/order/v1";

/// A uniform draw below `bound` (> 0) from the stream, by rejection (no modulo bias).
fn below(stream: &ChaCha8, pos: &mut u64, bound: u32) -> u32 {
	let zone = u32::MAX - (u32::MAX % bound);
	loop {
		let mut w = [0u8; 4];
		stream.fill(*pos, &mut w);
		*pos += 4;
		let v = u32::from_le_bytes(w);
		if v < zone {
			return v % bound;
		}
	}
}

fn stream_of(tag: &[u8], seed: &[u8; 32], device: DeviceId) -> ChaCha8 {
	let mut buf = tag.to_vec();
	buf.extend_from_slice(seed);
	buf.extend_from_slice(&device.to_le_bytes());
	ChaCha8::new(&SpIoBlake2::blake2_256(&buf))
}

/// `count` distinct rows below `rows` (all of them, sorted, when `count` ≥ `rows`), drawn from
/// the validator's private `seed` for this (round, provider) and the device.
pub fn draw_rows(seed: &[u8; 32], device: DeviceId, rows: u32, count: u32) -> Vec<u32> {
	if count >= rows {
		return (0..rows).collect();
	}
	let stream = stream_of(TAG_ROWS, seed, device);
	let mut pos = 0u64;
	let mut out: Vec<u32> = Vec::with_capacity(count as usize);
	while out.len() < count as usize {
		let r = below(&stream, &mut pos, rows);
		if !out.contains(&r) {
			out.push(r);
		}
	}
	out
}

/// The order in which to visit `n` providers: a Fisher–Yates shuffle from the private `seed`.
pub fn visit_order(seed: &[u8; 32], n: u32) -> Vec<u32> {
	let stream = stream_of(TAG_ORDER, seed, 0);
	let mut pos = 0u64;
	let mut order: Vec<u32> = (0..n).collect();
	for i in (1..n).rev() {
		let j = below(&stream, &mut pos, i + 1);
		order.swap(i as usize, j as usize);
	}
	order
}

/// A worker's answer, decoded: `None` if it is longer than `cap`, malformed, or has trailing
/// bytes.
pub fn decode_answer(body: &[u8], cap: u64) -> Option<Vec<DeviceOpenings>> {
	if body.len() as u64 > cap {
		return None;
	}
	let mut input = body;
	let answer = Vec::<DeviceOpenings>::decode(&mut input).ok()?;
	input.is_empty().then_some(answer)
}

/// What a validator concludes about one committed device.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DeviceCheck {
	/// Every drawn row came with a good path, in range, and passed Freivalds' check.
	Pass,
	/// A row with a good path is wrong: the proof to submit.
	Fraud(FraudProof<AccountId>),
	/// Some drawn row was missing or its path bad: the rows to veto with.
	Unavailable(Vec<u32>),
}

/// The epoch's private check material: r and Br = B·r.
pub struct EpochCheck {
	/// The epoch's seed.
	pub epoch_seed: H256,
	/// The private vector r ∈ [0, p)^N.
	pub r: Vec<u64>,
	/// B·r mod p (K elements).
	pub br: Vec<u64>,
}

impl EpochCheck {
	/// r from the private `seed`, and Br over the epoch's B (O(K·N), once per epoch).
	pub fn new(epoch_seed: H256, shape: Shape, seed: &[u8; 32]) -> Self {
		let r = freivalds::draw_r(seed, shape.n);
		let stream_b = ChaCha8::new(&matrix::key_b::<SpIoBlake2>(&epoch_seed.0));
		let br = freivalds::br(&stream_b, shape, &r);
		Self { epoch_seed, r, br }
	}
}

/// Checks a device's answer for the `drawn` rows against its committed `entry`: each row must
/// be there with N values and a path to the root (else `Unavailable`), in range and passing
/// Freivalds' check (else `Fraud`, naming the first out-of-range entry or the first that
/// differs from its recomputation).
pub fn check_device(
	record: &RoundRecord,
	round: u64,
	provider: &AccountId,
	entry: &DeviceCommit,
	drawn: &[u32],
	answer: Option<&DeviceOpenings>,
	epoch: &EpochCheck,
) -> DeviceCheck {
	let shape = record.shape;
	let unavailable = || DeviceCheck::Unavailable(drawn.to_vec());
	let Some(answer) = answer.filter(|a| a.device == entry.device) else { return unavailable() };
	let provider_bytes: [u8; 32] = provider.clone().into();
	let key_a = matrix::key_a::<SpIoBlake2>(&record.round_seed.0, &provider_bytes, entry.device);
	let stream_a = ChaCha8::new(&key_a);
	let stream_b = ChaCha8::new(&matrix::key_b::<SpIoBlake2>(&epoch.epoch_seed.0));
	// Paths first: a bad path anywhere is a veto, never a proof.
	let mut opened = Vec::with_capacity(drawn.len());
	for row in drawn {
		let Some(o) = answer.rows.iter().find(|o| o.index == *row) else { return unavailable() };
		if o.values.len() != shape.n as usize {
			return unavailable();
		}
		let leaf =
			merkle::leaf::<SpIoBlake2>(round, &provider_bytes, entry.device, *row, &o.values);
		let path: Vec<[u8; 32]> = o.path.iter().map(|h| h.0).collect();
		if !merkle::verify::<SpIoBlake2>(&leaf, *row, entry.rows, &path, &entry.root.0) {
			return unavailable();
		}
		opened.push(o);
	}
	let mut a = alloc::vec![0i8; shape.k as usize];
	for o in opened {
		matrix::a_row(&stream_a, shape, o.index, &mut a);
		let in_range = o.values.iter().all(|v| matrix::in_range(*v, shape));
		if in_range && freivalds::check_row(&o.values, &epoch.r, &a, &epoch.br) {
			continue;
		}
		let Some(column) = matrix::find_wrong_column(&o.values, &a, &stream_b, shape) else {
			// Freivalds' equation failed on a right row: impossible with exact arithmetic.
			continue;
		};
		return DeviceCheck::Fraud(FraudProof {
			round,
			provider: provider.clone(),
			device: entry.device,
			row: o.index,
			values: o.values.clone().try_into().expect("N values, checked above"),
			path: o.path.clone().try_into().expect("a verified path is at most 32 long"),
			column,
		});
	}
	DeviceCheck::Pass
}
