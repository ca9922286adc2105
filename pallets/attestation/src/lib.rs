//! # Attestation
//!
//! Census rounds of seeded INT8 GEMM challenges (`crucible_primitives::challenge`): every due
//! device of every provider is challenged in the same window, its provider's worker commits a
//! Merkle root over the output rows, validators' off-chain workers open private rows and vote,
//! and a wrong committed row is proven on-chain.
//!
//! ## Terms
//! - *Epoch*: the first starts at block 1, each next one `epoch_length` blocks later. Its start
//!   applies pending K, N, `epoch_length` and calibrations and records the epoch seed (B's key).
//! - *Round*: opened by block o (not before the previous close has completed, then
//!   `min_round_gap` blocks or more after the last opening when the parent hash draws it at
//!   `round_hazard`, and surely at `max_round_gap`). It records its seed, what it used (K, N,
//!   target, shares, rates), its deadlines and a snapshot of the validators' attestation keys.
//! - *Due*: a device whose provider registered, and which was added, before o; a device owing a
//!   zero leased share is not.
//! - *Share*: `Leased` for a device leased, when its commit is dispatched, under a lease that
//!   started before o; else `Full`.
//!
//! ## Timeline of a round
//! o opens; commits in o+1..=o+D (D = ceil(target / (alpha · 6 s)) + slack); verdicts before
//! c = o + D + max(check_blocks, v + 2); fraud proofs until c + fraud_window.
//!
//! ## Calls
//! - `set_params(params)` (admin): validated, then timing from the next opening, K, N and
//!   `epoch_length` from the next epoch.
//! - `set_calibration(model, rate_gops)` (admin): from the next epoch.
//! - `commit(round, round_seed, epoch_seed, provider, devices, signature)`: an authorized General
//!   transaction (no fee payer, no nonce), signed by the provider's worker key over
//!   `attestation::commit_payload`. `authorize` refuses it outside the commit window, with
//!   another fork's seeds, twice for one (round, provider), from a provider that is not Active,
//!   or with a bad signature; dispatch drops entries for unknown, duplicate or not-due devices, a
//!   wrong share or row count (`CommitEntryRefused`), and stores the rest with its digest.
//! - `submit_verdicts(round, round_seed, validator_index, verdicts, signature)`: an authorized
//!   General transaction signed by the validator's snapshot key, before the close. Each verdict
//!   names the commit's digest (another is refused); a validator's verdict on a device counts
//!   once (`VoteBits`); every `Unavailable` is a veto, counted per validator per round and in
//!   total.
//!
//! - `report_fraud(proof, validator_index, signature)`: an authorized General transaction signed
//!   by a snapshot key over `attestation::fraud_payload`, from the commit's inclusion to the
//!   round's fraud deadline, once per (round, provider, device). `authorize` verifies the proof
//!   fully in O(K + N + log rows): the row's leaf and path lead to the committed root, and the
//!   named entry is out of range or differs from its recomputation; an invalid proof never
//!   enters a block. Another validator can copy and re-sign a proof to take the reward: the
//!   first included wins. Dispatch: the provider's open leases close as
//!   `ProviderFault(WrongResults)` (refund and compensation from the bond, tenants first), then
//!   `fraud_slash` of the bond still held is slashed, `reporter_share` of it to the reporter and
//!   the rest to the treasury, the provider is suspended if Active, the device's outcome is
//!   `Proven`, and the provider is counted `AttestationFailed` with its failure block recorded.
//!
//! ## The close
//! From c on, a cursor over the registry's providers (`ClosePerBlock` a block in
//! `on_initialize`) decides each due device: `Proven` if a fraud proof landed, else `Vetoed` if
//! any veto, else `Passed(share)` with more than `pass_quorum` of the snapshot's votes (with one
//! validator or a quorum of 0, one vote), else `Unverified` if committed (carrying a previous
//! pass, not a carry), else `Uncommitted`. Standing changes apply when the cursor finishes: a
//! device keeps its last two outcomes and reads the older one while its round is closing. A due
//! device leased at the close and neither passed nor unverified counts a miss;
//! `max_missed_leased` in a row close its lease as `ProviderFault(Unreachable)` when the market
//! requires attestation. A provider whose committed devices all passed is credited
//! `AttestationPassed`.
//!
//! ## Authorization failure codes (`InvalidTransaction::Custom`)
//! | code | meaning |
//! |---|---|
//! | 1 | unknown round |
//! | 2 | outside the call's window |
//! | 3 | seeds of another fork |
//! | 4 | already committed |
//! | 5 | not a provider |
//! | 6 | provider not Active |
//! | 7 | bad signature |
//! | 8 | not a validator of the round's snapshot |
//! | 9 | a verdict about another commit than the stored one |
//! | 10 | a verdict about a provider or device that did not commit |
//! | 11 | the validator already gave its verdicts on the provider |
//! | 12 | rows: more than s_v, repeated, or beyond the device's |
//! | 13 | no verdicts |
//! | 14 | the fraud window has closed |
//! | 15 | a fraud proof already landed for the device in the round |
//! | 16 | the proof's row is beyond the device's rows, or its values are not N long |
//! | 17 | the proof's path does not lead to the committed root |
//! | 18 | the proven entry is in range and right |
//!
//! ## The off-chain worker
//! Every validator holding a key of the open round's snapshot checks the committed providers
//! on each new best block ([`offchain`]): r and Br once per epoch, s_v private rows per device
//! drawn once per (round seed, provider), one signed POST per provider in parallel (at most
//! `OcwProvidersPerRun` a run, 2 s of waiting), the answer read under its cap and checked
//! ([`ocw`]); a wrong row is proven with `report_fraud`, and a device without a good answer
//! after `http_attempts` (one a block, the last by c − 2) is vetoed naming its rows. Endpoints
//! are fetched only at public IP literals unless the registry allows private endpoints.
//!
//! ## Status (issue 17, in progress)
//! This crate has the parameters, calibrations, epochs, round openings with their snapshot,
//! commits, verdicts, fraud proofs with their consequences, the close (standing, misses,
//! lease faults, reputation), pruning and the off-chain worker. Benchmarks, the session key
//! handler, the runtime API and the runtime wiring come next; the pallet is not in the
//! runtime yet.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

mod close;
pub mod ocw;
pub mod offchain;
pub mod round;
pub mod types;
pub mod weights;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

pub use pallet::*;
pub use weights::WeightInfo;

use crucible_primitives::challenge::Blake2;

/// BLAKE2b-256 through the `sp_io` host function (on-chain and in the off-chain worker).
pub enum SpIoBlake2 {}

impl Blake2 for SpIoBlake2 {
	fn blake2_256(data: &[u8]) -> [u8; 32] {
		sp_io::hashing::blake2_256(data)
	}
}

