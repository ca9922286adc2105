//! `crucible-worker selftest`: the committed challenge vectors, every available kernel against
//! the reference, and the self-check against an injected fault. A worker that fails it must not
//! commit: its rows would be slashed.

use crate::{
	engine::{self, DeviceTask, EpochWork, WorkError},
	gemm::{self, Kernel, PreparedB},
};
use crucible_primitives::challenge::{chacha::ChaCha8, matrix, merkle, Blake2Rust, Shape};

/// The vectors every implementation of the challenge must reproduce.
pub const VECTORS: &str = include_str!("../../primitives/vectors/challenge-v1.json");

fn h32(v: &serde_json::Value) -> Result<[u8; 32], String> {
	let s = v.as_str().ok_or("not a string")?;
	hex::decode(s).map_err(|e| e.to_string())?.try_into().map_err(|_| "not 32 bytes".into())
}

/// The vectors through the engine with `kernel`.
pub fn check_vectors(kernel: Kernel) -> Result<(), String> {
	let v: serde_json::Value = serde_json::from_str(VECTORS).map_err(|e| e.to_string())?;
	let i = &v["inputs"];
	let num = |x: &serde_json::Value| x.as_u64().ok_or_else(|| format!("{x} is not a number"));
	let shape = Shape::new(num(&i["k"])? as u32, num(&i["n"])? as u32).ok_or("bad shape")?;
	let task = DeviceTask {
		round: num(&i["round"])?,
		round_seed: h32(&i["round_seed"])?,
		provider: h32(&i["provider"])?,
		device: num(&i["device"])? as u32,
		rows: num(&i["rows"])? as u32,
	};
	let epoch_seed = h32(&i["epoch_seed"])?;
	if matrix::key_a::<Blake2Rust>(&task.round_seed, &task.provider, task.device)
		!= h32(&v["key_a"])?
		|| matrix::key_b::<Blake2Rust>(&epoch_seed) != h32(&v["key_b"])?
	{
		return Err("keys differ from the vectors".into());
	}
	let epoch = EpochWork::new(epoch_seed, shape, kernel, [0x5e; 32]);
	let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(|e| e.to_string())?;
	let work =
		engine::compute(&epoch, &task, &pool, &engine::no_hook).map_err(|e| format!("{e:?}"))?;
	if work.root != h32(&v["root"])? {
		return Err(format!("root {} differs from the vectors", hex::encode(work.root)));
	}
	let rows: Vec<u32> = (0..task.rows).collect();
	for o in work.open(&epoch, &rows).map_err(|e| format!("{e:?}"))? {
		let want: Vec<i64> = v["c_rows"][o.index as usize]
			.as_array()
			.ok_or("c_rows")?
			.iter()
			.filter_map(|x| x.as_i64())
			.collect();
		if o.values.iter().map(|x| i64::from(*x)).collect::<Vec<_>>() != want {
			return Err(format!("row {} differs from the vectors", o.index));
		}
		let path: Vec<String> = o.path.iter().map(hex::encode).collect();
		let want_path: Vec<String> = v["paths"][o.index as usize]
			.as_array()
			.ok_or("paths")?
			.iter()
			.filter_map(|x| x.as_str().map(String::from))
			.collect();
		if path != want_path {
			return Err(format!("the path of row {} differs from the vectors", o.index));
		}
		let leaf =
			merkle::leaf::<Blake2Rust>(task.round, &task.provider, task.device, o.index, &o.values);
		if hex::encode(leaf) != v["leaves"][o.index as usize].as_str().unwrap_or_default() {
			return Err(format!("the leaf of row {} differs from the vectors", o.index));
		}
	}
	Ok(())
}

/// `kernel` against the reference on small shapes, drawn from a fixed seed.
pub fn check_kernel(kernel: Kernel) -> Result<(), String> {
	for case in 0u8..24 {
		let rows = 1 + usize::from(case % 7) * 3;
		let k = 64 * (1 + usize::from(case % 4));
		let n = 1 + usize::from(case) * 3 % 37;
		let stream = ChaCha8::new(&[case; 32]);
		let mut a = vec![0i8; rows * k];
		let mut b = vec![0i8; n * k];
		matrix::fill_entries(&stream, 0, &mut a);
		matrix::fill_entries(&stream, (rows * k) as u64, &mut b);
		let shape = Shape { k: k as u32, n: n as u32 };
		let mut want = vec![0i32; rows * n];
		for (row, out) in a.chunks_exact(k).zip(want.chunks_exact_mut(n)) {
			matrix::c_row(row, &b, shape, out);
		}
		let mut got = vec![0i32; rows * n];
		gemm::gemm(kernel, &a, &PreparedB::new(b, k, n, kernel), &mut got);
		if got != want {
			return Err(format!(
				"{} differs from the reference at {rows} x {k} x {n}",
				kernel.name()
			));
		}
	}
	Ok(())
}

/// The self-check catches a wrong entry and leaves the device out when it persists.
pub fn check_self_check() -> Result<(), String> {
	let shape = Shape::new(64, 64).ok_or("shape")?;
	let epoch = EpochWork::new([1; 32], shape, Kernel::best(), [2; 32]);
	let task = DeviceTask { round: 1, round_seed: [3; 32], provider: [4; 32], device: 0, rows: 40 };
	let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().map_err(|e| e.to_string())?;
	let flip = |_: u32, _: u32, c: &mut [i32]| c[5] ^= 1;
	match engine::compute(&epoch, &task, &pool, &flip) {
		Err(WorkError::SelfCheckFailed { .. }) => Ok(()),
		_ => Err("the self-check let a flipped entry through".into()),
	}
}

/// Runs everything; one line per check.
pub fn run() -> Result<Vec<String>, Vec<String>> {
	let mut lines = Vec::new();
	let mut failed = false;
	let mut record = |name: String, r: Result<(), String>| match r {
		Ok(()) => lines.push(format!("ok    {name}")),
		Err(e) => {
			failed = true;
			lines.push(format!("FAIL  {name}: {e}"));
		}
	};
	for kernel in Kernel::available() {
		record(format!("vectors ({})", kernel.name()), check_vectors(kernel));
		record(format!("{} = reference", kernel.name()), check_kernel(kernel));
	}
	record("self-check catches a wrong entry".into(), check_self_check());
	if failed {
		Err(lines)
	} else {
		Ok(lines)
	}
}

#[cfg(test)]
mod tests {
	#[test]
	fn the_selftest_passes_here() {
		let lines = super::run().unwrap_or_else(|l| panic!("{}", l.join("\n")));
		assert!(lines.iter().any(|l| l.contains("vectors (scalar)")));
	}
}
