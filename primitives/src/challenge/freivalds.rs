//! Freivalds' check modulo the Mersenne prime p = 2^31 − 1, and the range check.
//!
//! A validator draws a private r ∈ [0, p)^N once per epoch, computes Br = B·r once, and checks
//! each opened row: Σ_j C_ij·r_j ≡ Σ_k A_ik·(Br)_k (mod p). Entries of C are bounded by
//! 16,129·K ≤ 1,057,030,144 < (p − 1)/2, so C mod p is injective on in-range values and a wrong
//! row passes with probability 1/p. Arithmetic is `u64` with one reduction per product (wasm
//! has no 64×64→128 multiply).

use super::{chacha::ChaCha8, matrix::b_col, Shape};
use alloc::vec::Vec;

/// The modulus, 2^31 − 1.
pub const P: u64 = (1 << 31) - 1;

/// `v` reduced below 2^32 for `v` < 2^62 (one Mersenne fold: congruent to `v` mod p).
#[inline(always)]
fn fold(v: u64) -> u64 {
	(v & P) + (v >> 31)
}

/// `v` mod p for any `v` < 2^64: two folds leave at most p + 7, one subtraction the rest.
#[inline(always)]
pub fn reduce(v: u64) -> u64 {
	let v = fold(fold(v));
	if v >= P {
		v - P
	} else {
		v
	}
}

/// An `i32` as a field element.
#[inline(always)]
pub fn field_i32(v: i32) -> u64 {
	// No division: y is in [−1, p], one correction either way.
	let x = i64::from(v);
	let p = P as i64;
	let y = if x < 0 { x + p } else { x };
	(if y < 0 {
		y + p
	} else if y >= p {
		y - p
	} else {
		y
	}) as u64
}

/// An `i8` entry as a field element.
#[inline(always)]
pub fn field_i8(v: i8) -> u64 {
	if v < 0 {
		P - (-i64::from(v)) as u64
	} else {
		v as u64
	}
}

/// N elements of [0, p) drawn from a private 32-byte seed (ChaCha8 stream of the seed, 4 bytes
/// little-endian each, the top bit cleared, the value p rejected).
pub fn draw_r(seed: &[u8; 32], n: u32) -> Vec<u64> {
	let stream = ChaCha8::new(seed);
	let mut out = Vec::with_capacity(n as usize);
	let mut counter = 0u64;
	while out.len() < n as usize {
		let block = stream.block(counter);
		counter += 1;
		for w in block.chunks_exact(4) {
			let v = u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]) & 0x7fff_ffff);
			if v != P && out.len() < n as usize {
				out.push(v);
			}
		}
	}
	out
}

/// Adds columns `from..to` of B, weighted by r, into `br` (K elements, each kept < 2^32 + p):
/// Br in chunks, so that an off-chain worker can spread it over several runs. [`finish_br`]
/// reduces the sums.
pub fn accumulate_br(
	stream_b: &ChaCha8,
	shape: Shape,
	r: &[u64],
	from: u32,
	to: u32,
	br: &mut [u64],
) {
	let mut col = alloc::vec![0i8; shape.k as usize];
	for j in from..to.min(shape.n) {
		b_col(stream_b, shape, j, &mut col);
		let rj = r[j as usize];
		for (acc, a) in br.iter_mut().zip(&col) {
			*acc = reduce(*acc + fold(field_i8(*a) * rj));
		}
	}
}

/// Br = B·r mod p (K elements), O(K·N).
pub fn br(stream_b: &ChaCha8, shape: Shape, r: &[u64]) -> Vec<u64> {
	let mut out = alloc::vec![0u64; shape.k as usize];
	accumulate_br(stream_b, shape, r, 0, shape.n, &mut out);
	out
}

/// Σ_j x_j·r_j mod p.
pub fn row_times_r(values: &[i32], r: &[u64]) -> u64 {
	// Each folded product is < 2^32, so 2^31 of them fit in the accumulator.
	reduce(values.iter().zip(r).fold(0u64, |acc, (v, r)| acc + fold(field_i32(*v) * r)))
}

/// Σ_k A_ik·(Br)_k mod p.
pub fn a_row_times_br(a_row: &[i8], br: &[u64]) -> u64 {
	reduce(a_row.iter().zip(br).fold(0u64, |acc, (a, b)| acc + fold(field_i8(*a) * b)))
}

/// Whether an opened row passes Freivalds' check.
pub fn check_row(values: &[i32], r: &[u64], a_row: &[i8], br: &[u64]) -> bool {
	row_times_r(values, r) == a_row_times_br(a_row, br)
}
