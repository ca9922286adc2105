//! The CPU INT8 GEMM: C (rows × N, i32) = A (rows × K, i8, row-major) · B (K × N, i8, stored as N
//! K-contiguous columns), exact.
//!
//! gemm 0.19 and matrixmultiply 0.3 have no INT8 path, so the kernels are written here: every
//! entry is a dot product of two K-contiguous vectors, register-blocked over several rows and
//! columns at once. The kernel is chosen at run time (`is_x86_feature_detected!`; the workspace
//! targets baseline x86-64): AVX-512 VNNI (`vpdpbusd`, u8 × i8 with A offset by 128 and B's
//! column sums subtracted), AVX2 (`vpmaddwd` on i16-widened operands), or scalar. Each is tested
//! equal to the reference ([`crucible_primitives::challenge::matrix::c_row`]), and the worker's
//! `selftest` and start-up check compare them again on the machine it runs on.

use crucible_primitives::challenge::matrix;

/// A GEMM kernel.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kernel {
	/// Plain Rust dot products (the reference's loop).
	Scalar,
	/// AVX2 `vpmaddwd` on i16-widened operands, 3 rows × 4 columns per block.
	Avx2,
	/// AVX-512 VNNI `vpdpbusd`, 4 rows × 4 columns per block.
	Avx512Vnni,
}

impl Kernel {
	/// The kernels this CPU can run, fastest first.
	pub fn available() -> Vec<Kernel> {
		let mut out = Vec::new();
		#[cfg(target_arch = "x86_64")]
		{
			if std::arch::is_x86_feature_detected!("avx512f")
				&& std::arch::is_x86_feature_detected!("avx512bw")
				&& std::arch::is_x86_feature_detected!("avx512vnni")
			{
				out.push(Kernel::Avx512Vnni);
			}
			if std::arch::is_x86_feature_detected!("avx2") {
				out.push(Kernel::Avx2);
			}
		}
		out.push(Kernel::Scalar);
		out
	}

	/// The fastest kernel this CPU can run.
	pub fn best() -> Kernel {
		Self::available()[0]
	}

	/// The kernel's name, as `bench` and `inventory` print it.
	pub fn name(self) -> &'static str {
		match self {
			Kernel::Scalar => "scalar",
			Kernel::Avx2 => "avx2",
			Kernel::Avx512Vnni => "avx512-vnni",
		}
	}
}

/// B prepared once per epoch for every kernel: the raw columns, i16-widened columns (AVX2) and
/// column sums (VNNI).
pub struct PreparedB {
	/// K.
	pub k: usize,
	/// N.
	pub n: usize,
	/// N columns of K entries.
	pub cols: Vec<i8>,
	cols16: Vec<i16>,
	col_sums: Vec<i32>,
}

impl PreparedB {
	/// Prepares B (`cols`: N columns of K entries) for `kernel`.
	pub fn new(cols: Vec<i8>, k: usize, n: usize, kernel: Kernel) -> Self {
		assert_eq!(cols.len(), k * n);
		let cols16 = if kernel == Kernel::Avx2 {
			cols.iter().map(|v| i16::from(*v)).collect()
		} else {
			Vec::new()
		};
		let col_sums = if kernel == Kernel::Avx512Vnni {
			cols.chunks_exact(k).map(|c| c.iter().map(|v| i32::from(*v)).sum()).collect()
		} else {
			Vec::new()
		};
		Self { k, n, cols, cols16, col_sums }
	}
}

