//! # Lease market (in progress)
//!
//! Tenants order GPUs, providers bid in a reverse auction, and a won bid becomes a lease paid
//! per block in compute credits from an escrow. This crate holds, so far, the lease meter:
//! the exact, O(1), lazy settlement arithmetic ([`meter`]) that the pallet shell (orders,
//! bids, the sweep, SLA refunds) will be built around — and the matching and ranking of
//! orders and bids ([`market`]).

#![cfg_attr(not(feature = "std"), no_std)]

pub mod market;
pub mod meter;
