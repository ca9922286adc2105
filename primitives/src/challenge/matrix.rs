//! The matrices: keys, entries, rows of A, columns of B, the exact product and one recomputed
//! entry.
//!
//! A (rows × K) is row-major: `A[i][k]` is the entry of byte `i·K + k` of the stream of
//! [`key_a`], so row `i` starts at block `i·K/64`. B (K × N) is column-major: `B[k][j]` is the
//! entry of byte `j·K + k` of the stream of [`key_b`], so column `j` starts at block `j·K/64`.
//! Any row of A or column of B costs O(K) to generate, and both are K-contiguous.

use super::{
	chacha::{ChaCha8, BLOCK_BYTES},
	hash_concat, Blake2, Shape,
};
use alloc::vec::Vec;

/// Domain tag of the key of A.
pub const TAG_A: &[u8] = b"crucible/attest/A/v1";
/// Domain tag of the key of B.
pub const TAG_B: &[u8] = b"crucible/attest/B/v1";
/// The largest magnitude of an entry: bytes map into [-127, 127].
pub const MAX_ENTRY: i32 = 127;

/// The entry a stream byte gives: the byte as `i8`, with -128 raised to -127, so that entries
/// are symmetric and a product entry is bounded by 16,129·K.
#[inline(always)]
pub fn entry(byte: u8) -> i8 {
	(byte as i8).max(-127)
}

/// `key_A = blake2_256("crucible/attest/A/v1" ‖ round_seed ‖ provider ‖ device_u32_le)`.
pub fn key_a<H: Blake2>(round_seed: &[u8; 32], provider: &[u8; 32], device: u32) -> [u8; 32] {
	hash_concat::<H>(&[TAG_A, round_seed, provider, &device.to_le_bytes()])
}

/// `key_B = blake2_256("crucible/attest/B/v1" ‖ epoch_seed)`.
pub fn key_b<H: Blake2>(epoch_seed: &[u8; 32]) -> [u8; 32] {
	hash_concat::<H>(&[TAG_B, epoch_seed])
}

/// Fills `out` with the entries of the stream from byte `pos` on.
pub fn fill_entries(stream: &ChaCha8, pos: u64, out: &mut [i8]) {
	let mut counter = pos / BLOCK_BYTES as u64;
	let mut skip = (pos % BLOCK_BYTES as u64) as usize;
	let mut done = 0usize;
	while done < out.len() {
		let block = stream.block(counter);
		let take = (BLOCK_BYTES - skip).min(out.len() - done);
		for (o, b) in out[done..done + take].iter_mut().zip(&block[skip..skip + take]) {
			*o = entry(*b);
		}
		done += take;
		skip = 0;
		counter = counter.wrapping_add(1);
	}
}

/// Row `i` of A (`out.len()` = K).
pub fn a_row(stream_a: &ChaCha8, shape: Shape, i: u32, out: &mut [i8]) {
	debug_assert_eq!(out.len(), shape.k as usize);
	fill_entries(stream_a, u64::from(i) * u64::from(shape.k), out);
}

/// Column `j` of B (`out.len()` = K).
pub fn b_col(stream_b: &ChaCha8, shape: Shape, j: u32, out: &mut [i8]) {
	debug_assert_eq!(out.len(), shape.k as usize);
	fill_entries(stream_b, u64::from(j) * u64::from(shape.k), out);
}

/// All of B, column-major (N·K entries): once per epoch for whoever computes whole rows.
pub fn b_matrix(stream_b: &ChaCha8, shape: Shape) -> Vec<i8> {
	let mut b = alloc::vec![0i8; shape.k as usize * shape.n as usize];
	fill_entries(stream_b, 0, &mut b);
	b
}

/// The exact dot product of two K-long vectors of entries. With K ≤ 65,536 and entries in
/// [-127, 127] every partial sum is within ±1,057,030,144, so `i32` is exact; the additions wrap
/// (never panic) should a caller pass longer vectors.
#[inline]
pub fn dot(a: &[i8], b: &[i8]) -> i32 {
	a.iter().zip(b).fold(0i32, |acc, (x, y)| acc.wrapping_add(i32::from(*x) * i32::from(*y)))
}

/// Row `i` of C = A·B from row `i` of A and all of B (column-major), the reference product.
pub fn c_row(a_row: &[i8], b: &[i8], shape: Shape, out: &mut [i32]) {
	let k = shape.k as usize;
	for (j, o) in out.iter_mut().enumerate().take(shape.n as usize) {
		*o = dot(a_row, &b[j * k..(j + 1) * k]);
	}
}

/// Entry `C[i][j]`, recomputed from the keys in O(K): what a fraud proof is checked against.
pub fn recompute_entry(key_a: &[u8; 32], key_b: &[u8; 32], shape: Shape, i: u32, j: u32) -> i32 {
	let k = shape.k as usize;
	let mut a = alloc::vec![0i8; k];
	let mut b = alloc::vec![0i8; k];
	a_row(&ChaCha8::new(key_a), shape, i, &mut a);
	b_col(&ChaCha8::new(key_b), shape, j, &mut b);
	dot(&a, &b)
}

/// The bound on the magnitude of an entry of C: 16,129·K.
pub fn max_output(shape: Shape) -> i64 {
	i64::from(MAX_ENTRY * MAX_ENTRY) * i64::from(shape.k)
}

/// Whether `value` can be an entry of C at this shape.
pub fn in_range(value: i32, shape: Shape) -> bool {
	i64::from(value).abs() <= max_output(shape)
}

/// The column a fraud proof should name for a row whose values are wrong, or `None` if every
/// value is right: the first out-of-range entry, else the first entry that differs from its
/// recomputation (O(K) per column tried; O(K·N) at worst).
pub fn find_wrong_column(
	values: &[i32],
	a_row: &[i8],
	stream_b: &ChaCha8,
	shape: Shape,
) -> Option<u32> {
	if let Some(j) = values.iter().position(|v| !in_range(*v, shape)) {
		return Some(j as u32);
	}
	let mut col = alloc::vec![0i8; shape.k as usize];
	for (j, v) in values.iter().enumerate() {
		b_col(stream_b, shape, j as u32, &mut col);
		if dot(a_row, &col) != *v {
			return Some(j as u32);
		}
	}
	None
}
