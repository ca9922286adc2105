//! # crucible-econ-sim
//!
//! The economics simulator. It runs the Crucible runtime's own pallets — the BME's pricing,
//! minting, redemption queue, remint pool, caps and emission, and the lease market's escrow
//! payments with their take-rate — natively, block by block, under seeded market scenarios:
//! crashes, redemption runs, bear markets, oracle lag, price pushes, feeder collusion, outages,
//! self-lease farming and volatility sweeps. Nothing of the economics is re-implemented here:
//! agents send the same calls a wallet would (`RuntimeCall`s with signed origins) and every
//! number in the output is read back from the chain's storage.
//!
//! - [`model`]: the world outside the chain (price, demand, feeders), in `f64`.
//! - [`chain`]: the runtime in an in-memory externality; calls, blocks, readings.
//! - [`scenario`]: the named scenarios.
//! - [`runner`]: the block loop, the agents, the attackers, one row per epoch.
//! - [`report`]: CSV, charts, the report.
//!
//! Time: an epoch is an hour, as in production, but has [`runner::BLOCKS_PER_EPOCH`] blocks
//! instead of 600 (the TWAP window keeps its production share of the epoch, half). Price moves
//! within an epoch are therefore coarser than on the chain, which favours the attackers: a
//! scenario that is safe here is safe with finer blocks.

pub mod chain;
pub mod model;
pub mod report;
pub mod runner;
pub mod scenario;
