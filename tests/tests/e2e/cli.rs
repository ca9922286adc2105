//! The command line: committed chain specs match the node's, and bad specs fail cleanly.

use crucible_e2e::{node_binary, repo_root};
use serde_json::Value;
use std::process::Command;

/// Remove the wasm runtime from a spec: wasm builds are not bit-reproducible across toolchains.
fn without_code(mut spec: Value) -> Value {
	if let Some(genesis) = spec["genesis"]["runtimeGenesis"].as_object_mut() {
		genesis.remove("code");
	}
	if let Some(top) = spec["genesis"]["raw"]["top"].as_object_mut() {
		// `:code`
		top.remove("0x3a636f6465");
	}
	spec
}

#[test]
fn committed_chain_specs_match_what_the_node_exports() {
	for chain in ["dev", "local"] {
		for raw in [false, true] {
			let mut command = Command::new(node_binary());
			command.args(["export-chain-spec", "--chain", chain]);
			if raw {
				command.arg("--raw");
			}
			let out = command.output().unwrap();
			assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
			let exported: Value = serde_json::from_slice(&out.stdout).unwrap();
			let file = repo_root()
				.join("chain-specs")
				.join(format!("{chain}{}.json", if raw { "-raw" } else { "" }));
			let committed: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
			assert!(
				without_code(exported) == without_code(committed),
				"{} differs from what the node exports: run `make chain-specs` and commit",
				file.display()
			);
		}
	}
}

fn assert_one_line_error(args: &[&str]) {
	let out = Command::new(node_binary()).args(args).output().unwrap();
	assert!(!out.status.success(), "{args:?} succeeded");
	assert_eq!(out.status.code(), Some(1), "{args:?}: not a clean exit");
	let stderr = String::from_utf8_lossy(&out.stderr);
	let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
	assert_eq!(lines.len(), 1, "{args:?}: expected one line, got:\n{stderr}");
	assert!(lines[0].starts_with("Error: "), "{stderr}");
	assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn missing_or_malformed_chain_spec_exits_with_a_one_line_reason() {
	let dir = tempfile::tempdir().unwrap();
	let missing = dir.path().join("missing.json");
	let malformed = dir.path().join("malformed.json");
	std::fs::write(&malformed, "{ \"name\": \"half a spec\", ").unwrap();
	let base = dir.path().join("base");
	for spec in [&missing, &malformed] {
		let spec = spec.to_str().unwrap();
		assert_one_line_error(&["--chain", spec, "--base-path", base.to_str().unwrap()]);
		assert_one_line_error(&["export-chain-spec", "--chain", spec]);
	}
}

#[test]
fn no_chain_exits_with_a_one_line_error_naming_the_choices() {
	let dir = tempfile::tempdir().unwrap();
	let base = dir.path().join("base");
	let out =
		Command::new(node_binary()).args(["--base-path", base.to_str().unwrap()]).output().unwrap();
	assert_eq!(out.status.code(), Some(1));
	let stderr = String::from_utf8_lossy(&out.stderr);
	assert!(stderr.contains("--chain dev|local|testnet|<file>"), "{stderr}");
	assert_one_line_error(&["--base-path", base.to_str().unwrap()]);
}
