//! Weights of `pallet-crucible-bme`.
//!
//! Not yet measured by the benchmark CLI: each figure counts the storage reads and writes of the
//! benchmarked path (priced with the runtime's `DbWeight`) plus a compute allowance, and the
//! proof size of the largest values touched. The FRAME benchmarks in `benchmarking.rs` exercise
//! every path below and run as tests (`make test-benchmarks`); `make weights` regenerates this
//! file from them with the benchmark CLI (a separate, feature-gated node build).

#![allow(unused_parens, unused_imports, missing_docs)]

use core::marker::PhantomData;
use frame_support::{
	traits::Get,
	weights::{constants::ParityDbWeight, RuntimeDbWeight, Weight},
};

/// Weight functions needed by this pallet.
pub trait WeightInfo {
	fn mint_credits() -> Weight;
	fn redeem() -> Weight;
	fn submit_price(n: u32) -> Weight;
	fn add_feeder(n: u32) -> Weight;
	fn remove_feeder(n: u32) -> Weight;
	fn set_oracle_params() -> Weight;
	fn set_market_params() -> Weight;
	fn set_emission_params() -> Weight;
	/// The per-block oracle verdict with `n` feeders.
	fn oracle_tick(n: u32) -> Weight;
	/// Closing an epoch and setting up its boundary.
	fn boundary_start() -> Weight;
	/// Paying one redemption request.
	fn boundary_redeem_step() -> Weight;
	/// Paying one provider's emission share.
	fn boundary_emit_step() -> Weight;
	/// Remainders, the remint-pool cap, the history and the summary.
	fn boundary_finish() -> Weight;
	fn ledger_lock() -> Weight;
	fn ledger_pay() -> Weight;
	fn ledger_refund() -> Weight;
}

fn w(db: RuntimeDbWeight, compute: u64, proof: u64, reads: u64, writes: u64) -> Weight {
	Weight::from_parts(compute, proof)
		.saturating_add(db.reads(reads))
		.saturating_add(db.writes(writes))
}

fn per(compute: u64, proof: u64, n: u32) -> Weight {
	Weight::from_parts(compute, proof).saturating_mul(n.into())
}

macro_rules! weights {
	($db:expr) => {
		/// Oracle (r:3), Epoch (r:1 w:1), Totals (r:1 w:1), Supply (r:1 w:1), System::Account
		/// (r:1 w:1), Balances::TotalIssuance (r:1 w:1), Accounts (r:1 w:1), MarketConfig (r:1).
		fn mint_credits() -> Weight {
			w($db, 60_000_000, 4_000, 10, 6)
		}
		/// MarketConfig, OracleConfig, Accounts, Requests, Epoch, EmissionConfig, NextRound,
		/// Rounds (r:2 w:2), Totals, RequestCount.
		fn redeem() -> Weight {
			w($db, 45_000_000, 3_500, 11, 6)
		}
		/// Feeders (r:1 w:1).
		fn submit_price(n: u32) -> Weight {
			w($db, 15_000_000, 1_000, 1, 1).saturating_add(per(300_000, 70, n))
		}
		/// Feeders (r:1 w:1).
		fn add_feeder(n: u32) -> Weight {
			w($db, 14_000_000, 1_000, 1, 1).saturating_add(per(300_000, 70, n))
		}
		/// Feeders (r:1 w:1).
		fn remove_feeder(n: u32) -> Weight {
			w($db, 14_000_000, 1_000, 1, 1).saturating_add(per(300_000, 70, n))
		}
		/// OracleConfig (r:1 w:1), Oracle (r:1 w:1).
		fn set_oracle_params() -> Weight {
			w($db, 12_000_000, 1_000, 2, 2)
		}
		/// MarketConfig (w:1).
		fn set_market_params() -> Weight {
			w($db, 10_000_000, 0, 0, 1)
		}
		/// EmissionConfig (w:1).
		fn set_emission_params() -> Weight {
			w($db, 10_000_000, 0, 0, 1)
		}
		/// OracleConfig, Feeders, Oracle (r:1 w:1), TwapSamples (r:1 w:1), System::Events.
		fn oracle_tick(n: u32) -> Weight {
			w($db, 20_000_000, 1_500, 4, 3).saturating_add(per(1_500_000, 70, n))
		}
		/// EmissionConfig, Epoch (w:1), NextRound (r:1 w:1), Rounds (r:4 w:4), Oracle (r:1
		/// w:1), OracleConfig, MarketConfig, History (168 entries), Supply, Totals, SubnetPot
		/// (r:1 w:1), treasury mint (r:2 w:2), Boundary (w:1).
		fn boundary_start() -> Weight {
			w($db, 120_000_000, 8_000, 18, 12)
		}
		/// Requests (r:1 w:1), NextRound, System::Account (r:1 w:1), TotalIssuance (r:1 w:1),
		/// Supply (r:1 w:1), Totals (r:1 w:1), RequestCount (r:1 w:1).
		fn boundary_redeem_step() -> Weight {
			w($db, 55_000_000, 3_000, 7, 6)
		}
		/// Earned (r:1 w:1), System::Account (r:1 w:1), TotalIssuance (r:1 w:1), Supply (r:1
		/// w:1).
		fn boundary_emit_step() -> Weight {
			w($db, 45_000_000, 2_500, 4, 4)
		}
		/// Treasury mint (r:2 w:2), Totals, Supply (r:1 w:1), History (r:1 w:1), Summaries
		/// (w:2), Boundary (w:1), System::Events.
		fn boundary_finish() -> Weight {
			w($db, 90_000_000, 6_000, 6, 8)
		}
		/// Accounts (r:1 w:1), Escrows (r:1 w:1), Totals (r:1 w:1).
		fn ledger_lock() -> Weight {
			w($db, 30_000_000, 2_000, 3, 3)
		}
		/// Escrows (r:1 w:1), MarketConfig, Accounts (r:1 w:1), Totals (r:1 w:1), Epoch (r:1
		/// w:1), Earned (r:1 w:1).
		fn ledger_pay() -> Weight {
			w($db, 40_000_000, 2_500, 6, 5)
		}
		/// Escrows (r:1 w:1), Accounts (r:1 w:1), Totals (r:1 w:1).
		fn ledger_refund() -> Weight {
			w($db, 30_000_000, 2_000, 3, 3)
		}
	};
}

/// Weights for the runtime, priced with the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	weights!(T::DbWeight::get());
}

/// For tests: the same formulas priced with ParityDB's weights.
impl WeightInfo for () {
	weights!(ParityDbWeight::get());
}