/// The `InvalidTransaction::Custom` codes `authorize` fails with (tabled in the crate docs).
pub mod codes {
	/// Unknown round.
	pub const UNKNOWN_ROUND: u8 = 1;
	/// Outside the call's window.
	pub const WRONG_PHASE: u8 = 2;
	/// Seeds of another fork.
	pub const SEED_MISMATCH: u8 = 3;
	/// Already committed.
	pub const ALREADY_COMMITTED: u8 = 4;
	/// Not a provider.
	pub const NOT_A_PROVIDER: u8 = 5;
	/// Provider not Active.
	pub const PROVIDER_NOT_ACTIVE: u8 = 6;
	/// Bad signature.
	pub const BAD_SIGNATURE: u8 = 7;
	/// Not a validator of the round's snapshot.
	pub const NOT_ROUND_VALIDATOR: u8 = 8;
	/// A verdict about another commit than the stored one.
	pub const STALE_DIGEST: u8 = 9;
	/// A verdict about a provider, or a device, that did not commit.
	pub const NOT_COMMITTED: u8 = 10;
	/// The validator already gave its verdicts on the provider in this round.
	pub const ALREADY_VOTED: u8 = 11;
	/// More rows named than the validator opens, a row twice, or a row beyond the device's.
	pub const BAD_ROWS: u8 = 12;
	/// No verdicts.
	pub const EMPTY: u8 = 13;
	/// The fraud window has closed.
	pub const FRAUD_WINDOW_CLOSED: u8 = 14;
	/// A fraud proof already landed for the device in the round.
	pub const ALREADY_PROVEN: u8 = 15;
	/// The proof's row is beyond the device's rows, or its values are not N long.
	pub const ROW_OUT_OF_RANGE: u8 = 16;
	/// The proof's path does not lead to the committed root.
	pub const BAD_PATH: u8 = 17;
	/// The proven entry is in range and right.
	pub const NOT_FRAUD: u8 = 18;
}

#[frame_support::pallet]
pub mod pallet {
	use super::{codes, round, types::*, SpIoBlake2, WeightInfo};
	use alloc::{collections::BTreeSet, vec::Vec};
	use crucible_primitives::{
		attestation::{
			self, AttestationKey, AttestationParams, AttestationSignature, DeviceCommit,
			FraudProof, ParamsError, ProviderVerdict, Verdict, VoteBits, MAX_VALIDATORS,
			MAX_VERDICT_PROVIDERS,
		},
		challenge::{matrix, merkle, seeds, Shape},
		leases::{FaultKind, LeaseFaults},
		providers::{
			DeviceId, GpuModelId, ProviderRegistry, ProviderStatus, Reputation, ReputationEvent,
			SlashReason, Slashing,
		},
		AccountId, Balance, BlockNumber,
	};
	use frame_support::{
		dispatch::DispatchResult,
		pallet_prelude::*,
		traits::{EnsureOrigin, Get},
	};
	use frame_system::pallet_prelude::*;
	use sp_core::{sr25519, H256};
	use sp_runtime::{
		traits::{UniqueSaturatedInto, Zero},
		transaction_validity::{
			InvalidTransaction, TransactionPriority, TransactionSource,
			TransactionValidityWithRefund, ValidTransaction,
		},
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	/// The longest pruning cursor kept (a storage key).
	pub const PRUNE_CURSOR_BYTES: u32 = 256;

	/// The most leases a fraud proof's dispatch is charged for closing (refunded to what it
	/// closed).
	pub const MAX_FAULTED_LEASES: u32 = 64;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config:
		frame_system::Config<AccountId = AccountId>
		+ frame_system::offchain::CreateAuthorizedTransaction<Call<Self>>
	{
		/// The provider registry: registrations, devices, worker keys, the catalogue.
		type Registry: ProviderRegistry<AccountId>;
		/// The lease market: lease starts (for shares).
		type Leases: LeaseFaults<AccountId>;
		/// Reputation counters of providers.
		type Reputation: Reputation<AccountId>;
		/// Slashes provider bonds.
		type Slashing: Slashing<AccountId>;
		/// Sets parameters and calibrations (the market-admin track).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// The most devices a provider has (the registry's bound).
		#[pallet::constant]
		type MaxDevices: Get<u32>;
		/// The most catalogue models (bounds the calibrations).
		#[pallet::constant]
		type MaxModels: Get<u32>;
		/// Providers the close visits a block in `on_initialize`.
		#[pallet::constant]
		type ClosePerBlock: Get<u32>;
		/// Storage keys pruning removes a block in `on_initialize`.
		#[pallet::constant]
		type PrunePerBlock: Get<u32>;
		/// Providers one off-chain worker run checks at most.
		#[pallet::constant]
		type OcwProvidersPerRun: Get<u32>;
		/// Weights.
		type WeightInfo: WeightInfo;
	}

	/// The parameters in force.
	#[pallet::storage]
	pub type Params<T> = StorageValue<_, AttestationParams, ValueQuery, DefaultParams>;

	/// The testnet's parameters, until genesis or governance sets others.
	pub struct DefaultParams;
	impl Get<AttestationParams> for DefaultParams {
		fn get() -> AttestationParams {
			AttestationParams::testnet()
		}
	}

	/// Parameters set, whose timing applies at the next opening.
	#[pallet::storage]
	pub type PendingTiming<T> = StorageValue<_, AttestationParams, OptionQuery>;

	/// K, N and `epoch_length` set, applying at the next epoch.
	#[pallet::storage]
	pub type PendingEpoch<T> = StorageValue<_, (Shape, BlockNumber), OptionQuery>;

	/// A model's calibrated rate, GOPS (models without one use `default_rate` of their peak).
	#[pallet::storage]
	pub type Calibration<T> = CountedStorageMap<_, Twox64Concat, GpuModelId, u64>;

	/// Calibrations set, applying at the next epoch.
	#[pallet::storage]
	pub type PendingCalibration<T> = CountedStorageMap<_, Twox64Concat, GpuModelId, u64>;

	/// The current epoch.
	#[pallet::storage]
	pub type CurrentEpoch<T> = StorageValue<_, EpochInfo, OptionQuery>;

	/// The index the next round gets.
	#[pallet::storage]
	pub type NextRound<T> = StorageValue<_, u64, ValueQuery>;

	/// The block of the last opening.
	#[pallet::storage]
	pub type LastOpening<T> = StorageValue<_, BlockNumber, OptionQuery>;

	/// The round whose close has not completed (no round opens while one is set).
	#[pallet::storage]
	pub type OpenRound<T> = StorageValue<_, u64, OptionQuery>;

	/// Rounds by index (kept until their fraud window has passed).
	#[pallet::storage]
	pub type Rounds<T> = StorageMap<_, Twox64Concat, u64, RoundRecord>;

	/// Each round's validators, copied at its opening.
	#[pallet::storage]
	pub type Snapshots<T> =
		StorageMap<_, Twox64Concat, u64, Snapshot<AccountId, ConstU32<MAX_VALIDATORS>>>;

	/// The current session's validators and their attestation keys.
	#[pallet::storage]
	pub type Keys<T> = StorageValue<
		_,
		BoundedVec<(AccountId, AttestationKey), ConstU32<MAX_VALIDATORS>>,
		ValueQuery,
	>;

	/// Commits by (round, provider).
	#[pallet::storage]
	pub type Commits<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		u64,
		Blake2_128Concat,
		AccountId,
		CommitRecord<T::MaxDevices>,
	>;

	/// A committed device stays locked (not removable) until this block: its round's fraud
	/// deadline.
	#[pallet::storage]
	pub type LockedUntil<T> =
		StorageDoubleMap<_, Blake2_128Concat, AccountId, Twox64Concat, DeviceId, BlockNumber>;

	/// The latest lock of any of a provider's devices.
	#[pallet::storage]
	pub type ProviderLockedUntil<T> = StorageMap<_, Blake2_128Concat, AccountId, BlockNumber>;

	/// Votes on a committed device, by (round, provider, device).
	#[pallet::storage]
	pub type Votes<T> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, u64>,
			NMapKey<Blake2_128Concat, AccountId>,
			NMapKey<Twox64Concat, DeviceId>,
		),
		VoteBits,
	>;

