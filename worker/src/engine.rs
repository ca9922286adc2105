//! The challenge engine: B once per epoch, then per device tiles of 2^h rows (h = 10): the tile
//! of A, the GEMM, a self-check of every row, the rows' leaves and the tile's subtree root; then
//! the root over the tiles. An opening recomputes its tile unless the device's output fits the
//! memory budget (rows·N·4 ≤ 256 MiB), which then stays in memory.
//!
//! The self-check is Freivalds' equation with the worker's own vector r' (C_i·r' against
//! A_i·(Br')), under 0.05 % of the GEMM's work. A failing tile is recomputed once; a device
//! failing twice is left out of the commit (a wrong committed row is slashed, whatever its cause).

use crate::gemm::{self, Kernel, PreparedB};
use crucible_primitives::challenge::{
	chacha::ChaCha8,
	freivalds, matrix,
	merkle::{self, Hash},
	Blake2Rust, Shape,
};
use rand_chacha::{
	rand_core::{RngCore, SeedableRng},
	ChaCha8Rng,
};
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Rows in a tile: 2^TILE_HEIGHT.
pub const TILE_HEIGHT: u32 = 10;
/// A device's whole output is kept in memory up to this many bytes (rows·N·4).
pub const KEEP_OUTPUT_BYTES: u64 = 256 << 20;

/// What is fixed for an epoch: the shape, B, and the self-check vector with its B·r'.
pub struct EpochWork {
	/// The epoch's shape.
	pub shape: Shape,
	/// The kernel the GEMM runs with.
	pub kernel: Kernel,
	b: PreparedB,
	self_r: Vec<u64>,
	self_br: Vec<u64>,
}

impl EpochWork {
	/// Generates B for `epoch_seed` and prepares it for `kernel`; `self_seed` (private,
	/// random in production) draws the self-check vector.
	pub fn new(epoch_seed: [u8; 32], shape: Shape, kernel: Kernel, self_seed: [u8; 32]) -> Self {
		let key_b = matrix::key_b::<Blake2Rust>(&epoch_seed);
		let stream_b = ChaCha8::new(&key_b);
		let mut cols = vec![0i8; shape.k as usize * shape.n as usize];
		fill_entries_fast(&key_b, 0, &mut cols);
		let self_r = freivalds::draw_r(&self_seed, shape.n);
		let self_br = br_from_cols(&cols, shape, &self_r);
		debug_assert_eq!(self_br, freivalds::br(&stream_b, shape, &self_r));
		let b = PreparedB::new(cols, shape.k as usize, shape.n as usize, kernel);
		Self { shape, kernel, b, self_r, self_br }
	}
}

/// B·r mod p from B's columns in memory.
fn br_from_cols(cols: &[i8], shape: Shape, r: &[u64]) -> Vec<u64> {
	let k = shape.k as usize;
	let mut out = vec![0u64; k];
	for (col, rj) in cols.chunks_exact(k).zip(r) {
		for (acc, a) in out.iter_mut().zip(col) {
			*acc = freivalds::reduce(*acc + freivalds::field_i8(*a) * rj);
		}
	}
	out
}

/// Entries of the ChaCha8 stream of `key` from byte `pos` (a multiple of 4) on, through
/// `rand_chacha`'s SIMD backend (equal to the reference stream: tested in `primitives`).
pub fn fill_entries_fast(key: &[u8; 32], pos: u64, out: &mut [i8]) {
	debug_assert_eq!(pos % 4, 0);
	let mut rng = ChaCha8Rng::from_seed(*key);
	rng.set_stream(0);
	rng.set_word_pos(u128::from(pos / 4));
	let mut bytes = vec![0u8; out.len()];
	rng.fill_bytes(&mut bytes);
	for (o, b) in out.iter_mut().zip(&bytes) {
		*o = matrix::entry(*b);
	}
}

/// One device's challenge in a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceTask {
	/// The round index.
	pub round: u64,
	/// The round's seed.
	pub round_seed: [u8; 32],
	/// The provider's account.
	pub provider: [u8; 32],
	/// The device id.
	pub device: u32,
	/// Rows to compute (from the chain: rate, target and share).
	pub rows: u32,
}

/// Time spent per phase, summed over tiles (which run in parallel).
#[derive(Clone, Copy, Debug, Default)]
pub struct PhaseTimes {
	/// Generating A.
	pub prng: Duration,
	/// The GEMM.
	pub gemm: Duration,
	/// Leaves and subtree roots.
	pub hash: Duration,
	/// The self-check.
	pub check: Duration,
}