/// C = A·B for a tile of rows of A (`a`: rows × K), into `c` (rows × N), with `kernel` (which
/// must be one of [`Kernel::available`], and the one `b` was prepared for, or scalar).
pub fn gemm(kernel: Kernel, a: &[i8], b: &PreparedB, c: &mut [i32]) {
	let (k, n) = (b.k, b.n);
	assert_eq!(a.len() % k, 0);
	let rows = a.len() / k;
	assert_eq!(c.len(), rows * n);
	match kernel {
		Kernel::Scalar => scalar(a, b, c),
		#[cfg(target_arch = "x86_64")]
		Kernel::Avx2 => {
			assert!(!b.cols16.is_empty() && std::arch::is_x86_feature_detected!("avx2"));
			let a16: Vec<i16> = a.iter().map(|v| i16::from(*v)).collect();
			// SAFETY: AVX2 is present (checked above); slices are sized as asserted.
			unsafe { x86::avx2(&a16, &b.cols16, k, n, c) }
		}
		#[cfg(target_arch = "x86_64")]
		Kernel::Avx512Vnni => {
			assert!(
				!b.col_sums.is_empty()
					&& std::arch::is_x86_feature_detected!("avx512f")
					&& std::arch::is_x86_feature_detected!("avx512bw")
					&& std::arch::is_x86_feature_detected!("avx512vnni")
			);
			// a + 128 as u8: flipping the sign bit of a two's-complement byte adds 128.
			let au: Vec<u8> = a.iter().map(|v| (*v as u8) ^ 0x80).collect();
			// SAFETY: the features are present (checked above); slices are sized as asserted.
			unsafe { x86::vnni(&au, &b.cols, &b.col_sums, k, n, c) }
		}
		#[cfg(not(target_arch = "x86_64"))]
		_ => scalar(a, b, c),
	}
}

/// [`gemm`] over row blocks in parallel on the current rayon pool.
pub fn gemm_par(kernel: Kernel, a: &[i8], b: &PreparedB, c: &mut [i32]) {
	use rayon::prelude::*;
	// 48 rows a task: a multiple of both kernels' row blocks.
	const ROWS: usize = 48;
	a.par_chunks(ROWS * b.k)
		.zip(c.par_chunks_mut(ROWS * b.n))
		.for_each(|(a, c)| gemm(kernel, a, b, c));
}

fn scalar(a: &[i8], b: &PreparedB, c: &mut [i32]) {
	let (k, n) = (b.k, b.n);
	for (a_row, c_row) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
		for (j, out) in c_row.iter_mut().enumerate() {
			*out = matrix::dot(a_row, &b.cols[j * k..(j + 1) * k]);
		}
	}
}

#[cfg(target_arch = "x86_64")]
mod x86 {
	use std::arch::x86_64::*;

