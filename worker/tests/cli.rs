//! The `crucible-worker` binary's subcommands and exit codes, run as a process.

use std::{os::unix::fs::PermissionsExt, process::Command};

fn worker(args: &[&str]) -> (i32, String, String) {
	let out = Command::new(env!("CARGO_BIN_EXE_crucible-worker")).args(args).output().unwrap();
	(
		out.status.code().unwrap_or(-1),
		String::from_utf8_lossy(&out.stdout).into_owned(),
		String::from_utf8_lossy(&out.stderr).into_owned(),
	)
}

#[test]
fn inventory_exits_0_and_says_when_there_is_no_driver() {
	let (code, out, _) = worker(&["inventory"]);
	assert_eq!(code, 0);
	// Without an NVIDIA driver (every CI machine) the worker says so and goes on; with one it
	// names the driver.
	assert!(
		out.contains("no NVIDIA driver: CPU backend") || out.contains("NVIDIA driver"),
		"{out}"
	);
	assert!(out.contains("kernels") && out.contains("scalar"), "{out}");
	let (code, out, _) = worker(&["inventory", "--json"]);
	assert_eq!(code, 0);
	let v: serde_json::Value = serde_json::from_str(&out).unwrap();
	assert!(v["cpu_kernels"].as_array().unwrap().iter().any(|k| k == "scalar"));
}

#[test]
fn keys_are_generated_private_and_refused_when_readable_by_others() {
	let dir = tempfile::tempdir().unwrap();
	let key = dir.path().join("worker.key");
	let key = key.to_str().unwrap();
	let (code, generated, _) = worker(&["key", "generate", "--out", key]);
	assert_eq!(code, 0);
	assert!(generated.contains("ss58:") && generated.contains("hex:  0x"), "{generated}");
	let (code, inspected, _) = worker(&["key", "inspect", "--file", key]);
	assert_eq!(code, 0);
	assert_eq!(inspected, generated);
	assert_eq!(worker(&["key", "generate", "--out", key]).0, 5, "never overwritten");
	std::fs::set_permissions(key, std::fs::Permissions::from_mode(0o640)).unwrap();
	let (code, _, err) = worker(&["key", "inspect", "--file", key]);
	assert_eq!(code, 5);
	assert!(err.contains("wider than 600"), "{err}");
	assert_eq!(worker(&["key", "inspect", "--file", "/nonexistent/key"]).0, 5);
}

#[test]
fn a_bad_config_exits_2_and_an_unavailable_backend_6() {
	let dir = tempfile::tempdir().unwrap();
	let bad = dir.path().join("bad.toml");
	std::fs::write(&bad, "node = \"http://x\"\n").unwrap();
	let (code, _, err) = worker(&["--config", bad.to_str().unwrap(), "inventory"]);
	assert_eq!(code, 2, "{err}");
	assert_eq!(worker(&["--config", "/nonexistent.toml", "inventory"]).0, 2);
	assert_eq!(worker(&["bench", "--backend", "cuda"]).0, 6);
	assert_eq!(worker(&["bench", "--kernel", "avx1024"]).0, 6);
	assert_eq!(worker(&["bench", "--shape", "100,64,1"]).0, 2);
}

#[test]
fn selftest_and_a_short_bench_pass() {
	let (code, out, err) = worker(&["selftest"]);
	assert_eq!(code, 0, "{out}{err}");
	assert!(out.contains("selftest passed") && out.contains("vectors (scalar)"), "{out}");
	let (code, out, err) =
		worker(&["bench", "--shape", "128,64,100", "--seconds", "0", "--threads", "1", "--json"]);
	assert_eq!(code, 0, "{err}");
	let v: serde_json::Value = serde_json::from_str(&out).unwrap();
	assert_eq!(v["runs"], 1);
	assert_eq!(v["recomputed_tiles"], 0);
	assert!(v["gops"].as_f64().unwrap() > 0.0);
}