impl PhaseTimes {
	fn add(&mut self, o: &PhaseTimes) {
		self.prng += o.prng;
		self.gemm += o.gemm;
		self.hash += o.hash;
		self.check += o.check;
	}

	/// The total.
	pub fn total(&self) -> Duration {
		self.prng + self.gemm + self.hash + self.check
	}
}

/// A device's computed challenge: its root and what is needed to open rows.
pub struct DeviceWork {
	/// The task.
	pub task: DeviceTask,
	/// The Merkle root (the commitment).
	pub root: Hash,
	/// The tree's depth.
	pub depth: u32,
	/// Tiles recomputed after a failed self-check.
	pub recomputed_tiles: u32,
	/// Time per phase.
	pub times: PhaseTimes,
	tile_height: u32,
	tile_roots: Vec<Hash>,
	/// The whole output and its leaves, when within [`KEEP_OUTPUT_BYTES`].
	kept: Option<(Vec<i32>, Vec<Hash>)>,
}

/// One opened row: its values and its Merkle path (siblings from the leaf up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
	/// The row index.
	pub index: u32,
	/// The row of C.
	pub values: Vec<i32>,
	/// The path to the root.
	pub path: Vec<Hash>,
}

/// Why a device could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkError {
	/// A tile failed the self-check twice: the device is left out of the commit.
	SelfCheckFailed {
		/// The tile.
		tile: u32,
	},
	/// A row index beyond the device's rows.
	RowOutOfRange(u32),
}

/// A test hook: sees (and may alter) each tile's output after the GEMM, before the self-check,
/// with the attempt number (0, then 1 on the recomputation).
pub type Hook<'a> = &'a (dyn Fn(u32, u32, &mut [i32]) + Sync);

/// No hook.
pub fn no_hook(_: u32, _: u32, _: &mut [i32]) {}

struct Tile {
	c: Vec<i32>,
	leaves: Vec<Hash>,
	root: Hash,
	times: PhaseTimes,
}

fn tile_height(rows: u32) -> u32 {
	TILE_HEIGHT.min(merkle::depth(rows))
}

/// Computes tile `t` of a device: A, GEMM, hook, self-check, leaves, subtree root.
fn compute_tile(
	epoch: &EpochWork,
	task: &DeviceTask,
	key_a: &[u8; 32],
	t: u32,
	attempt: u32,
	hook: Hook,
) -> Result<Tile, ()> {
	let (k, n) = (epoch.shape.k as usize, epoch.shape.n as usize);
	let th = tile_height(task.rows);
	let first = u64::from(t) << th;
	let rows_t = (u64::from(task.rows) - first).min(1 << th) as usize;
	let mut times = PhaseTimes::default();

	let start = Instant::now();
	let mut a = vec![0i8; rows_t * k];
	fill_entries_fast(key_a, first * k as u64, &mut a);
	times.prng = start.elapsed();

	let start = Instant::now();
	let mut c = vec![0i32; rows_t * n];
	gemm::gemm_par(epoch.kernel, &a, &epoch.b, &mut c);
	times.gemm = start.elapsed();
	hook(t, attempt, &mut c);

	let start = Instant::now();
	let ok = a.chunks_exact(k).zip(c.chunks_exact(n)).all(|(a_row, c_row)| {
		c_row.iter().all(|v| matrix::in_range(*v, epoch.shape))
			&& freivalds::check_row(c_row, &epoch.self_r, a_row, &epoch.self_br)
	});
	times.check = start.elapsed();
	if !ok {
		return Err(());
	}

	let start = Instant::now();
	let mut scratch = Vec::with_capacity(merkle::HEADER_BYTES + 4 * n);
	let leaves: Vec<Hash> = c
		.chunks_exact(n)
		.enumerate()
		.map(|(r, row)| {
			let header = merkle::leaf_header(
				task.round,
				&task.provider,
				task.device,
				(first as u32) + r as u32,
			);
			merkle::leaf_with::<Blake2Rust>(&header, row, &mut scratch)
		})
		.collect();
	let root = merkle::root_over::<Blake2Rust>(&leaves, 0, th).expect("a tile holds 2^th rows");
	times.hash = start.elapsed();
	Ok(Tile { c, leaves, root, times })
}

