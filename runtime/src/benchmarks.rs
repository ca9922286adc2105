//! The pallets `crucible-node benchmark pallet` measures (built with `runtime-benchmarks`; see
//! `make weights`). Each entry's generated `weights.rs` is what the pallet's calls charge.

frame_benchmarking::define_benchmarks!(
	[pallet_crucible_validator_set, ValidatorSet]
	[pallet_crucible_bme, Bme]
	[pallet_crucible_providers, Providers]
	[pallet_crucible_leases, Leases]
);