	#[inline]
	#[target_feature(enable = "avx2")]
	fn hsum256(v: __m256i) -> i32 {
		let lo = _mm256_castsi256_si128(v);
		let hi = _mm256_extracti128_si256::<1>(v);
		let s = _mm_add_epi32(lo, hi);
		let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01_00_11_10>(s));
		let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b10_11_00_01>(s));
		_mm_cvtsi128_si32(s)
	}

	const MR: usize = 3;
	const NR: usize = 4;
	/// K is walked in chunks of KC entries and N in panels of NC columns, so that a panel of B
	/// (NC × KC i16, 128 KiB) stays in L2 and a block's rows of A and columns of B in L1.
	const KC: usize = 1024;
	const NC: usize = 64;

	/// AVX2: `a` rows × K and `b` N × K as i16; blocks of MR rows × NR columns, 16 entries a
	/// step; `c` is overwritten.
	#[target_feature(enable = "avx2")]
	pub unsafe fn avx2(a: &[i16], b: &[i16], k: usize, n: usize, c: &mut [i32]) {
		let rows = a.len() / k;
		c.fill(0);
		for jc in (0..n).step_by(NC) {
			let j_end = (jc + NC).min(n);
			for pc in (0..k).step_by(KC) {
				let p_end = (pc + KC).min(k);
				let mut i = 0;
				while i < rows {
					let mr = MR.min(rows - i);
					let mut j = jc;
					while j < j_end {
						let nr = NR.min(j_end - j);
						if mr == MR && nr == NR {
							// acc[col][row]
							let mut acc = [[_mm256_setzero_si256(); MR]; NR];
							let ap = a.as_ptr().add(i * k);
							let bp = b.as_ptr().add(j * k);
							let mut p = pc;
							while p < p_end {
								let a0 = _mm256_loadu_si256(ap.add(p) as *const __m256i);
								let a1 = _mm256_loadu_si256(ap.add(k + p) as *const __m256i);
								let a2 = _mm256_loadu_si256(ap.add(2 * k + p) as *const __m256i);
								for (col, acc) in acc.iter_mut().enumerate() {
									let bv =
										_mm256_loadu_si256(bp.add(col * k + p) as *const __m256i);
									acc[0] = _mm256_add_epi32(acc[0], _mm256_madd_epi16(a0, bv));
									acc[1] = _mm256_add_epi32(acc[1], _mm256_madd_epi16(a1, bv));
									acc[2] = _mm256_add_epi32(acc[2], _mm256_madd_epi16(a2, bv));
								}
								p += 16;
							}
							for (col, rows_acc) in acc.iter().enumerate() {
								for (r, v) in rows_acc.iter().enumerate() {
									let out = &mut c[(i + r) * n + j + col];
									*out = out.wrapping_add(hsum256(*v));
								}
							}
						} else {
							for r in 0..mr {
								for col in 0..nr {
									let ap = a.as_ptr().add((i + r) * k);
									let bp = b.as_ptr().add((j + col) * k);
									let mut acc = _mm256_setzero_si256();
									let mut p = pc;
									while p < p_end {
										let av = _mm256_loadu_si256(ap.add(p) as *const __m256i);
										let bv = _mm256_loadu_si256(bp.add(p) as *const __m256i);
										acc = _mm256_add_epi32(acc, _mm256_madd_epi16(av, bv));
										p += 16;
									}
									let out = &mut c[(i + r) * n + j + col];
									*out = out.wrapping_add(hsum256(acc));
								}
							}
						}
						j += nr;
					}
					i += mr;
				}
			}
		}
	}

	const VR: usize = 4;
	const VC: usize = 4;
	const VKC: usize = 2048;

	/// AVX-512 VNNI: `a` as u8 (entry + 128), `b` as i8; C = Σ (a+128)·b − 128·Σb, blocked as
	/// the AVX2 kernel; `c` is overwritten.
	#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
	pub unsafe fn vnni(a: &[u8], b: &[i8], col_sums: &[i32], k: usize, n: usize, c: &mut [i32]) {
		let rows = a.len() / k;
		for out in c.chunks_exact_mut(n).take(rows) {
			for (o, s) in out.iter_mut().zip(col_sums) {
				*o = 0i32.wrapping_sub(s.wrapping_mul(128));
			}
		}
		for jc in (0..n).step_by(NC) {
			let j_end = (jc + NC).min(n);
			for pc in (0..k).step_by(VKC) {
				let p_end = (pc + VKC).min(k);
				let mut i = 0;
				while i < rows {
					let mr = VR.min(rows - i);
					let mut j = jc;
					while j < j_end {
						let nr = VC.min(j_end - j);
						let mut acc = [[_mm512_setzero_si512(); VC]; VR];
						let mut p = pc;
						while p < p_end {
							for (r, accs) in acc.iter_mut().enumerate().take(mr) {
								let av =
									_mm512_loadu_si512(a.as_ptr().add((i + r) * k + p) as *const _);
								for (col, acc) in accs.iter_mut().enumerate().take(nr) {
									let bv = _mm512_loadu_si512(
										b.as_ptr().add((j + col) * k + p) as *const _
									);
									*acc = _mm512_dpbusd_epi32(*acc, av, bv);
								}
							}
							p += 64;
						}
						for (r, accs) in acc.iter().enumerate().take(mr) {
							for (col, v) in accs.iter().enumerate().take(nr) {
								let out = &mut c[(i + r) * n + j + col];
								*out = out.wrapping_add(_mm512_reduce_add_epi32(*v));
							}
						}
						j += nr;
					}
					i += mr;
				}
			}
		}
	}

	/// Operations a second of one core running only the AVX2 kernel's instruction
	/// (`vpmaddwd` + `vpaddd`, 12 independent chains on registers): 32 INT8-equivalent
	/// operations (16 multiply-adds) per `vpmaddwd`.
	#[target_feature(enable = "avx2")]
	pub unsafe fn avx2_peak_ops(iterations: u64) -> u64 {
		let x = _mm256_set1_epi16(3);
		let mut acc = [_mm256_set1_epi32(1); 12];
		for _ in 0..iterations {
			for a in acc.iter_mut() {
				*a = _mm256_add_epi32(*a, _mm256_madd_epi16(x, *a));
			}
		}
		let mut s = 0i32;
		for a in acc {
			s = s.wrapping_add(hsum256(a));
		}
		std::hint::black_box(s);
		iterations * 12 * 32
	}

	/// The same for the VNNI kernel (`vpdpbusd`, 64 multiply-adds = 128 operations each).
	#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
	pub unsafe fn vnni_peak_ops(iterations: u64) -> u64 {
		let x = _mm512_set1_epi8(3);
		let mut acc = [_mm512_set1_epi32(1); 12];
		for _ in 0..iterations {
			for a in acc.iter_mut() {
				*a = _mm512_dpbusd_epi32(*a, x, *a);
			}
		}
		let mut s = 0i32;
		for a in acc {
			s = s.wrapping_add(_mm512_reduce_add_epi32(a));
		}
		std::hint::black_box(s);
		iterations * 12 * 128
	}
}

