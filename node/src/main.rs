//! crucible-node: the Crucible validator and full node.

// `sc_cli::Error` and `sc_service::Error` are polkadot-sdk's types, returned through its
// closures: their size is not ours to change.
#![allow(clippy::result_large_err)]

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;

fn main() {
	if let Err(error) = command::run() {
		// One line, no backtrace: a bad chain spec or flag is a user error, not a crash.
		let message = error.to_string().replace('\n', " ");
		eprintln!("Error: {message}");
		std::process::exit(1);
	}
}
