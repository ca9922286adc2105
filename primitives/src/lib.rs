//! Types shared by the Crucible runtime, node, pallets and tests.
//!
//! Everything that more than one crate needs to agree on lives here: the account, balance and
//! block types, the CRU denominations, and the cross-pallet traits and runtime-API types of the
//! burn-mint equilibrium ([`bme`]: `Credits`, `CreditLedger`, `BmeApi`) and of the provider
//! registry ([`providers`]: the GPU catalogue, `ProviderRegistry`, `Reputation`, `Slashing`,
//! `ProvidersApi`) and of the lease market ([`leases`]: close reasons, `LeasesApi`).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod attestation;
pub mod bme;
pub mod bounds;
pub mod challenge;
pub mod endpoint;
pub mod leases;
pub mod providers;
#[cfg(feature = "test-utils")]
pub mod testing;

use sp_runtime::{
	generic,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiSignature, OpaqueExtrinsic,
};

/// An index to a block.
pub type BlockNumber = u32;

/// Signature type of an account (sr25519, ed25519 or ecdsa).
pub type Signature = MultiSignature;

/// An account on the chain: the public key behind [`Signature`], as 32 bytes.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// A CRU amount, in plancks (10^-12 CRU).
pub type Balance = u128;

/// The index of a transaction of an account.
pub type Nonce = u32;

/// A hash of some data on the chain.
pub type Hash = sp_core::H256;

/// The block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// A block whose extrinsics are kept opaque: what the node handles without knowing the runtime.
pub type OpaqueBlock = generic::Block<Header, OpaqueExtrinsic>;

/// CRU denominations. CRU has 12 decimals.
pub mod currency {
	use super::Balance;

	/// Number of decimals of CRU.
	pub const DECIMALS: u8 = 12;
	/// The token symbol.
	pub const SYMBOL: &str = "CRU";
	/// One CRU, in plancks.
	pub const CRU: Balance = 1_000_000_000_000;
	/// One thousandth of a CRU.
	pub const MILLI_CRU: Balance = CRU / 1_000;
	/// One millionth of a CRU.
	pub const MICRO_CRU: Balance = CRU / 1_000_000;
	/// The smallest balance an account may hold (1 milli-CRU). Below it, the account is reaped
	/// and the dust goes to the treasury.
	pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_CRU;
}

/// Block times, in blocks of [`time::MILLI_SECS_PER_BLOCK`].
pub mod time {
	use super::BlockNumber;

	/// Target block time: 6 seconds.
	pub const MILLI_SECS_PER_BLOCK: u64 = 6_000;
	/// Aura slot duration; one block per slot.
	pub const SLOT_DURATION: u64 = MILLI_SECS_PER_BLOCK;
	/// Blocks in a minute.
	pub const MINUTES: BlockNumber = 60_000 / (MILLI_SECS_PER_BLOCK as BlockNumber);
	/// Blocks in an hour.
	pub const HOURS: BlockNumber = MINUTES * 60;
	/// Blocks in a day.
	pub const DAYS: BlockNumber = HOURS * 24;
}

#[cfg(test)]
mod tests {
	use super::{currency::*, time::*};

	#[test]
	fn denominations_are_consistent() {
		assert_eq!(CRU, 10u128.pow(DECIMALS as u32));
		assert_eq!(MILLI_CRU * 1_000, CRU);
		assert_eq!(MICRO_CRU * 1_000_000, CRU);
		assert_eq!(DAYS, 14_400);
	}
}
