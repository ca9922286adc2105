//! # Crucible validator set
//!
//! The set of validators that author blocks (Aura) and finalize them (GRANDPA), changed only by
//! governance. It is the `SessionManager` of `pallet-session`, which owns the session keys.
//!
//! ## How a change takes effect
//! `pallet-session` plans each session's validator set one session ahead. A change enacted
//! during session `s` is handed to `pallet-session` at the boundary `s -> s+1`, queued there, and
//! becomes the active set at the boundary `s+1 -> s+2`: the *second* session boundary after
//! enactment.
//!
//! ## Becoming a validator
//! 1. Run a node and generate session keys with a proof of ownership for the validator's account
//!    (`author_rotateKeysWithOwner` over JSON-RPC, with the account id as owner).
//! 2. Submit `session.set_keys(keys, proof)` from that account; `pallet-session` holds the key
//!    deposit.
//! 3. Governance adds the account with [`Pallet::add_validator`] (the general admin track, or
//!    root). The call refuses accounts without session keys, so a referendum cannot add a
//!    validator that would be silently skipped.
//!
//! ## Leaving
//! A validator that governance removed keeps its session keys until it has left pallet-session's
//! active set and queued keys; then [`Pallet::purge_keys`] removes them and releases the key
//! deposit. The runtime filters `session.purge_keys` itself: pallet-session plans each rotation
//! from the validators that still have keys, so a validator purging its keys would leave the set
//! silently, whatever `MinValidators` says, and if all did before a set change GRANDPA would
//! schedule an empty voter set.
//!
//! ## Calls
//! - [`Pallet::add_validator`], [`Pallet::remove_validator`]: `T::UpdateOrigin` only.
//! - [`Pallet::purge_keys`]: any account that is no validator, decided, pending, active or
//!   queued.
//!
//! The session length is fixed at genesis ([`SessionLength`]; read through [`SessionPeriod`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod weights;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{dispatch::DispatchResult, traits::Get};
use frame_system::pallet_prelude::BlockNumberFor;
use sp_staking::SessionIndex;

/// What this pallet needs of pallet-session's keys; the runtime implements it.
pub trait SessionKeyManager<AccountId> {
	/// Whether `who` is in the session's active validators or among its queued keys (the set
	/// of the next session).
	fn in_session(who: &AccountId) -> bool;
	/// Removes `who`'s session keys and releases the key deposit, as `session.purge_keys` does
	/// (the runtime's call filter refuses that call, not this).
	fn purge(who: &AccountId) -> DispatchResult;
}