fn compute_tile_checked(
	epoch: &EpochWork,
	task: &DeviceTask,
	key_a: &[u8; 32],
	t: u32,
	hook: Hook,
) -> Result<(Tile, bool), WorkError> {
	match compute_tile(epoch, task, key_a, t, 0, hook) {
		Ok(tile) => Ok((tile, false)),
		Err(()) => compute_tile(epoch, task, key_a, t, 1, hook)
			.map(|tile| (tile, true))
			.map_err(|()| WorkError::SelfCheckFailed { tile: t }),
	}
}

/// Computes a device's challenge on `pool`.
pub fn compute(
	epoch: &EpochWork,
	task: &DeviceTask,
	pool: &rayon::ThreadPool,
	hook: Hook,
) -> Result<DeviceWork, WorkError> {
	let key_a = matrix::key_a::<Blake2Rust>(&task.round_seed, &task.provider, task.device);
	let depth = merkle::depth(task.rows);
	let th = tile_height(task.rows);
	let tiles = (u64::from(task.rows).div_ceil(1 << th)) as u32;
	let keep = u64::from(task.rows) * u64::from(epoch.shape.n) * 4 <= KEEP_OUTPUT_BYTES;
	let results: Vec<Result<(Tile, bool), WorkError>> = pool.install(|| {
		(0..tiles)
			.into_par_iter()
			.map(|t| compute_tile_checked(epoch, task, &key_a, t, hook))
			.collect()
	});
	let mut times = PhaseTimes::default();
	let mut recomputed_tiles = 0;
	let mut tile_roots = Vec::with_capacity(tiles as usize);
	let mut kept = keep.then(|| (Vec::new(), Vec::new()));
	for result in results {
		let (tile, recomputed) = result?;
		times.add(&tile.times);
		recomputed_tiles += u32::from(recomputed);
		tile_roots.push(tile.root);
		if let Some((c, leaves)) = kept.as_mut() {
			c.extend_from_slice(&tile.c);
			leaves.extend_from_slice(&tile.leaves);
		}
	}
	let start = Instant::now();
	let root =
		merkle::root_over::<Blake2Rust>(&tile_roots, th, depth).expect("tiles cover the rows");
	times.hash += start.elapsed();
	Ok(DeviceWork {
		task: task.clone(),
		root,
		depth,
		recomputed_tiles,
		times,
		tile_height: th,
		tile_roots,
		kept,
	})
}

