//! OpenGov for CRU holders: the origins each track dispatches with, and who may do what.
//!
//! | track           | origin          | may                                                  |
//! |-----------------|-----------------|------------------------------------------------------|
//! | `root`          | `Root`          | anything (runtime upgrades, forced transfers, ...)   |
//! | `general_admin` | `GeneralAdmin`  | add or remove validators, cancel referenda, BME market and emission parameters |
//! | `treasurer`     | `Treasurer`     | spend up to [`TREASURER_SPEND_LIMIT`] from the treasury |
//! | `oracle_admin`  | `OracleAdmin`   | add or remove price feeders, set the oracle's parameters |
//! | `market_admin`  | `MarketAdmin`   | the GPU catalogue, provider bonds and unbonding period, suspend or reinstate providers |
//!
//! There is no sudo. Adding a track: one variant in `pallet_crucible_origins::Origin`, one row
//! in [`tracks::TRACKS`] and one arm in `tracks::TracksInfo::track_for`.

pub mod tracks;

use crate::{AccountId, Balance};
use crucible_primitives::currency::CRU;
use frame_support::{
	parameter_types,
	traits::{EitherOf, EitherOfDiverse},
};
use frame_system::{EnsureRoot, EnsureRootWithSuccess, EnsureWithSuccess};

pub use pallet_crucible_origins::{
	GeneralAdmin, MarketAdmin, OracleAdmin, Origin as CrucibleOrigin, TrackTiming, Treasurer,
};
pub use tracks::TracksInfo;

/// The most a single treasurer-track referendum may spend.
pub const TREASURER_SPEND_LIMIT: Balance = 100_000 * CRU;

parameter_types! {
	pub const MaxBalance: Balance = Balance::MAX;
	pub const TreasurerSpendLimit: Balance = TREASURER_SPEND_LIMIT;
}

/// Root, or the general admin track.
pub type GeneralAdminOrRoot = EitherOfDiverse<EnsureRoot<AccountId>, GeneralAdmin>;

/// Root, or the oracle admin track.
pub type OracleAdminOrRoot = EitherOfDiverse<EnsureRoot<AccountId>, OracleAdmin>;

/// Root, or the market admin track.
pub type MarketAdminOrRoot = EitherOfDiverse<EnsureRoot<AccountId>, MarketAdmin>;

/// Who may reject treasury spends: root or the treasurer track.
pub type TreasuryRejecter = EitherOfDiverse<EnsureRoot<AccountId>, Treasurer>;

/// Who may spend from the treasury, and how much: root without limit, the treasurer track up to
/// [`TREASURER_SPEND_LIMIT`].
pub type TreasurySpender = EitherOf<
	EnsureRootWithSuccess<AccountId, MaxBalance>,
	EnsureWithSuccess<Treasurer, AccountId, TreasurerSpendLimit>,
>;
