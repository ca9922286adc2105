//! Command-line interface.

/// The Crucible node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,
}

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect and insert keys, and derive node ids.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Export a chain spec (`--chain dev|local|testnet|<file>`), plain or `--raw`.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),

	/// FRAME benchmarks of the runtime's pallets (a node built with `--features
	/// runtime-benchmarks`; `make weights` runs it and writes each pallet's `weights.rs`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(BenchmarkCmd),
}

/// The benchmark subcommands this node wires.
#[cfg(feature = "runtime-benchmarks")]
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum BenchmarkCmd {
	/// Benchmark the runtime's pallets and write their `weights.rs`.
	Pallet(frame_benchmarking_cli::PalletCmd),

	/// Measure this machine against the reference hardware the weights assume.
	Machine(frame_benchmarking_cli::MachineCmd),
}