/// The kernel's register-only peak on one core, in operations a second, measured for about
/// `millis` milliseconds (`None` for the scalar kernel, whose peak depends on the compiler).
pub fn peak_ops_per_second(kernel: Kernel, millis: u64) -> Option<f64> {
	#[cfg(target_arch = "x86_64")]
	{
		let run = |iters: u64| -> u64 {
			match kernel {
				// SAFETY: only called for kernels in `Kernel::available()`.
				Kernel::Avx2 => unsafe { x86::avx2_peak_ops(iters) },
				Kernel::Avx512Vnni => unsafe { x86::vnni_peak_ops(iters) },
				Kernel::Scalar => 0,
			}
		};
		if kernel == Kernel::Scalar || !Kernel::available().contains(&kernel) {
			return None;
		}
		let mut iters = 1_000u64;
		loop {
			let t = std::time::Instant::now();
			let ops = run(iters);
			let s = t.elapsed().as_secs_f64();
			if s * 1000.0 >= millis as f64 || iters > 1 << 40 {
				return Some(ops as f64 / s);
			}
			iters *= 4;
		}
	}
	#[cfg(not(target_arch = "x86_64"))]
	{
		let _ = (kernel, millis);
		None
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crucible_primitives::challenge::{chacha::ChaCha8, matrix, Shape};
	use proptest::prelude::*;

	fn reference(a: &[i8], b: &[i8], k: usize, n: usize) -> Vec<i32> {
		let shape = Shape { k: k as u32, n: n as u32 };
		let mut c = vec![0i32; a.len() / k * n];
		for (row, out) in a.chunks_exact(k).zip(c.chunks_exact_mut(n)) {
			matrix::c_row(row, b, shape, out);
		}
		c
	}

	fn check_all(a: &[i8], b: &[i8], k: usize, n: usize) {
		let want = reference(a, b, k, n);
		for kernel in Kernel::available() {
			let prepared = PreparedB::new(b.to_vec(), k, n, kernel);
			let mut c = vec![0i32; want.len()];
			gemm(kernel, a, &prepared, &mut c);
			assert_eq!(c, want, "{} at {} x {k} x {n}", kernel.name(), a.len() / k);
		}
	}

	#[test]
	fn every_available_kernel_equals_the_reference_at_the_extremes() {
		eprintln!(
			"kernels on this CPU: {:?} (those absent are not tested here)",
			Kernel::available().iter().map(|k| k.name()).collect::<Vec<_>>()
		);
		// All −127 and all 127 at K = 65,536: |C| = 1,057,030,144, the bound.
		let k = 65_536;
		let a: Vec<i8> = [-127i8, 127].iter().flat_map(|v| vec![*v; k]).collect();
		let b: Vec<i8> = [-127i8, 127, -127, 127].iter().flat_map(|v| vec![*v; k]).collect();
		check_all(&a, &b, k, 4);
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]
		#[test]
		fn every_available_kernel_equals_the_reference(
			seed in any::<[u8; 32]>(), rows in 1usize..14, kb in 1usize..6, n in 1usize..23,
		) {
			let k = kb * 64;
			let stream = ChaCha8::new(&seed);
			let mut a = vec![0i8; rows * k];
			let mut b = vec![0i8; n * k];
			matrix::fill_entries(&stream, 0, &mut a);
			matrix::fill_entries(&stream, (rows * k) as u64, &mut b);
			check_all(&a, &b, k, n);
		}
	}
}
