//! The commitment: a Merkle tree over full output rows.
//!
//! Leaf `i` = `blake2_256(H_i ‖ C_i as N i32 LE)`, where the header `H_i` is exactly 128 bytes:
//! `"crucible/attest/leaf/v1"` zero-padded to 64 bytes, `round_u64_le`, the provider (32 bytes),
//! `device_u32_le`, `i_u32_le`, zeros (so that `C_i` starts on a BLAKE2b block). A node is
//! `blake2_256("crucible/attest/node/v1" ‖ left ‖ right)`. The tree has 2^depth leaves, depth =
//! ceil(log2 rows), the missing ones `blake2_256("crucible/attest/empty/v1")`; its root is the
//! commitment. A leaf hashes the whole row: a cheaper commitment (a linear sketch C_i·R) would
//! let a worker compute only the rows it is asked for.

use super::{hash_concat, Blake2};
use alloc::vec::Vec;

/// A 32-byte hash.
pub type Hash = [u8; 32];

/// Domain tag of a leaf header (zero-padded to 64 bytes).
pub const LEAF_TAG: &[u8] = b"crucible/attest/leaf/v1";
/// Domain tag of an inner node.
pub const NODE_TAG: &[u8] = b"crucible/attest/node/v1";
/// Domain tag of the padding leaf.
pub const EMPTY_TAG: &[u8] = b"crucible/attest/empty/v1";
/// Bytes of a leaf header.
pub const HEADER_BYTES: usize = 128;
/// The deepest tree: rows ≤ 2^31.
pub const MAX_DEPTH: u32 = 31;

/// The header `H_i` of leaf `row`.
pub fn leaf_header(round: u64, provider: &[u8; 32], device: u32, row: u32) -> [u8; HEADER_BYTES] {
	let mut h = [0u8; HEADER_BYTES];
	h[..LEAF_TAG.len()].copy_from_slice(LEAF_TAG);
	h[64..72].copy_from_slice(&round.to_le_bytes());
	h[72..104].copy_from_slice(provider);
	h[104..108].copy_from_slice(&device.to_le_bytes());
	h[108..112].copy_from_slice(&row.to_le_bytes());
	h
}

/// The leaf of a row, hashing `header ‖ values` through `scratch` (reused across rows).
pub fn leaf_with<H: Blake2>(
	header: &[u8; HEADER_BYTES],
	values: &[i32],
	scratch: &mut Vec<u8>,
) -> Hash {
	scratch.clear();
	scratch.reserve(HEADER_BYTES + 4 * values.len());
	scratch.extend_from_slice(header);
	for v in values {
		scratch.extend_from_slice(&v.to_le_bytes());
	}
	H::blake2_256(scratch)
}

/// The leaf of row `row` with output values `values`.
pub fn leaf<H: Blake2>(
	round: u64,
	provider: &[u8; 32],
	device: u32,
	row: u32,
	values: &[i32],
) -> Hash {
	leaf_with::<H>(&leaf_header(round, provider, device, row), values, &mut Vec::new())
}

/// An inner node.
pub fn node<H: Blake2>(left: &Hash, right: &Hash) -> Hash {
	hash_concat::<H>(&[NODE_TAG, left, right])
}

/// The root of an empty subtree of the given height (height 0: the padding leaf).
pub fn empty<H: Blake2>(height: u32) -> Hash {
	let mut h = H::blake2_256(EMPTY_TAG);
	for _ in 0..height {
		h = node::<H>(&h, &h);
	}
	h
}

/// The depth of the tree over `rows` leaves: ceil(log2 rows) (0 for one row).
pub fn depth(rows: u32) -> u32 {
	match rows {
		0 | 1 => 0,
		r => 32 - (r - 1).leading_zeros(),
	}
}

/// The root over `nodes`, the roots of consecutive subtrees of height `height` from the left,
/// of a tree of depth `depth`, padding with empty subtrees. With `height` 0 the nodes are the
/// leaves. `None` if more nodes are given than the tree has at that height.
pub fn root_over<H: Blake2>(nodes: &[Hash], height: u32, depth: u32) -> Option<Hash> {
	if height > depth || depth > MAX_DEPTH || nodes.len() as u64 > 1u64 << (depth - height) {
		return None;
	}
	let mut level: Vec<Hash> = nodes.to_vec();
	let mut pad = empty::<H>(height);
	for _ in height..depth {
		if level.is_empty() {
			level.push(pad);
		}
		let mut next = Vec::with_capacity(level.len().div_ceil(2));
		for pair in level.chunks(2) {
			next.push(node::<H>(&pair[0], pair.get(1).unwrap_or(&pad)));
		}
		level = next;
		pad = node::<H>(&pad, &pad);
	}
	Some(level.first().copied().unwrap_or(pad))
}

/// The path of node `index` among `nodes` (at `height`, as in [`root_over`]) up to the root of a
/// tree of depth `depth`: its siblings from the bottom up (`depth - height` hashes).
pub fn path_over<H: Blake2>(
	nodes: &[Hash],
	height: u32,
	depth: u32,
	index: u32,
) -> Option<Vec<Hash>> {
	if height > depth || depth > MAX_DEPTH || nodes.len() as u64 > 1u64 << (depth - height) {
		return None;
	}
	if u64::from(index) >= 1u64 << (depth - height) {
		return None;
	}
	let mut path = Vec::with_capacity((depth - height) as usize);
	let mut level: Vec<Hash> = nodes.to_vec();
	let mut pad = empty::<H>(height);
	let mut i = index as usize;
	for _ in height..depth {
		path.push(level.get(i ^ 1).copied().unwrap_or(pad));
		let mut next = Vec::with_capacity(level.len().div_ceil(2));
		for pair in level.chunks(2) {
			next.push(node::<H>(&pair[0], pair.get(1).unwrap_or(&pad)));
		}
		level = next;
		pad = node::<H>(&pad, &pad);
		i >>= 1;
	}
	Some(path)
}

/// The root that `path` (siblings from the bottom up) leads to from `leaf` at `index`.
pub fn root_from_path<H: Blake2>(leaf: &Hash, index: u32, path: &[Hash]) -> Hash {
	let mut h = *leaf;
	for (level, sibling) in path.iter().enumerate() {
		h = if (index >> level) & 1 == 0 { node::<H>(&h, sibling) } else { node::<H>(sibling, &h) };
	}
	h
}

/// Whether `path` proves `leaf` at `index` under `root` in a tree over `rows` leaves: the path
/// has exactly depth(rows) hashes, `index` < rows, and it leads to `root`.
pub fn verify<H: Blake2>(leaf: &Hash, index: u32, rows: u32, path: &[Hash], root: &Hash) -> bool {
	index < rows
		&& path.len() == depth(rows) as usize
		&& root_from_path::<H>(leaf, index, path) == *root
}
