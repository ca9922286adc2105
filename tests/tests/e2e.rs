//! End-to-end tests of the real `crucible-node`. One test binary (one link), one module per
//! area; each test starts its own node(s) on free ports.

mod e2e {
	pub mod bme;
	pub mod chain;
	pub mod cli;
	pub mod governance;
	pub mod issuance;
	pub mod leases;
	pub mod providers;
	pub mod rpc_safety;
	pub mod validators;
}