impl DeviceWork {
	/// Opens `rows` (each < the device's rows), recomputing their tiles unless the output is
	/// kept.
	pub fn open(&self, epoch: &EpochWork, rows: &[u32]) -> Result<Vec<Opening>, WorkError> {
		let n = epoch.shape.n as usize;
		let th = self.tile_height;
		let key_a = matrix::key_a::<Blake2Rust>(
			&self.task.round_seed,
			&self.task.provider,
			self.task.device,
		);
		let mut recomputed: Option<(u32, Tile)> = None;
		let mut out = Vec::with_capacity(rows.len());
		for &row in rows {
			if row >= self.task.rows {
				return Err(WorkError::RowOutOfRange(row));
			}
			let t = row >> th;
			let first = (t << th) as usize;
			let (values, tile_leaves): (Vec<i32>, &[Hash]) = match &self.kept {
				Some((c, leaves)) => {
					let end = (first + (1 << th)).min(self.task.rows as usize);
					(c[row as usize * n..(row as usize + 1) * n].to_vec(), &leaves[first..end])
				}
				None => {
					if recomputed.as_ref().map(|(rt, _)| *rt) != Some(t) {
						let (tile, _) =
							compute_tile_checked(epoch, &self.task, &key_a, t, &no_hook)?;
						recomputed = Some((t, tile));
					}
					let tile = &recomputed.as_ref().expect("just set").1;
					let r = row as usize - first;
					(tile.c[r * n..(r + 1) * n].to_vec(), &tile.leaves[..])
				}
			};
			let mut path = merkle::path_over::<Blake2Rust>(tile_leaves, 0, th, row - (t << th))
				.expect("the row is in its tile");
			path.extend(
				merkle::path_over::<Blake2Rust>(&self.tile_roots, th, self.depth, t)
					.expect("the tile is in the tree"),
			);
			out.push(Opening { index: row, values, path });
		}
		Ok(out)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::sync::atomic::{AtomicU32, Ordering};

	fn pool() -> rayon::ThreadPool {
		rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap()
	}

	fn task(rows: u32) -> DeviceTask {
		DeviceTask { round: 3, round_seed: [7; 32], provider: [8; 32], device: 1, rows }
	}

	/// The root by the reference functions alone.
	fn reference_root(epoch_seed: &[u8; 32], shape: Shape, task: &DeviceTask) -> (Hash, Vec<Hash>) {
		let key_a = matrix::key_a::<Blake2Rust>(&task.round_seed, &task.provider, task.device);
		let key_b = matrix::key_b::<Blake2Rust>(epoch_seed);
		let b = matrix::b_matrix(&ChaCha8::new(&key_b), shape);
		let leaves: Vec<Hash> = (0..task.rows)
			.map(|i| {
				let mut a = vec![0i8; shape.k as usize];
				matrix::a_row(&ChaCha8::new(&key_a), shape, i, &mut a);
				let mut c = vec![0i32; shape.n as usize];
				matrix::c_row(&a, &b, shape, &mut c);
				merkle::leaf::<Blake2Rust>(task.round, &task.provider, task.device, i, &c)
			})
			.collect();
		(merkle::root_over::<Blake2Rust>(&leaves, 0, merkle::depth(task.rows)).unwrap(), leaves)
	}

	#[test]
	fn roots_and_openings_equal_the_reference_with_every_kernel() {
		let shape = Shape::new(128, 64).unwrap();
		for kernel in Kernel::available() {
			let epoch = EpochWork::new([5; 32], shape, kernel, [6; 32]);
			// One row, a partial tile, several tiles with a partial last one.
			for rows in [1u32, 5, 1024, 2_500] {
				let t = task(rows);
				let work = compute(&epoch, &t, &pool(), &no_hook).unwrap();
				let (root, leaves) = reference_root(&[5; 32], shape, &t);
				assert_eq!(work.root, root, "{} rows, {}", rows, kernel.name());
				let picks: Vec<u32> = [0, rows / 2, rows - 1].into_iter().collect();
				for o in work.open(&epoch, &picks).unwrap() {
					assert!(merkle::verify::<Blake2Rust>(
						&leaves[o.index as usize],
						o.index,
						rows,
						&o.path,
						&root
					));
					let leaf = merkle::leaf::<Blake2Rust>(
						t.round,
						&t.provider,
						t.device,
						o.index,
						&o.values,
					);
					assert_eq!(leaf, leaves[o.index as usize]);
				}
				assert_eq!(work.open(&epoch, &[rows]), Err(WorkError::RowOutOfRange(rows)));
			}
		}
	}

	#[test]
	fn openings_recompute_their_tile_when_the_output_is_not_kept() {
		let shape = Shape::new(64, 64).unwrap();
		let epoch = EpochWork::new([5; 32], shape, Kernel::best(), [6; 32]);
		let t = task(3_000);
		let mut work = compute(&epoch, &t, &pool(), &no_hook).unwrap();
		let kept = work.open(&epoch, &[0, 1_500, 2_999]).unwrap();
		work.kept = None;
		assert_eq!(work.open(&epoch, &[0, 1_500, 2_999]).unwrap(), kept);
	}

	#[test]
	fn an_injected_flip_is_recomputed_and_a_device_failing_twice_is_left_out() {
		let shape = Shape::new(128, 64).unwrap();
		let epoch = EpochWork::new([5; 32], shape, Kernel::best(), [6; 32]);
		let t = task(2_500);
		let honest = compute(&epoch, &t, &pool(), &no_hook).unwrap();
		// A bit flipped in tile 1 on the first attempt only: recomputed, same root.
		let flips = AtomicU32::new(0);
		let once = |tile: u32, attempt: u32, c: &mut [i32]| {
			if tile == 1 && attempt == 0 {
				c[77] ^= 1 << 4;
				flips.fetch_add(1, Ordering::Relaxed);
			}
		};
		let work = compute(&epoch, &t, &pool(), &once).unwrap();
		assert_eq!(flips.load(Ordering::Relaxed), 1);
		assert_eq!(work.recomputed_tiles, 1);
		assert_eq!(work.root, honest.root);
		// Flipped on both attempts: the device is left out.
		let always = |tile: u32, _: u32, c: &mut [i32]| {
			if tile == 2 {
				c[0] = c[0].wrapping_add(1);
			}
		};
		assert_eq!(
			compute(&epoch, &t, &pool(), &always).err(),
			Some(WorkError::SelfCheckFailed { tile: 2 })
		);
	}
}