	/// Validators (snapshot bits) that gave verdicts on a provider in a round.
	#[pallet::storage]
	pub type Voted<T> =
		StorageDoubleMap<_, Twox64Concat, u64, Blake2_128Concat, AccountId, u32, ValueQuery>;

	/// Vetoes a validator (by snapshot index) cast in a round.
	#[pallet::storage]
	pub type RoundVetoes<T> =
		StorageDoubleMap<_, Twox64Concat, u64, Twox64Concat, u32, u32, ValueQuery>;

	/// Every validator's verdicts, vetoes and fraud proofs, in total.
	#[pallet::storage]
	pub type ValidatorStats<T> =
		StorageMap<_, Blake2_128Concat, AccountId, ValidatorCounters, ValueQuery>;

	/// Fraud proven on a device in a round, by (round, provider, device).
	#[pallet::storage]
	pub type Proven<T> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, u64>,
			NMapKey<Blake2_128Concat, AccountId>,
			NMapKey<Twox64Concat, DeviceId>,
		),
		(),
	>;

	/// A device's last two outcomes and its misses while leased.
	#[pallet::storage]
	pub type Standing<T> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		AccountId,
		Twox64Concat,
		DeviceId,
		DeviceRecord,
		ValueQuery,
	>;

	/// The close in progress.
	#[pallet::storage]
	pub type CloseCursor<T> = StorageValue<_, CloseState<AccountId>, OptionQuery>;

	/// A provider's latest proven attestation failure.
	#[pallet::storage]
	pub type LastFailure<T> = StorageMap<_, Blake2_128Concat, AccountId, BlockNumber>;

	/// The oldest round not yet pruned.
	#[pallet::storage]
	pub type PruneNext<T> = StorageValue<_, u64, ValueQuery>;

	/// The pruning in progress: the map being cleared and its cursor.
	#[pallet::storage]
	pub type PruneState<T> =
		StorageValue<_, (u8, Option<BoundedVec<u8, ConstU32<PRUNE_CURSOR_BYTES>>>), OptionQuery>;

	/// A closed round's counts per outcome.
	#[pallet::storage]
	pub type RoundResults<T> = StorageMap<_, Twox64Concat, u64, RoundCounts>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The parameters (the testnet's when `None`).
		pub params: Option<AttestationParams>,
		/// Calibrations, GOPS, in force from the first epoch.
		pub calibrations: Vec<(GpuModelId, u64)>,
		/// The first session's validators and their attestation keys.
		pub keys: Vec<(AccountId, AttestationKey)>,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			if let Some(p) = &self.params {
				assert_eq!(p.validate(), Ok(()), "invalid attestation parameters in genesis");
				Params::<T>::put(p);
			}
			for (model, rate) in &self.calibrations {
				assert!(*rate > 0, "zero calibration in genesis");
				Calibration::<T>::insert(model, rate);
			}
			let keys: BoundedVec<_, _> =
				self.keys.clone().try_into().expect("at most 32 validators in genesis");
			Keys::<T>::put(keys);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An epoch started.
		EpochStarted {
			/// Its index.
			epoch: u32,
			/// Its seed.
			seed: H256,
			/// K.
			k: u32,
			/// N.
			n: u32,
		},
		/// A round opened.
		RoundOpened {
			/// Its index.
			round: u64,
			/// Its epoch.
			epoch: u32,
			/// Its seed.
			seed: H256,
			/// The last block that accepts commits.
			deadline: BlockNumber,
			/// The close block.
			close: BlockNumber,
			/// The snapshot's size.
			validators: u32,
		},
		/// A provider committed roots.
		Committed {
			/// The round.
			round: u64,
			/// The provider.
			provider: AccountId,
			/// Devices accepted.
			devices: u32,
			/// The stored commit's digest.
			digest: H256,
		},
		/// An entry of a commit was dropped.
		CommitEntryRefused {
			/// The round.
			round: u64,
			/// The provider.
			provider: AccountId,
			/// The device.
			device: DeviceId,
			/// Why (one of this pallet's errors).
			reason: Error<T>,
		},
		/// A validator's verdicts were counted.
		VerdictsSubmitted {
			/// The round.
			round: u64,
			/// The validator (snapshot account).
			validator: AccountId,
			/// Providers covered.
			providers: u32,
		},
		/// A validator vetoed a device: rows it drew were not served.
		Vetoed {
			/// The round.
			round: u64,
			/// The validator (snapshot account).
			validator: AccountId,
			/// The provider.
			provider: AccountId,
			/// The device.
			device: DeviceId,
			/// The rows not served.
			rows: u32,
		},
		/// A provider's due devices were decided by the close.
		ProviderTallied {
			/// The round.
			round: u64,
			/// The provider.
			provider: AccountId,
			/// Devices passed.
			passed: u32,
			/// Devices vetoed.
			vetoed: u32,
			/// Devices committed but unverified.
			unverified: u32,
			/// Of the unverified, those that carried a previous pass.
			carried: u32,
			/// Due devices not committed.
			uncommitted: u32,
		},
		/// A leased device missed a census.
		LeaseMissedCensus {
			/// The round.
			round: u64,
			/// The provider.
			provider: AccountId,
			/// The device.
			device: DeviceId,
			/// Misses in a row.
			misses: u32,
		},
		/// A fraud proof landed.
		FraudProven {
			/// The round.
			round: u64,
			/// The provider.
			provider: AccountId,
			/// The device.
			device: DeviceId,
			/// The row.
			row: u32,
			/// The wrong column.
			column: u32,
			/// The reporter (snapshot account).
			reporter: AccountId,
			/// CRU slashed in all (reporter and treasury).
			slashed: Balance,
			/// Of it, to the reporter.
			to_reporter: Balance,
			/// Leases closed as `ProviderFault(WrongResults)`.
			leases_faulted: u32,
			/// Compensation paid to their tenants from the bond.
			compensation: Balance,
		},
		/// A round's close completed.
		RoundClosed {
			/// The round.
			round: u64,
			/// Devices passed.
			passed: u32,
			/// Devices vetoed.
			vetoed: u32,
			/// Devices unverified.
			unverified: u32,
			/// Devices proven wrong.
			proven: u32,
			/// Due devices not committed.
			uncommitted: u32,
		},
		/// A round's commits, votes, proofs and snapshot were removed (its fraud window passed).
		RoundPruned {
			/// The round.
			round: u64,
		},
		/// Parameters were set; timing applies from the next opening, K, N and the epoch
		/// length from the next epoch.
		ParamsScheduled {
			/// The parameters.
			params: AttestationParams,
		},
		/// A calibration was set, applying from the next epoch.
		CalibrationScheduled {
			/// The model.
			model: GpuModelId,
			/// GOPS.
			rate_gops: u64,
		},
	}

	#[pallet::error]
	#[derive(PartialEq, Clone)]
	pub enum Error<T> {
		/// No such round.
		UnknownRound,
		/// Outside the call's window.
		WrongPhase,
		/// The seeds are not the round's (a call from another fork).
		SeedMismatch,
		/// The provider already committed in this round.
		AlreadyCommitted,
		/// Not a registered provider.
		NotAProvider,
		/// The provider is not Active.
		ProviderNotActive,
		/// The signature does not verify.
		BadSignature,
		/// Not a validator of the round's snapshot.
		NotRoundValidator,
		/// The verdict is about another commit than the stored one.
		StaleDigest,
		/// The provider did not commit in the round.
		NotCommitted,
		/// No such device.
		UnknownDevice,
		/// A device listed twice.
		DuplicateDevice,
		/// The device is not due in the round.
		DeviceNotDue,
		/// The share is not the device's.
		WrongShare,
		/// The row count is not what the chain set.
		WrongRowCount,
		/// A row beyond the device's rows.
		RowOutOfRange,
		/// The path does not lead to the committed root.
		BadPath,
		/// The proven entry is right.
		NotFraud,
		/// The fraud window has closed.
		FraudWindowClosed,
		/// A fraud proof already landed for the device in the round.
		AlreadyProven,
		/// More rows than a validator opens.
		TooManyRows,
		/// K or N not multiples of 64 within bounds.
		BadShape,
		/// Round gaps, hazard or epoch length out of order.
		BadGaps,
		/// `pass_quorum` 100 % or `max_missed_leased` 0.
		BadQuorum,
		/// `leased_share` above 100 %.
		BadShare,
		/// A timing bound broken.
		BadWindow,
		/// `default_rate` 0.
		BadRate,
		/// No such catalogue model.
		UnknownModel,
		/// A calibration of 0 GOPS.
		ZeroRate,
	}

	impl<T> From<ParamsError> for Error<T> {
		fn from(e: ParamsError) -> Self {
			match e {
				ParamsError::BadShape => Error::BadShape,
				ParamsError::BadGaps => Error::BadGaps,
				ParamsError::BadQuorum => Error::BadQuorum,
				ParamsError::BadShare => Error::BadShare,
				ParamsError::BadWindow => Error::BadWindow,
				ParamsError::BadRate => Error::BadRate,
				ParamsError::TooManyRows => Error::TooManyRows,
			}
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			let now: BlockNumber = n.unique_saturated_into();
			let mut weight = T::WeightInfo::idle_block();
			if let Some(m) = Self::maybe_start_epoch(now) {
				weight = weight.saturating_add(T::WeightInfo::start_epoch(m));
			}
			if let Some((p, d)) = Self::close_step(now, T::ClosePerBlock::get()) {
				weight = weight.saturating_add(T::WeightInfo::close_step(p, d));
			}
			if let Some(v) = Self::maybe_open_round(now) {
				weight = weight.saturating_add(T::WeightInfo::open_round(v));
			}
			if let Some(keys) = Self::prune_step(now, T::PrunePerBlock::get()) {
				weight = weight.saturating_add(T::WeightInfo::prune_step(keys));
			}
			weight
		}

		fn on_idle(n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			// More of the close and of the pruning, as far as the block's spare weight goes.
			let now: BlockNumber = n.unique_saturated_into();
			let mut used = Weight::zero();
			let per_provider = T::WeightInfo::close_step(1, T::MaxDevices::get());
			let close_limit = Self::idle_limit(remaining, per_provider, T::ClosePerBlock::get());
			if close_limit > 0 {
				if let Some((p, d)) = Self::close_step(now, close_limit) {
					used = used.saturating_add(T::WeightInfo::close_step(p, d));
				}
			}
			let left = remaining.saturating_sub(used);
			let prune_limit =
				Self::idle_limit(left, T::WeightInfo::prune_step(1), T::PrunePerBlock::get());
			if prune_limit > 0 {
				if let Some(keys) = Self::prune_step(now, prune_limit) {
					used = used.saturating_add(T::WeightInfo::prune_step(keys));
				}
			}
			used
		}

		fn offchain_worker(n: BlockNumberFor<T>) {
			crate::offchain::run::<T>(n.unique_saturated_into());
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	/// A commit's entries.
	pub type CommitEntries<T> = BoundedVec<DeviceCommit, <T as Config>::MaxDevices>;
	/// A validator's verdicts in one call.
	pub type VerdictsOf<T> = BoundedVec<
		ProviderVerdict<AccountId, <T as Config>::MaxDevices>,
		ConstU32<MAX_VERDICT_PROVIDERS>,
	>;

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Set the parameters (admin): validated, then timing from the next opening, K, N and
		/// `epoch_length` from the next epoch.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: AttestationParams) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			params.validate().map_err(Error::<T>::from)?;
			let shape = params.shape().ok_or(Error::<T>::BadShape)?;
			PendingTiming::<T>::put(&params);
			PendingEpoch::<T>::put((shape, params.epoch_length));
			Self::deposit_event(Event::ParamsScheduled { params });
			Ok(())
		}

		/// Set a catalogue model's calibrated rate in GOPS (admin), from the next epoch.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_calibration())]
		pub fn set_calibration(
			origin: OriginFor<T>,
			model: GpuModelId,
			rate_gops: u64,
		) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(T::Registry::int8_tops(model).is_some(), Error::<T>::UnknownModel);
			ensure!(rate_gops > 0, Error::<T>::ZeroRate);
			PendingCalibration::<T>::insert(model, rate_gops);
			Self::deposit_event(Event::CalibrationScheduled { model, rate_gops });
			Ok(())
		}

		/// Commit the roots of a provider's devices in a round: an authorized General
		/// transaction signed by the provider's worker key (see the crate docs).
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::commit(devices.len() as u32))]
		#[pallet::authorize(Pallet::<T>::authorize_commit)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_commit(devices.len() as u32))]
		pub fn commit(
			origin: OriginFor<T>,
			round: u64,
			round_seed: H256,
			epoch_seed: H256,
			provider: AccountId,
			devices: CommitEntries<T>,
			signature: sr25519::Signature,
		) -> DispatchResult {
			frame_system::ensure_authorized(origin)?;
			let _ = signature;
			// `authorize` ran in this block's state; these hold again, checked for safety.
			let record = Rounds::<T>::get(round).ok_or(Error::<T>::UnknownRound)?;
			let now = Self::now();
			ensure!(Self::in_commit_window(&record, now), Error::<T>::WrongPhase);
			ensure!(
				record.round_seed == round_seed && record.epoch_seed == epoch_seed,
				Error::<T>::SeedMismatch
			);
			ensure!(!Commits::<T>::contains_key(round, &provider), Error::<T>::AlreadyCommitted);
			let view = T::Registry::attestation_view(&provider).ok_or(Error::<T>::NotAProvider)?;
			ensure!(view.status == ProviderStatus::Active, Error::<T>::ProviderNotActive);

			let registered = T::Registry::devices(&provider);
			let mut seen = BTreeSet::new();
			let mut accepted: BoundedVec<DeviceCommit, T::MaxDevices> = BoundedVec::new();
			for entry in devices {
				match Self::check_entry(&record, view.registered_at, &registered, &mut seen, &entry)
				{
					Ok(()) => {
						// Cannot fail: at most as many as were given.
						let _ = accepted.try_push(entry);
					}
					Err(reason) => Self::deposit_event(Event::CommitEntryRefused {
						round,
						provider: provider.clone(),
						device: entry.device,
						reason,
					}),
				}
			}
			let digest = attestation::commit_digest(&round_seed, &provider, &accepted);
			for entry in accepted.iter() {
				LockedUntil::<T>::insert(&provider, entry.device, record.fraud_deadline);
			}
			if !accepted.is_empty() {
				ProviderLockedUntil::<T>::mutate(&provider, |until| {
					*until = Some(until.unwrap_or(0).max(record.fraud_deadline))
				});
			}
			let count = accepted.len() as u32;
			Commits::<T>::insert(
				round,
				&provider,
				CommitRecord { digest, devices: accepted, at: now },
			);
			Self::deposit_event(Event::Committed { round, provider, devices: count, digest });
			Ok(())
		}

		/// The validator's verdicts in an authorized General transaction (see the crate docs).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::submit_verdicts(verdicts.len() as u32, T::MaxDevices::get()))]
		#[pallet::authorize(Pallet::<T>::authorize_submit_verdicts)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_submit_verdicts(
			verdicts.len() as u32,
			T::MaxDevices::get()
		))]
		pub fn submit_verdicts(
			origin: OriginFor<T>,
			round: u64,
			round_seed: H256,
			validator_index: u32,
			verdicts: VerdictsOf<T>,
			signature: AttestationSignature,
		) -> DispatchResult {
			frame_system::ensure_authorized(origin)?;
			let _ = (round_seed, signature);
			let validator = Snapshots::<T>::get(round)
				.and_then(|s| s.get(validator_index as usize).map(|(a, _)| a.clone()))
				.ok_or(Error::<T>::NotRoundValidator)?;
			let bit = 1u32 << validator_index;
			let mut vetoes = 0u32;
			let mut counted = 0u32;
			for pv in verdicts.iter() {
				// `authorize` checked digests and duplicates in this block's state; a verdict
				// counted already (same block, another transaction) is skipped.
				let stored =
					Commits::<T>::get(round, &pv.provider).ok_or(Error::<T>::NotCommitted)?;
				ensure!(stored.digest == pv.digest, Error::<T>::StaleDigest);
				if Voted::<T>::get(round, &pv.provider) & bit != 0 {
					continue;
				}
				Voted::<T>::mutate(round, &pv.provider, |v| *v |= bit);
				counted += 1;
				for (device, verdict) in pv.devices.iter() {
					let pass = matches!(verdict, Verdict::Pass);
					Votes::<T>::mutate((round, pv.provider.clone(), *device), |v| {
						let mut bits = v.unwrap_or_default();
						bits.record(validator_index, pass);
						*v = Some(bits);
					});
					if let Verdict::Unavailable { rows } = verdict {
						vetoes += 1;
						Self::deposit_event(Event::Vetoed {
							round,
							validator: validator.clone(),
							provider: pv.provider.clone(),
							device: *device,
							rows: rows.len() as u32,
						});
					}
				}
			}
			RoundVetoes::<T>::mutate(round, validator_index, |v| *v = v.saturating_add(vetoes));
			ValidatorStats::<T>::mutate(&validator, |s| {
				s.verdicts = s.verdicts.saturating_add(u64::from(counted));
				s.vetoes = s.vetoes.saturating_add(u64::from(vetoes));
			});
			Self::deposit_event(Event::VerdictsSubmitted { round, validator, providers: counted });
			Ok(())
		}

		/// A fraud proof, in an authorized General transaction (see the crate docs).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::report_fraud(MAX_FAULTED_LEASES))]
		#[pallet::authorize(Pallet::<T>::authorize_report_fraud)]
		#[pallet::weight_of_authorize(T::WeightInfo::authorize_report_fraud(
			crucible_primitives::challenge::MAX_K,
			crucible_primitives::challenge::MAX_N
		))]
		pub fn report_fraud(
			origin: OriginFor<T>,
			proof: FraudProof<AccountId>,
			validator_index: u32,
			signature: AttestationSignature,
		) -> DispatchResultWithPostInfo {
			frame_system::ensure_authorized(origin)?;
			let _ = signature;
			let (round, provider, device) = (proof.round, proof.provider.clone(), proof.device);
			ensure!(
				!Proven::<T>::contains_key((round, provider.clone(), device)),
				Error::<T>::AlreadyProven
			);
			let reporter = Snapshots::<T>::get(round)
				.and_then(|s| s.get(validator_index as usize).map(|(a, _)| a.clone()))
				.ok_or(Error::<T>::NotRoundValidator)?;
			// (1) The provider's open leases: refund and compensation from the bond first.
			let (leases_faulted, compensation) =
				T::Leases::fault_leases(&provider, None, FaultKind::WrongResults)?;
			// (2) `fraud_slash` of the bond still held, `reporter_share` of it to the reporter.
			let params = Params::<T>::get();
			let held = T::Registry::attestation_view(&provider).map(|v| v.bond_held).unwrap_or(0);
			let total = params.fraud_slash * held;
			let reporter_part = params.reporter_share * total;
			let to_reporter =
				T::Slashing::slash(&provider, reporter_part, Some(&reporter), SlashReason::Fraud)?;
			let to_treasury = T::Slashing::slash(
				&provider,
				total.saturating_sub(reporter_part),
				None,
				SlashReason::Fraud,
			)?;
			// (3) Suspended if Active.
			if T::Registry::status(&provider) == Some(ProviderStatus::Active) {
				let reason = alloc::format!("attestation fraud: round {round}, device {device}");
				T::Registry::suspend(&provider, reason.as_bytes())?;
			}
			// (4) The outcome, reputation, the failure block.
			Proven::<T>::insert((round, provider.clone(), device), ());
			T::Reputation::record(&provider, ReputationEvent::AttestationFailed);
			LastFailure::<T>::insert(&provider, Self::now());
			ValidatorStats::<T>::mutate(&reporter, |s| s.proofs = s.proofs.saturating_add(1));
			Self::deposit_event(Event::FraudProven {
				round,
				provider,
				device,
				row: proof.row,
				column: proof.column,
				reporter,
				slashed: to_reporter.saturating_add(to_treasury),
				to_reporter,
				leases_faulted,
				compensation,
			});
			Ok(Some(T::WeightInfo::report_fraud(leases_faulted)).into())
		}
	}

	impl<T: Config> Pallet<T> {
		/// `authorize` of [`Pallet::submit_verdicts`]: phase, index and duplicates, then the
		/// signature, then each verdict against the stored commit.
		pub fn authorize_submit_verdicts(
			_source: TransactionSource,
			round: &u64,
			round_seed: &H256,
			validator_index: &u32,
			verdicts: &VerdictsOf<T>,
			signature: &AttestationSignature,
		) -> TransactionValidityWithRefund {
			let fail = |code: u8| InvalidTransaction::Custom(code).into();
			let record = Rounds::<T>::get(round).ok_or_else(|| fail(codes::UNKNOWN_ROUND))?;
			let now = Self::now();
			if now <= record.opened_at || now >= record.close_at {
				return Err(fail(codes::WRONG_PHASE));
			}
			if record.round_seed != *round_seed {
				return Err(fail(codes::SEED_MISMATCH));
			}
			let snapshot = Snapshots::<T>::get(round).unwrap_or_default();
			let (_, key) = snapshot
				.get(*validator_index as usize)
				.ok_or_else(|| fail(codes::NOT_ROUND_VALIDATOR))?;
			if verdicts.is_empty() {
				return Err(fail(codes::EMPTY));
			}
			let bit = 1u32 << validator_index;
			let mut providers = BTreeSet::new();
			for pv in verdicts.iter() {
				if !providers.insert(pv.provider.clone())
					|| Voted::<T>::get(round, &pv.provider) & bit != 0
				{
					return Err(fail(codes::ALREADY_VOTED));
				}
			}
			let payload = attestation::verdicts_payload(
				&Self::genesis_hash(),
				*round,
				round_seed,
				*validator_index,
				verdicts,
			);
			use sp_runtime::RuntimeAppPublic;
			if !key.verify(&payload, signature) {
				return Err(fail(codes::BAD_SIGNATURE));
			}
			for pv in verdicts.iter() {
				let stored = Commits::<T>::get(round, &pv.provider)
					.ok_or_else(|| fail(codes::NOT_COMMITTED))?;
				if stored.digest != pv.digest {
					return Err(fail(codes::STALE_DIGEST));
				}
				let mut devices = BTreeSet::new();
				for (device, verdict) in pv.devices.iter() {
					let entry = stored
						.devices
						.iter()
						.find(|e| e.device == *device)
						.ok_or_else(|| fail(codes::NOT_COMMITTED))?;
					if !devices.insert(*device) {
						return Err(fail(codes::ALREADY_VOTED));
					}
					if let Verdict::Unavailable { rows } = verdict {
						let s_v = crucible_primitives::challenge::rows_per_validator(
							entry.rows,
							record.min_rows_per_validator,
							record.sample_rows,
							record.validators,
						);
						let distinct: BTreeSet<u32> = rows.iter().copied().collect();
						if rows.is_empty()
							|| rows.len() as u32 > s_v
							|| distinct.len() != rows.len()
							|| rows.iter().any(|r| *r >= entry.rows)
						{
							return Err(fail(codes::BAD_ROWS));
						}
					}
				}
			}
			let valid = ValidTransaction {
				priority: TransactionPriority::MAX,
				requires: Vec::new(),
				provides: verdicts
					.iter()
					.map(|pv| {
						(b"crucible/attest/verdict", round, validator_index, &pv.provider).encode()
					})
					.collect(),
				longevity: u64::from(record.close_at.saturating_sub(now)),
				propagate: true,
			};
			Ok((valid, Weight::zero()))
		}

		/// `authorize` of [`Pallet::report_fraud`]: the window, the index and duplicates, the
		/// signature, then the proof itself in O(K + N + log rows).
		pub fn authorize_report_fraud(
			_source: TransactionSource,
			proof: &FraudProof<AccountId>,
			validator_index: &u32,
			signature: &AttestationSignature,
		) -> TransactionValidityWithRefund {
			let fail = |code: u8| InvalidTransaction::Custom(code).into();
			let record = Rounds::<T>::get(proof.round).ok_or_else(|| fail(codes::UNKNOWN_ROUND))?;
			let now = Self::now();
			if now > record.fraud_deadline {
				return Err(fail(codes::FRAUD_WINDOW_CLOSED));
			}
			let commit = Commits::<T>::get(proof.round, &proof.provider)
				.ok_or_else(|| fail(codes::NOT_COMMITTED))?;
			let snapshot = Snapshots::<T>::get(proof.round).unwrap_or_default();
			let (_, key) = snapshot
				.get(*validator_index as usize)
				.ok_or_else(|| fail(codes::NOT_ROUND_VALIDATOR))?;
			if Proven::<T>::contains_key((proof.round, proof.provider.clone(), proof.device)) {
				return Err(fail(codes::ALREADY_PROVEN));
			}
			let payload = attestation::fraud_payload(
				&Self::genesis_hash(),
				proof.round,
				&record.round_seed,
				proof,
			);
			use sp_runtime::RuntimeAppPublic;
			if !key.verify(&payload, signature) {
				return Err(fail(codes::BAD_SIGNATURE));
			}
			let entry = commit
				.devices
				.iter()
				.find(|e| e.device == proof.device)
				.ok_or_else(|| fail(codes::NOT_COMMITTED))?;
			Self::check_fraud(&record, entry, proof).map_err(fail)?;
			let valid = ValidTransaction {
				priority: TransactionPriority::MAX,
				requires: Vec::new(),
				provides: alloc::vec![(
					b"crucible/attest/fraud",
					proof.round,
					&proof.provider,
					proof.device
				)
					.encode()],
				longevity: u64::from(record.fraud_deadline.saturating_sub(now)).saturating_add(1),
				propagate: true,
			};
			Ok((valid, Weight::zero()))
		}

		/// Whether `proof` shows a wrong entry of the committed `entry`: `Ok` if its leaf and
		/// path lead to the root and the named entry is out of range or differs from its
		/// recomputation, else the failure code.
		pub fn check_fraud(
			record: &RoundRecord,
			entry: &DeviceCommit,
			proof: &FraudProof<AccountId>,
		) -> Result<(), u8> {
			let shape = record.shape;
			if proof.row >= entry.rows
				|| proof.values.len() != shape.n as usize
				|| proof.column >= shape.n
			{
				return Err(codes::ROW_OUT_OF_RANGE);
			}
			let provider: [u8; 32] = proof.provider.clone().into();
			let leaf = merkle::leaf::<SpIoBlake2>(
				proof.round,
				&provider,
				proof.device,
				proof.row,
				&proof.values,
			);
			let path: Vec<[u8; 32]> = proof.path.iter().map(|h| h.0).collect();
			if !merkle::verify::<SpIoBlake2>(&leaf, proof.row, entry.rows, &path, &entry.root.0) {
				return Err(codes::BAD_PATH);
			}
			let value = proof.values[proof.column as usize];
			if !matrix::in_range(value, shape) {
				return Ok(());
			}
			let key_a = matrix::key_a::<SpIoBlake2>(&record.round_seed.0, &provider, proof.device);
			let key_b = matrix::key_b::<SpIoBlake2>(&record.epoch_seed.0);
			if matrix::recompute_entry(&key_a, &key_b, shape, proof.row, proof.column) != value {
				Ok(())
			} else {
				Err(codes::NOT_FRAUD)
			}
		}

		/// How many items of `unit` weight fit in `remaining`, at most 4 × `per_block` (with a
		/// zero unit, as in tests, `per_block`).
		fn idle_limit(remaining: Weight, unit: Weight, per_block: u32) -> u32 {
			let cap = per_block.saturating_mul(4);
			if unit.ref_time() == 0 {
				return if remaining.ref_time() == 0 { 0 } else { per_block };
			}
			let by_time = remaining.ref_time() / unit.ref_time();
			let by_proof = if unit.proof_size() == 0 {
				u64::MAX
			} else {
				remaining.proof_size() / unit.proof_size()
			};
			(by_time.min(by_proof).min(u64::from(cap))) as u32
		}

		/// One pruning step at `now` over up to `limit` keys of the oldest round whose fraud
		/// window has passed: its commits, votes, proofs, voters and veto counts by cursor, then
		/// its record, snapshot and counts. Returns the keys removed, or `None` when nothing is
		/// due.
		pub(crate) fn prune_step(now: BlockNumber, limit: u32) -> Option<u32> {
			let index = PruneNext::<T>::get();
			let record = Rounds::<T>::get(index)?;
			if now <= record.fraud_deadline || OpenRound::<T>::get() == Some(index) {
				return None;
			}
			let (mut stage, cursor) = PruneState::<T>::get().unwrap_or((0, None));
			let mut cursor: Option<Vec<u8>> = cursor.map(|c| c.into_inner());
			let mut budget = limit.max(1);
			let mut removed = 0u32;
			while budget > 0 && stage < 5 {
				let c = cursor.as_deref();
				let r = match stage {
					0 => Commits::<T>::clear_prefix(index, budget, c),
					1 => Votes::<T>::clear_prefix((index,), budget, c),
					2 => Proven::<T>::clear_prefix((index,), budget, c),
					3 => Voted::<T>::clear_prefix(index, budget, c),
					_ => RoundVetoes::<T>::clear_prefix(index, budget, c),
				};
				removed = removed.saturating_add(r.unique);
				budget = budget.saturating_sub(r.loops.max(1));
				match r.maybe_cursor {
					Some(next) => {
						cursor = Some(next);
						break;
					}
					None => {
						stage += 1;
						cursor = None;
					}
				}
			}
			if stage >= 5 {
				Rounds::<T>::remove(index);
				Snapshots::<T>::remove(index);
				RoundResults::<T>::remove(index);
				PruneState::<T>::kill();
				PruneNext::<T>::put(index.saturating_add(1));
				Self::deposit_event(Event::RoundPruned { round: index });
				removed = removed.saturating_add(3);
			} else {
				let kept = cursor.and_then(|c| BoundedVec::try_from(c).ok());
				PruneState::<T>::put((stage, kept));
			}
			Some(removed)
		}

		/// The invariants: no commit outside its window, none both passed and proven, at most
		/// the bound of rounds stored, the open round and the close cursor consistent.
		#[cfg(any(test, feature = "try-runtime"))]
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use crucible_primitives::attestation::Outcome;
			let params = Params::<T>::get();
			for (round, provider, commit) in Commits::<T>::iter() {
				let record = Rounds::<T>::get(round).ok_or("a commit of an unknown round")?;
				ensure!(
					commit.at > record.opened_at && commit.at <= record.commit_deadline,
					"a commit outside its window"
				);
				for entry in commit.devices.iter() {
					if Proven::<T>::contains_key((round, provider.clone(), entry.device)) {
						let rec = Standing::<T>::get(&provider, entry.device);
						for (r, o) in [rec.last, rec.previous].into_iter().flatten() {
							ensure!(
								!(r == round && matches!(o, Outcome::Passed(_))),
								"a device both passed and proven"
							);
						}
					}
				}
			}
			let bound = u64::from(params.fraud_window / params.min_round_gap.max(1)) + 2;
			let stored = Rounds::<T>::iter_keys().count() as u64;
			// Parameters may have shortened the gap since older rounds opened: allow those.
			ensure!(
				stored <= bound.max(NextRound::<T>::get().saturating_sub(PruneNext::<T>::get())),
				"more rounds stored than the fraud window holds"
			);
			if let Some(state) = CloseCursor::<T>::get() {
				ensure!(
					OpenRound::<T>::get() == Some(state.round),
					"a close cursor without its round"
				);
			}
			Ok(())
		}

		pub(crate) fn now() -> BlockNumber {
			frame_system::Pallet::<T>::block_number().unique_saturated_into()
		}

		/// The chain's genesis hash (set from block 1 on).
		pub(crate) fn genesis_hash() -> H256 {
			let h = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			H256::from_slice(h.as_ref())
		}

		fn parent_hash() -> [u8; 32] {
			let h = frame_system::Pallet::<T>::parent_hash();
			let mut out = [0u8; 32];
			out.copy_from_slice(&h.as_ref()[..32]);
			out
		}

		fn in_commit_window(record: &RoundRecord, now: BlockNumber) -> bool {
			now > record.opened_at && now <= record.commit_deadline
		}

		/// Starts an epoch at block 1 and every `length` blocks after; returns the pending
		/// calibrations applied.
		fn maybe_start_epoch(now: BlockNumber) -> Option<u32> {
			let (index, start) = match CurrentEpoch::<T>::get() {
				None if now >= 1 => (0, now),
				Some(e) if now >= e.start.saturating_add(e.length) => {
					(e.index.saturating_add(1), now)
				}
				_ => return None,
			};
			let mut params = Params::<T>::get();
			if let Some((shape, length)) = PendingEpoch::<T>::take() {
				params.k = shape.k;
				params.n = shape.n;
				params.epoch_length = length;
				Params::<T>::put(&params);
			}
			let pending: Vec<(GpuModelId, u64)> = PendingCalibration::<T>::iter().collect();
			let applied = pending.len() as u32;
			for (model, rate) in pending {
				Calibration::<T>::insert(model, rate);
			}
			let _ = PendingCalibration::<T>::clear(u32::MAX, None);
			let seed = H256(seeds::epoch_seed::<SpIoBlake2>(
				&Self::genesis_hash().0,
				index,
				&Self::parent_hash(),
			));
			let shape = params.shape().expect("params are validated before they are stored");
			CurrentEpoch::<T>::put(EpochInfo {
				index,
				start,
				length: params.epoch_length,
				seed,
				shape,
			});
			Self::deposit_event(Event::EpochStarted { epoch: index, seed, k: shape.k, n: shape.n });
			Some(applied)
		}

		/// Opens a round at `now` if the rule says so; returns the snapshot's size.
		fn maybe_open_round(now: BlockNumber) -> Option<u32> {
			let epoch = CurrentEpoch::<T>::get()?;
			let mut params = Params::<T>::get();
			let parent = Self::parent_hash();
			let hit = seeds::hazard_opens::<SpIoBlake2>(&parent, params.round_hazard);
			if !round::opens(
				now,
				LastOpening::<T>::get(),
				OpenRound::<T>::get().is_none(),
				&params,
				hit,
			) {
				return None;
			}
			if let Some(pending) = PendingTiming::<T>::take() {
				// Timing now; K, N and the epoch length stay until the next epoch.
				params = AttestationParams {
					k: params.k,
					n: params.n,
					epoch_length: params.epoch_length,
					..pending
				};
				Params::<T>::put(&params);
			}
			let index = NextRound::<T>::get();
			let snapshot = Keys::<T>::get();
			let v = snapshot.len() as u32;
			let round_seed =
				H256(seeds::round_seed::<SpIoBlake2>(&Self::genesis_hash().0, index, &parent));
			let commit_deadline = now.saturating_add(params.commit_blocks());
			let close_at = commit_deadline.saturating_add(params.check_window(v));
			let record = RoundRecord {
				epoch: epoch.index,
				opened_at: now,
				round_seed,
				epoch_seed: epoch.seed,
				shape: epoch.shape,
				target_ms: params.target_ms,
				leased_share: params.leased_share,
				default_rate: params.default_rate,
				commit_deadline,
				close_at,
				fraud_deadline: close_at.saturating_add(params.fraud_window),
				validators: v,
				sample_rows: params.sample_rows,
				min_rows_per_validator: params.min_rows_per_validator,
			};
			Rounds::<T>::insert(index, &record);
			Snapshots::<T>::insert(index, snapshot);
			NextRound::<T>::put(index.saturating_add(1));
			LastOpening::<T>::put(now);
			OpenRound::<T>::put(index);
			Self::deposit_event(Event::RoundOpened {
				round: index,
				epoch: epoch.index,
				seed: round_seed,
				deadline: commit_deadline,
				close: close_at,
				validators: v,
			});
			Some(v)
		}

		/// A device's expected share and rows in `record`'s round, if it is registered and due.
		pub fn expected(
			record: &RoundRecord,
			registered_at: BlockNumber,
			device: &crucible_primitives::providers::DeviceView,
		) -> Result<(attestation::Share, u32), Error<T>> {
			let share =
				round::expected_share(device.state, record.opened_at, T::Leases::lease_started);
			ensure!(
				round::is_due(
					registered_at,
					device.added_at,
					record.opened_at,
					share,
					record.leased_share
				),
				Error::<T>::DeviceNotDue
			);
			let tops = T::Registry::int8_tops(device.model).ok_or(Error::<T>::UnknownModel)?;
			let rate =
				round::rate_gops(Calibration::<T>::get(device.model), tops, record.default_rate);
			Ok((share, round::rows(rate, record, share)))
		}

		fn check_entry(
			record: &RoundRecord,
			registered_at: BlockNumber,
			registered: &[crucible_primitives::providers::DeviceView],
			seen: &mut BTreeSet<DeviceId>,
			entry: &DeviceCommit,
		) -> Result<(), Error<T>> {
			let device = registered
				.iter()
				.find(|d| d.id == entry.device)
				.ok_or(Error::<T>::UnknownDevice)?;
			ensure!(seen.insert(entry.device), Error::<T>::DuplicateDevice);
			let (share, rows) = Self::expected(record, registered_at, device)?;
			ensure!(entry.share == share, Error::<T>::WrongShare);
			ensure!(entry.rows == rows, Error::<T>::WrongRowCount);
			Ok(())
		}

		/// `authorize` of [`Pallet::commit`]: phase, seeds, duplicates, the provider, then the
		/// signature.
		pub fn authorize_commit(
			_source: TransactionSource,
			round: &u64,
			round_seed: &H256,
			epoch_seed: &H256,
			provider: &AccountId,
			devices: &CommitEntries<T>,
			signature: &sr25519::Signature,
		) -> TransactionValidityWithRefund {
			let fail = |code: u8| InvalidTransaction::Custom(code).into();
			let record = Rounds::<T>::get(round).ok_or_else(|| fail(codes::UNKNOWN_ROUND))?;
			let now = Self::now();
			if !Self::in_commit_window(&record, now) {
				return Err(fail(codes::WRONG_PHASE));
			}
			if record.round_seed != *round_seed || record.epoch_seed != *epoch_seed {
				return Err(fail(codes::SEED_MISMATCH));
			}
			if Commits::<T>::contains_key(round, provider) {
				return Err(fail(codes::ALREADY_COMMITTED));
			}
			let view = T::Registry::attestation_view(provider)
				.ok_or_else(|| fail(codes::NOT_A_PROVIDER))?;
			if view.status != ProviderStatus::Active {
				return Err(fail(codes::PROVIDER_NOT_ACTIVE));
			}
			let payload = attestation::commit_payload(
				&Self::genesis_hash(),
				*round,
				round_seed,
				epoch_seed,
				provider,
				devices,
			);
			if !sp_io::crypto::sr25519_verify(signature, &payload, &view.worker_key) {
				return Err(fail(codes::BAD_SIGNATURE));
			}
			let valid = ValidTransaction {
				priority: TransactionPriority::MAX,
				requires: Vec::new(),
				provides: alloc::vec![(b"crucible/attest/commit", round, provider).encode()],
				longevity: u64::from(record.commit_deadline.saturating_sub(now)).saturating_add(1),
				propagate: true,
			};
			Ok((valid, Weight::zero()))
		}
	}
}
