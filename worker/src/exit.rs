//! Exit codes: what a service manager or an operator's script can act on.

/// Clean exit.
pub const OK: i32 = 0;
/// Anything else (a failed self-test, an I/O error).
pub const OTHER: i32 = 1;
/// The configuration is invalid.
pub const BAD_CONFIG: i32 = 2;
/// The node's chain is not the one the worker was built for (genesis or transaction version).
#[allow(dead_code)] // `run`'s start checks, which land with the chain client
pub const CHAIN_MISMATCH: i32 = 3;
/// The provider's registration does not match the configuration.
#[allow(dead_code)] // `run`'s start checks, which land with the chain client
pub const REGISTRATION_MISMATCH: i32 = 4;
/// The key file is missing, unreadable, malformed or readable by others than its owner.
pub const BAD_KEY_FILE: i32 = 5;
/// The configured backend cannot run here.
pub const BACKEND_UNAVAILABLE: i32 = 6;

/// An error that ends the process with a code.
#[derive(Debug)]
pub struct Exit {
	/// The exit code.
	pub code: i32,
	/// What to tell the operator.
	pub message: String,
}

impl Exit {
	/// An error with `code`.
	pub fn new(code: i32, message: impl Into<String>) -> Self {
		Self { code, message: message.into() }
	}
}
