//! `crucible-worker bench`: the CPU backend's throughput on one shape, the share of each phase,
//! and two ratios: to the core's INT8 peak (a register-only loop of the kernel's instruction;
//! the goal is ≥ 0.5) and to the reference dot product.

use crate::{
	engine::{self, DeviceTask, EpochWork},
	gemm::{self, Kernel},
};
use crucible_primitives::challenge::{chacha::ChaCha8, matrix, Shape};
use serde::Serialize;
use std::time::Instant;

/// A bench's figures.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
	/// The kernel.
	pub kernel: &'static str,
	/// Threads.
	pub threads: usize,
	/// K, N, rows.
	pub shape: (u32, u32, u32),
	/// Device runs done.
	pub runs: u32,
	/// Tiles recomputed after a failed self-check (0 on sound hardware).
	pub recomputed_tiles: u32,
	/// Seconds to generate and prepare B.
	pub epoch_seconds: f64,
	/// Wall seconds per device run.
	pub seconds_per_run: f64,
	/// GOPS over the whole run (2·K·N·rows per run, wall time), all threads.
	pub gops: f64,
	/// The same per core.
	pub gops_per_core: f64,
	/// Share of the device run's time in generating A, the GEMM, hashing, the self-check.
	pub shares: Shares,
	/// The kernel alone on one thread (one tile's rows), GOPS.
	pub gemm_gops_per_core: f64,
	/// The register-only peak of the kernel's instruction on one core, GOPS.
	pub peak_gops_per_core: Option<f64>,
	/// `gemm_gops_per_core / peak_gops_per_core` (goal ≥ 0.5).
	pub ratio_to_peak: Option<f64>,
	/// The reference dot product on one core, GOPS.
	pub reference_gops_per_core: f64,
	/// `gemm_gops_per_core / reference_gops_per_core`.
	pub ratio_to_reference: f64,
}

/// CPU-time shares.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Shares {
	/// Generating A.
	pub prng: f64,
	/// The GEMM.
	pub gemm: f64,
	/// Leaves and roots.
	pub hash: f64,
	/// The self-check.
	pub check: f64,
}

/// Runs the bench for about `seconds` (at least one device run).
pub fn run(kernel: Kernel, shape: Shape, rows: u32, seconds: f64, threads: usize) -> Report {
	let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
	let start = Instant::now();
	let epoch = EpochWork::new([0xbe; 32], shape, kernel, [0xef; 32]);
	let epoch_seconds = start.elapsed().as_secs_f64();
	let mut times = engine::PhaseTimes::default();
	let mut runs = 0u32;
	let mut recomputed_tiles = 0u32;
	let start = Instant::now();
	while runs == 0 || start.elapsed().as_secs_f64() < seconds {
		let task = DeviceTask {
			round: u64::from(runs),
			round_seed: [runs as u8; 32],
			provider: [1; 32],
			device: 0,
			rows,
		};
		let work =
			engine::compute(&epoch, &task, &pool, &engine::no_hook).expect("the self-check passes");
		times.prng += work.times.prng;
		times.gemm += work.times.gemm;
		times.hash += work.times.hash;
		times.check += work.times.check;
		recomputed_tiles += work.recomputed_tiles;
		runs += 1;
	}
	let wall = start.elapsed().as_secs_f64();
	let ops = 2.0 * f64::from(shape.k) * f64::from(shape.n) * f64::from(rows) * f64::from(runs);
	let gops = ops / wall / 1e9;
	let total = times.total().as_secs_f64().max(1e-12);
	let shares = Shares {
		prng: times.prng.as_secs_f64() / total,
		gemm: times.gemm.as_secs_f64() / total,
		hash: times.hash.as_secs_f64() / total,
		check: times.check.as_secs_f64() / total,
	};
	// The kernel alone on one core, over one tile's rows (at most 1,024, at least all of them).
	let (k, n) = (shape.k as usize, shape.n as usize);
	let sample_rows = rows.min(1 << engine::TILE_HEIGHT) as usize;
	let stream = ChaCha8::new(&[0xcd; 32]);
	let mut a = vec![0i8; sample_rows * k];
	matrix::fill_entries(&stream, 0, &mut a);
	let mut b = vec![0i8; n * k];
	matrix::fill_entries(&stream, (sample_rows * k) as u64, &mut b);
	let prepared = gemm::PreparedB::new(b, k, n, kernel);
	let mut c = vec![0i32; sample_rows * n];
	let start = Instant::now();
	gemm::gemm(kernel, &a, &prepared, &mut c);
	let gemm_gops_per_core =
		2.0 * (sample_rows * k * n) as f64 / start.elapsed().as_secs_f64().max(1e-12) / 1e9;
	std::hint::black_box(&c);
	let peak = gemm::peak_ops_per_second(kernel, 300).map(|p| p / 1e9);
	// The reference on one core, over up to 64 rows of the same shape.
	let sample = rows.min(64) as usize;
	let stream = ChaCha8::new(&[0xab; 32]);
	let mut a = vec![0i8; sample * k];
	let mut b = vec![0i8; n * k];
	matrix::fill_entries(&stream, 0, &mut a);
	matrix::fill_entries(&stream, (sample * k) as u64, &mut b);
	let mut c = vec![0i32; n];
	let start = Instant::now();
	for row in a.chunks_exact(k) {
		matrix::c_row(row, &b, shape, &mut c);
		std::hint::black_box(&c);
	}
	let reference = 2.0 * (sample * k * n) as f64 / start.elapsed().as_secs_f64().max(1e-12) / 1e9;
	Report {
		kernel: kernel.name(),
		threads,
		shape: (shape.k, shape.n, rows),
		runs,
		recomputed_tiles,
		epoch_seconds,
		seconds_per_run: wall / f64::from(runs),
		gops,
		gops_per_core: gops / threads as f64,
		shares,
		gemm_gops_per_core,
		peak_gops_per_core: peak,
		ratio_to_peak: peak.map(|p| gemm_gops_per_core / p),
		reference_gops_per_core: reference,
		ratio_to_reference: gemm_gops_per_core / reference,
	}
}

impl Report {
	/// The human-readable form.
	pub fn text(&self) -> String {
		let (k, n, rows) = self.shape;
		let pct = |x: f64| format!("{:.1} %", 100.0 * x);
		format!(
			"shape K={k} N={n} rows={rows}, kernel {}, {} thread(s), {} run(s), {} tile(s) recomputed\n\
			 B generated and prepared in {:.3} s; {:.3} s per device run\n\
			 throughput {:.2} GOPS, {:.2} GOPS per core\n\
			 time: A {} | GEMM {} | hashing {} | self-check {}\n\
			 kernel on one core {:.2} GOPS; peak {}; ratio to peak {} (goal >= 0.5)\n\
			 reference {:.2} GOPS per core; ratio to reference {:.1}",
			self.kernel,
			self.threads,
			self.runs,
			self.recomputed_tiles,
			self.epoch_seconds,
			self.seconds_per_run,
			self.gops,
			self.gops_per_core,
			pct(self.shares.prng),
			pct(self.shares.gemm),
			pct(self.shares.hash),
			pct(self.shares.check),
			self.gemm_gops_per_core,
			self.peak_gops_per_core.map(|p| format!("{p:.2} GOPS")).unwrap_or("n/a (scalar)".into()),
			self.ratio_to_peak.map(|r| format!("{r:.2}")).unwrap_or("n/a".into()),
			self.reference_gops_per_core,
			self.ratio_to_reference,
		)
	}
}
