//! The worker key: an sr25519 key whose public half the provider registers on chain, kept in a
//! file holding its 32-byte seed as hex, readable by its owner only (mode 0600).

use crate::exit::{self, Exit};
use sp_core::{
	crypto::{AccountId32, Ss58Codec},
	sr25519, Pair,
};
use std::{
	fs,
	io::Write,
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::Path,
};

/// Parses an account given as SS58 or `0x` + 64 hex digits.
pub fn parse_account(s: &str) -> Result<[u8; 32], String> {
	if let Some(hex) = s.strip_prefix("0x") {
		let bytes = hex::decode(hex).map_err(|e| format!("{s:?}: {e}"))?;
		return bytes.try_into().map_err(|_| format!("{s:?}: not 32 bytes"));
	}
	AccountId32::from_ss58check(s)
		.map(|a| a.into())
		.map_err(|e| format!("{s:?}: not an SS58 address ({e:?})"))
}

/// Writes a new key to `path` (which must not exist) with mode 0600; returns it.
pub fn generate(path: &Path) -> Result<sr25519::Pair, Exit> {
	let (pair, seed) = sr25519::Pair::generate();
	let mut file = fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(path)
		.map_err(|e| Exit::new(exit::BAD_KEY_FILE, format!("{}: {e}", path.display())))?;
	writeln!(file, "0x{}", hex::encode(seed))
		.map_err(|e| Exit::new(exit::OTHER, format!("{}: {e}", path.display())))?;
	Ok(pair)
}

/// Loads the key in `path`: refused if missing, malformed, or readable or writable by anyone
/// but its owner.
pub fn load(path: &Path) -> Result<sr25519::Pair, Exit> {
	let bad =
		|why: String| Exit::new(exit::BAD_KEY_FILE, format!("key file {}: {why}", path.display()));
	let meta = fs::metadata(path).map_err(|e| bad(e.to_string()))?;
	let mode = meta.permissions().mode() & 0o777;
	if mode & 0o077 != 0 {
		return Err(bad(format!("mode {mode:o} is wider than 600 (chmod 600 it)")));
	}
	let text = fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
	let hex = text.trim().strip_prefix("0x").unwrap_or(text.trim());
	let seed: [u8; 32] = hex::decode(hex)
		.ok()
		.and_then(|b| b.try_into().ok())
		.ok_or_else(|| bad("not 0x + 64 hex digits".into()))?;
	Ok(sr25519::Pair::from_seed(&seed))
}

/// What `key generate` and `key inspect` print: the public key as SS58 and hex.
pub fn describe(pair: &sr25519::Pair) -> String {
	let public = pair.public();
	format!(
		"worker key (sr25519)\n  ss58: {}\n  hex:  0x{}\nregister it with providers.register_provider(.., worker_key: 0x{}, ..)",
		public.to_ss58check(),
		hex::encode(public.0),
		hex::encode(public.0)
	)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_generated_key_loads_and_a_wide_or_missing_file_is_refused() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("worker.key");
		let pair = generate(&path).unwrap();
		assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
		assert_eq!(load(&path).unwrap().public(), pair.public());
		assert!(describe(&pair).contains(&pair.public().to_ss58check()));
		// Never overwritten.
		assert_eq!(generate(&path).err().expect("refused").code, exit::BAD_KEY_FILE);
		fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
		let err = load(&path).err().expect("refused");
		assert_eq!(err.code, exit::BAD_KEY_FILE);
		assert!(err.message.contains("644"), "{}", err.message);
		assert_eq!(load(&dir.path().join("none")).err().expect("refused").code, exit::BAD_KEY_FILE);
		let junk = dir.path().join("junk");
		fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&junk).unwrap();
		fs::write(&junk, "not hex").unwrap();
		assert_eq!(load(&junk).err().expect("refused").code, exit::BAD_KEY_FILE);
	}

	#[test]
	fn accounts_parse_as_ss58_or_hex() {
		let alice = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
		let bytes = parse_account(alice).unwrap();
		assert_eq!(parse_account(&format!("0x{}", hex::encode(bytes))).unwrap(), bytes);
		assert!(parse_account("0x1234").is_err());
		assert!(parse_account("5Grwva").is_err());
	}
}
