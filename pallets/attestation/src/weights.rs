//! Weights of the attestation pallet.
//!
//! The benchmarks (`benchmarking.rs`, worst cases at `MaxDevices`, 32 validators and the K, N
//! bounds) and the generated `SubstrateWeight` land with the runtime wiring; until then the
//! pallet is not in the runtime and only the test runtime's `()` (no weight) is used.

use frame_support::weights::Weight;

/// Weight functions of the attestation pallet.
pub trait WeightInfo {
	/// `set_params`.
	fn set_params() -> Weight;
	/// `set_calibration`.
	fn set_calibration() -> Weight;
	/// `commit` with `d` devices.
	fn commit(d: u32) -> Weight;
	/// `authorize` of `commit` with `d` devices.
	fn authorize_commit(d: u32) -> Weight;
	/// An epoch's start, applying `m` pending calibrations.
	fn start_epoch(m: u32) -> Weight;
	/// A round's opening with a snapshot of `v` validators.
	fn open_round(v: u32) -> Weight;
	/// `on_initialize` when nothing starts or opens.
	fn idle_block() -> Weight;
	/// `submit_verdicts` of `p` providers of up to `d` devices each.
	fn submit_verdicts(p: u32, d: u32) -> Weight;
	/// `authorize` of `submit_verdicts`.
	fn authorize_submit_verdicts(p: u32, d: u32) -> Weight;
	/// A close step over `p` providers of up to `d` devices each.
	fn close_step(p: u32, d: u32) -> Weight;
	/// A pruning step removing `n` keys.
	fn prune_step(n: u32) -> Weight;
	/// `report_fraud` closing `l` leases.
	fn report_fraud(l: u32) -> Weight;
	/// `authorize` of `report_fraud` at shape (k, n).
	fn authorize_report_fraud(k: u32, n: u32) -> Weight;
}

/// For tests: no weight.
impl WeightInfo for () {
	fn set_params() -> Weight {
		Weight::zero()
	}
	fn set_calibration() -> Weight {
		Weight::zero()
	}
	fn commit(_: u32) -> Weight {
		Weight::zero()
	}
	fn authorize_commit(_: u32) -> Weight {
		Weight::zero()
	}
	fn start_epoch(_: u32) -> Weight {
		Weight::zero()
	}
	fn open_round(_: u32) -> Weight {
		Weight::zero()
	}
	fn idle_block() -> Weight {
		Weight::zero()
	}
	fn submit_verdicts(_: u32, _: u32) -> Weight {
		Weight::zero()
	}
	fn authorize_submit_verdicts(_: u32, _: u32) -> Weight {
		Weight::zero()
	}
	fn close_step(_: u32, _: u32) -> Weight {
		Weight::zero()
	}
	fn prune_step(_: u32) -> Weight {
		Weight::zero()
	}
	fn report_fraud(_: u32) -> Weight {
		Weight::zero()
	}
	fn authorize_report_fraud(_: u32, _: u32) -> Weight {
		Weight::zero()
	}
}
