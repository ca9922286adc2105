//! The attestation challenge: byte-exact, `no_std`, shared by the runtime, the validators'
//! off-chain workers and the `crucible-worker` client. Consensus-critical: the committed test
//! vectors (`primitives/vectors/challenge-v1.json`) fix every byte.
//!
//! A device of a provider is challenged with C = A·B, INT8 × INT8 → INT32, exact:
//! - A (rows × K) per (round, provider, device) and B (K × N) per attestation epoch, both
//!   ChaCha8 streams ([`chacha`]) of keys derived with BLAKE2b-256 ([`matrix::key_a`],
//!   [`matrix::key_b`]), each byte `b` an entry `max(b as i8, −127)`; any row of A or column of B
//!   costs O(K);
//! - the commitment is a Merkle root over full output rows ([`merkle`]);
//! - a validator checks an opened row against the root, the range |C_ij| ≤ 16,129·K and
//!   Freivalds' equation modulo 2^31 − 1 with a private vector ([`freivalds`]); a fraud proof is
//!   one entry recomputed in O(K) ([`matrix::recompute_entry`]);
//! - the number of rows follows from a device's calibrated rate, the round's time target and the
//!   device's share ([`rows_for`]); seeds come from the parent block ([`seeds`]).
//!
//! Hashing goes through [`Blake2`]: the `sp_io` host function on-chain and in the off-chain
//! worker, [`Blake2Rust`] (pure Rust, `sp-crypto-hashing`) in the worker and in tests. Both give
//! the same bytes.

pub mod chacha;
pub mod freivalds;
pub mod matrix;
pub mod merkle;
pub mod seeds;
#[cfg(test)]
mod tests;

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_runtime::Perbill;

/// BLAKE2b with a 32-byte digest.
pub trait Blake2 {
	/// The 32-byte BLAKE2b digest of `data`.
	fn blake2_256(data: &[u8]) -> [u8; 32];
}

/// [`Blake2`] in pure Rust (`sp-crypto-hashing`), for the worker, tests and native code.
pub enum Blake2Rust {}

impl Blake2 for Blake2Rust {
	fn blake2_256(data: &[u8]) -> [u8; 32] {
		sp_crypto_hashing::blake2_256(data)
	}
}

/// The hash of the concatenation of `parts` (at most 160 bytes in all: every domain-tagged
/// input of the challenge fits).
pub(crate) fn hash_concat<H: Blake2>(parts: &[&[u8]]) -> [u8; 32] {
	let mut buf = [0u8; 160];
	let mut len = 0;
	for part in parts {
		buf[len..len + part.len()].copy_from_slice(part);
		len += part.len();
	}
	H::blake2_256(&buf[..len])
}

/// The largest inner dimension K.
pub const MAX_K: u32 = 65_536;
/// The largest output width N.
pub const MAX_N: u32 = 16_384;
/// K and N are multiples of this (a row of A and a column of B start on a ChaCha block).
pub const DIM_STEP: u32 = 64;
/// The most rows a device can be given.
pub const MAX_ROWS: u32 = 1 << 31;

/// The shape of an epoch's challenge: A is rows × K, B is K × N.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
)]
pub struct Shape {
	/// The inner dimension.
	pub k: u32,
	/// The output width.
	pub n: u32,
}

impl Shape {
	/// The shape, if K and N are non-zero multiples of 64 with K ≤ 65,536 and N ≤ 16,384.
	pub fn new(k: u32, n: u32) -> Option<Self> {
		let ok = |d: u32, max: u32| d > 0 && d <= max && d.is_multiple_of(DIM_STEP);
		(ok(k, MAX_K) && ok(n, MAX_N)).then_some(Self { k, n })
	}
}

/// The rows a device gets: `clamp(ceil(rate·target·share / (2·K·N)), 1, 2^31)` with the rate in
/// GOPS (10^9 INT8 operations a second) and the target in milliseconds, in saturating `u128`.
pub fn rows_for(rate_gops: u64, target_ms: u64, share: Perbill, shape: Shape) -> u32 {
	// ops = rate·10^9 · target/1000 · parts/10^9 = rate · 10^6 · target · parts / 10^9.
	let num = u128::from(rate_gops)
		.saturating_mul(1_000_000)
		.saturating_mul(u128::from(target_ms))
		.saturating_mul(u128::from(share.deconstruct()));
	let den = 1_000_000_000u128 * 2 * u128::from(shape.k) * u128::from(shape.n);
	let rows = num.div_ceil(den);
	rows.clamp(1, u128::from(MAX_ROWS)) as u32
}

/// The blocks after the opening in which commits are accepted:
/// D = ceil(target / (alpha · block time)) + slack (testnet 14, dev 4). `alpha` 0 saturates.
pub fn commit_blocks(target_ms: u64, alpha: Perbill, slack_blocks: u32) -> u32 {
	let num = u128::from(target_ms) * 1_000_000_000;
	let den = u128::from(alpha.deconstruct()) * u128::from(crate::time::MILLI_SECS_PER_BLOCK);
	let d = if den == 0 { u128::from(u32::MAX) } else { num.div_ceil(den) };
	u32::try_from(d).unwrap_or(u32::MAX).saturating_add(slack_blocks)
}

/// The rows each of `validators` validators opens per device:
/// s_v = min(rows, max(min_rows_per_validator, ceil(sample_rows / v))) (v = 0 counts as 1).
pub fn rows_per_validator(
	rows: u32,
	min_rows_per_validator: u32,
	sample_rows: u32,
	validators: u32,
) -> u32 {
	rows.min(min_rows_per_validator.max(sample_rows.div_ceil(validators.max(1))))
}