/// Prepares the state a benchmark needs that this pallet cannot create itself.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` session keys, so that it may be added as a validator.
	fn register_session_keys(who: &AccountId);
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;
	use frame_support::{
		pallet_prelude::*,
		traits::{BuildGenesisConfig, Contains},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::Zero;

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// The origin that adds and removes validators (governance).
		type UpdateOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Accounts that have registered session keys with `pallet-session`.
		type HasSessionKeys: Contains<Self::AccountId>;
		/// pallet-session's active and queued validators, and the removal of keys.
		type SessionKeys: SessionKeyManager<Self::AccountId>;
		/// The most validators the set may hold (also the bound of Aura and GRANDPA authorities).
		#[pallet::constant]
		type MaxValidators: Get<u32>;
		/// The fewest validators the set may hold; removals below it are refused.
		#[pallet::constant]
		type MinValidators: Get<u32>;
		/// Weights of this pallet's calls.
		type WeightInfo: WeightInfo;
		/// Sets up benchmark state.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The validator set that governance decided on, in the order it was built. It becomes the
	/// active set at the second session boundary after it changes.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Whether [`Validators`] changed since it was last handed to `pallet-session`.
	#[pallet::storage]
	pub type PendingChange<T> = StorageValue<_, bool, ValueQuery>;

	#[pallet::type_value]
	pub fn DefaultSessionLength<T: Config>() -> BlockNumberFor<T> {
		// One hour of 6-second blocks.
		600u32.into()
	}

	/// Blocks per session, fixed at genesis.
	#[pallet::storage]
	pub type SessionLength<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, DefaultSessionLength<T>>;

	#[pallet::genesis_config]
	pub struct GenesisConfig<T: Config> {
		/// The validators of the first sessions. Each must also have keys in `pallet-session`'s
		/// genesis.
		pub validators: Vec<T::AccountId>,
		/// Blocks per session (at least 1).
		pub session_length: BlockNumberFor<T>,
	}

	impl<T: Config> Default for GenesisConfig<T> {
		fn default() -> Self {
			Self { validators: Vec::new(), session_length: DefaultSessionLength::<T>::get() }
		}
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(!self.session_length.is_zero(), "session_length must be at least one block");
			let mut validators = self.validators.clone();
			validators.sort();
			validators.dedup();
			assert_eq!(validators.len(), self.validators.len(), "duplicate genesis validator");
			let validators: BoundedVec<_, _> =
				self.validators.clone().try_into().expect("more genesis validators than allowed");
			Validators::<T>::put(validators);
			SessionLength::<T>::put(self.session_length);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// `who` joins the validator set at the second session boundary from now.
		ValidatorAdded { who: T::AccountId },
		/// `who` leaves the validator set at the second session boundary from now.
		ValidatorRemoved { who: T::AccountId },
		/// A changed validator set was handed to `pallet-session`; it becomes active when
		/// `session_index` starts.
		ValidatorSetQueued { session_index: SessionIndex, validators: u32 },
		/// `who`'s session keys were removed and its key deposit released.
		KeysPurged { who: T::AccountId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already in the validator set.
		AlreadyValidator,
		/// The account is not in the validator set.
		NotValidator,
		/// The account has no session keys; it must call `session.set_keys` first.
		NoSessionKeys,
		/// The validator set is full.
		TooManyValidators,
		/// Removing the validator would leave fewer than `MinValidators`.
		TooFewValidators,
		/// The account is in the validator set (decided or pending), in the session's active
		/// validators, or among its queued keys: it keeps its keys until it has left all three.
		StillValidator,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add `who` to the validator set. It starts validating at the second session boundary
		/// after this call.
		///
		/// Origin: `T::UpdateOrigin`. `who` must have set its session keys.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator(T::MaxValidators::get()))]
		pub fn add_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::UpdateOrigin::ensure_origin(origin)?;
			ensure!(T::HasSessionKeys::contains(&who), Error::<T>::NoSessionKeys);
			Validators::<T>::try_mutate(|set| {
				ensure!(!set.contains(&who), Error::<T>::AlreadyValidator);
				set.try_push(who.clone()).map_err(|_| Error::<T>::TooManyValidators)
			})?;
			PendingChange::<T>::put(true);
			Self::deposit_event(Event::ValidatorAdded { who });
			Ok(())
		}

		/// Remove `who` from the validator set. It stops validating at the second session
		/// boundary after this call.
		///
		/// Origin: `T::UpdateOrigin`.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator(T::MaxValidators::get()))]
		pub fn remove_validator(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::UpdateOrigin::ensure_origin(origin)?;
			Validators::<T>::try_mutate(|set| {
				let at = set.iter().position(|v| v == &who).ok_or(Error::<T>::NotValidator)?;
				ensure!(set.len() as u32 > T::MinValidators::get(), Error::<T>::TooFewValidators);
				set.remove(at);
				Ok::<_, Error<T>>(())
			})?;
			PendingChange::<T>::put(true);
			Self::deposit_event(Event::ValidatorRemoved { who });
			Ok(())
		}

		/// Remove the caller's session keys and release its key deposit. Refused with
		/// [`Error::StillValidator`] while the caller is in the validator set (including a change
		/// not yet handed to pallet-session), in the session's active validators or among its
		/// queued keys: a validator leaves by governance first, then purges two sessions later.
		///
		/// Origin: signed.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::purge_keys(T::MaxValidators::get()))]
		pub fn purge_keys(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Validators::<T>::get().contains(&who), Error::<T>::StillValidator);
			ensure!(!T::SessionKeys::in_session(&who), Error::<T>::StillValidator);
			T::SessionKeys::purge(&who)?;
			Self::deposit_event(Event::KeysPurged { who });
			Ok(())
		}
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			let set = Validators::<T>::get();
			ensure!(set.len() as u32 >= T::MinValidators::get(), "fewer than MinValidators");
			let mut sorted = set.into_inner();
			sorted.sort();
			let len = sorted.len();
			sorted.dedup();
			ensure!(sorted.len() == len, "duplicate validator");
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The validator set that governance decided on (active from the second session boundary
	/// after its last change).
	pub fn validators() -> Vec<T::AccountId> {
		Validators::<T>::get().into_inner()
	}
}

impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		if !PendingChange::<T>::take() {
			return None;
		}
		let validators = Self::validators();
		Self::deposit_event(Event::ValidatorSetQueued {
			session_index: new_index,
			validators: validators.len() as u32,
		});
		Some(validators)
	}

	fn new_session_genesis(_new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		Some(Self::validators())
	}

	fn end_session(_end_index: SessionIndex) {}

	fn start_session(_start_index: SessionIndex) {}
}

/// The session length fixed at genesis, for `pallet_session::PeriodicSessions`.
pub struct SessionPeriod<T>(core::marker::PhantomData<T>);

impl<T: Config> Get<BlockNumberFor<T>> for SessionPeriod<T> {
	fn get() -> BlockNumberFor<T> {
		SessionLength::<T>::get()
	}
}
