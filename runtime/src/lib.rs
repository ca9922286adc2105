//! # The Crucible runtime
//!
//! CRU (12 decimals) in `pallet-balances` with holds and freezes; fees and dust to the treasury;
//! Aura block production and GRANDPA finality over a validator set that governance changes
//! (`pallet-crucible-validator-set` feeding `pallet-session`); and OpenGov for CRU holders
//! (referenda, conviction voting, scheduler, preimages, treasury and Crucible's track origins);
//! and the burn-mint equilibrium of compute credits (`pallet-crucible-bme`: credits, the price
//! oracle, redemptions, emission); the provider registry (`pallet-crucible-providers`:
//! bonded providers, devices from a governed GPU catalogue, slashing and reputation); and the
//! lease market (`pallet-crucible-leases`: orders, reverse-auction bids, leases paid in credits
//! with lazy exact settlement, a sweep by due block, SLA refunds from provider bonds).
//! There is no sudo: every privileged change goes through a referendum.
//!
//! Pallet configuration lives in [`configs`], the governance tracks in [`governance`], the
//! runtime APIs in [`apis`] and the genesis presets in [`genesis_config_presets`].

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime!` needs a deep recursion limit.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
pub mod governance;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys};
use sp_version::RuntimeVersion;

pub use crucible_primitives::{
	currency, time, AccountId, Balance, BlockNumber, Hash, Nonce, Signature,
};
pub use frame_support::{construct_runtime, parameter_types};
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
pub use sp_runtime::{Perbill, Permill};

/// Opaque types: what the node sees without knowing the runtime's calls.
pub mod opaque {
	use super::*;
	pub use crucible_primitives::{Header, OpaqueBlock as Block};

	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The session keys of a validator: Aura (block authoring) and GRANDPA (finality).
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
		}
	}
}

pub use opaque::SessionKeys;

#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("crucible"),
	impl_name: alloc::borrow::Cow::Borrowed("crucible"),
	authoring_version: 1,
	// Bump on every change of runtime logic.
	spec_version: 109,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	// Bump when the transaction format or call indices change.
	transaction_version: 4,
	system_version: 1,
};

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;

/// Block header type as expected by this runtime.
pub type Header = crucible_primitives::Header;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// A Block signed with a Justification.
pub type SignedBlock = generic::SignedBlock<Block>;

/// The transaction extensions, checked in this order for every signed transaction.
pub type TxExtension = (
	frame_system::AuthorizeCall<Runtime>,
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	// A price feed from a non-feeder is invalid before the pool takes it.
	pallet_crucible_bme::CheckFeeder<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
	// Mode 1 signs the runtime's metadata hash (RFC 78), so an offline signer (Ledger) shows
	// what it signs from a proof of the metadata, not a trusted copy of it.
	frame_metadata_hash_extension::CheckMetadataHash<Runtime>,
	frame_system::WeightReclaim<Runtime>,
);

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to apply on runtime upgrade.
pub type Migrations = ();

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(3)]
	pub type TransactionPayment = pallet_transaction_payment;
	#[runtime::pallet_index(4)]
	pub type Utility = pallet_utility;

	// Consensus. The validator set builds its genesis before `Session` asks it for the set.
	#[runtime::pallet_index(10)]
	pub type ValidatorSet = pallet_crucible_validator_set;
	#[runtime::pallet_index(11)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(12)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(13)]
	pub type Grandpa = pallet_grandpa;

	// Governance.
	#[runtime::pallet_index(20)]
	pub type Treasury = pallet_treasury;
	#[runtime::pallet_index(21)]
	pub type Preimage = pallet_preimage;
	#[runtime::pallet_index(22)]
	pub type Scheduler = pallet_scheduler;
	#[runtime::pallet_index(23)]
	pub type ConvictionVoting = pallet_conviction_voting;
	#[runtime::pallet_index(24)]
	pub type Referenda = pallet_referenda;
	#[runtime::pallet_index(25)]
	pub type Origins = pallet_crucible_origins;

	// The compute market.
	#[runtime::pallet_index(30)]
	pub type Bme = pallet_crucible_bme;
	#[runtime::pallet_index(31)]
	pub type Providers = pallet_crucible_providers;
	#[runtime::pallet_index(32)]
	pub type Leases = pallet_crucible_leases;
}

#[cfg(test)]
mod tests;
