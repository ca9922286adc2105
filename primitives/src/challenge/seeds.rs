//! The seeds of epochs and rounds, and the opening rule, all taken from the parent block.
//!
//! They are public from the import of the parent, whose author can grind them by re-sealing
//! (force or suppress an opening); `docs/attestation.md` says what that buys.

use super::{hash_concat, Blake2};

/// Domain tag of an epoch seed.
pub const TAG_EPOCH: &[u8] = b"crucible/attest/epoch/v1";
/// Domain tag of a round seed.
pub const TAG_ROUND: &[u8] = b"crucible/attest/round/v1";
/// Domain tag of the opening draw.
pub const TAG_OPEN: &[u8] = b"crucible/attest/open/v1";

/// `blake2_256("crucible/attest/epoch/v1" ‖ genesis_hash ‖ epoch_u32_le ‖ parent_hash)`.
pub fn epoch_seed<H: Blake2>(genesis: &[u8; 32], epoch: u32, parent: &[u8; 32]) -> [u8; 32] {
	hash_concat::<H>(&[TAG_EPOCH, genesis, &epoch.to_le_bytes(), parent])
}

/// `blake2_256("crucible/attest/round/v1" ‖ genesis_hash ‖ round_u64_le ‖ parent_hash)`.
pub fn round_seed<H: Blake2>(genesis: &[u8; 32], round: u64, parent: &[u8; 32]) -> [u8; 32] {
	hash_concat::<H>(&[TAG_ROUND, genesis, &round.to_le_bytes(), parent])
}

/// Whether a block whose parent is `parent` opens a round, given that it is at least
/// `min_round_gap` and less than `max_round_gap` blocks after the last opening:
/// `u64_le(blake2_256("crucible/attest/open/v1" ‖ parent_hash)[..8]) % round_hazard == 0`.
/// (At `max_round_gap` a round opens surely; the caller decides that.) A hazard of 0 is taken
/// as 1.
pub fn hazard_opens<H: Blake2>(parent: &[u8; 32], round_hazard: u32) -> bool {
	let h = hash_concat::<H>(&[TAG_OPEN, parent]);
	let draw = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
	draw.is_multiple_of(u64::from(round_hazard.max(1)))
}
