//! ChaCha8 with a 64-bit block counter, the PRF of the challenge.
//!
//! The djb layout: the constants in words 0–3, the key as 8 little-endian words in 4–11, the
//! 64-bit block counter in words 12–13 (low word first), stream id 0 in words 14–15, 4 double
//! rounds, and the output is the final state plus the input, as 16 little-endian words. Byte `p`
//! of a stream is byte `p % 64` of block `p / 64`. This equals `rand_chacha` 0.3.1's
//! `ChaCha8Rng` at stream 0 (tested, also at counters at and beyond 2^32). RustCrypto's
//! `chacha20::ChaCha8` cipher has a 32-bit counter: the same bytes below 2^32 blocks, unusable
//! beyond (matrix A reaches 2^41 blocks).

/// Bytes in one ChaCha block.
pub const BLOCK_BYTES: usize = 64;

const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

#[inline(always)]
fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
	s[a] = s[a].wrapping_add(s[b]);
	s[d] = (s[d] ^ s[a]).rotate_left(16);
	s[c] = s[c].wrapping_add(s[d]);
	s[b] = (s[b] ^ s[c]).rotate_left(12);
	s[a] = s[a].wrapping_add(s[b]);
	s[d] = (s[d] ^ s[a]).rotate_left(8);
	s[c] = s[c].wrapping_add(s[d]);
	s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// A ChaCha8 keystream (stream id 0) that can be read at any byte position.
#[derive(Clone, Debug)]
pub struct ChaCha8 {
	input: [u32; 16],
}

impl ChaCha8 {
	/// The keystream of `key`.
	pub fn new(key: &[u8; 32]) -> Self {
		let mut input = [0u32; 16];
		input[..4].copy_from_slice(&CONSTANTS);
		for (w, chunk) in input[4..12].iter_mut().zip(key.chunks_exact(4)) {
			*w = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
		}
		Self { input }
	}

	/// Block `counter` of the stream.
	pub fn block(&self, counter: u64) -> [u8; BLOCK_BYTES] {
		let mut input = self.input;
		input[12] = counter as u32;
		input[13] = (counter >> 32) as u32;
		let mut s = input;
		for _ in 0..4 {
			quarter(&mut s, 0, 4, 8, 12);
			quarter(&mut s, 1, 5, 9, 13);
			quarter(&mut s, 2, 6, 10, 14);
			quarter(&mut s, 3, 7, 11, 15);
			quarter(&mut s, 0, 5, 10, 15);
			quarter(&mut s, 1, 6, 11, 12);
			quarter(&mut s, 2, 7, 8, 13);
			quarter(&mut s, 3, 4, 9, 14);
		}
		let mut out = [0u8; BLOCK_BYTES];
		for (i, chunk) in out.chunks_exact_mut(4).enumerate() {
			chunk.copy_from_slice(&s[i].wrapping_add(input[i]).to_le_bytes());
		}
		out
	}

	/// Fills `out` with the stream's bytes from byte position `pos` on (`pos` need not be
	/// block-aligned). Positions wrap at 2^64 bytes, far beyond any challenge.
	pub fn fill(&self, pos: u64, out: &mut [u8]) {
		let mut counter = pos / BLOCK_BYTES as u64;
		let mut skip = (pos % BLOCK_BYTES as u64) as usize;
		let mut written = 0;
		while written < out.len() {
			let block = self.block(counter);
			let take = (BLOCK_BYTES - skip).min(out.len() - written);
			out[written..written + take].copy_from_slice(&block[skip..skip + take]);
			written += take;
			skip = 0;
			counter = counter.wrapping_add(1);
		}
	}
}
