//! # Provider registry
//!
//! GPU owners register here as **providers** before they can bid on orders. A provider is an
//! account with a bond held in CRU, a worker client (its sr25519 signing key and HTTP
//! endpoint), a region, and **devices**, each typed from a governed GPU **catalogue** — never
//! free text, so a provider cannot claim a GPU the catalogue does not describe, and every bid
//! shows the exact model. The catalogue states the claim; attestation later checks it.
//!
//! ## Terms
//! - *Bond*: a hold (`HoldReason::ProviderBond`, not a reserve). The *required* bond is a base
//!   amount plus a per-device amount by the model's class (fixed when the device is added);
//!   `held` is what is actually on hold: raised by registration, new devices (held in full)
//!   and top-ups, lowered by removals and slashes. Slashes move part of the hold to a
//!   beneficiary or the treasury and add to `slashed_total`, which never decreases; nothing
//!   forgives them. Removing devices releases at most their bonds, and never below what is
//!   still required.
//! - *Underbonded*: holding less than `min_bond_ratio` of the required bond. Such a provider's
//!   bids are refused and its standing bids voided; after `underbonded_grace` blocks anyone may
//!   suspend it ([`Pallet::suspend_underbonded`]). [`Pallet::top_up_bond`] restores it.
//! - *Status*: `Active` (may bid and be leased), `Suspended` (by governance, with a recorded
//!   reason), `Unbonding { until }` (deregistered; still slashable), then `Gone` (the bond is
//!   withdrawn and every record removed; `Gone` appears only in the final event).
//! - *Device state*: free, offered in an open bid, or leased. Only free devices can be
//!   removed; deregistering needs every device free.
//! - *Supply counters*: per model, devices registered / free at Active providers / offered /
//!   leased, kept exact on every change, so the market knows in O(1) whether an order could
//!   be served.
//!
//! ## Calls
//! - Providers: [`Pallet::register_provider`], [`Pallet::add_devices`],
//!   [`Pallet::remove_devices`], [`Pallet::set_endpoint`], [`Pallet::rotate_worker_key`],
//!   [`Pallet::top_up_bond`], [`Pallet::deregister`], [`Pallet::withdraw_bond`].
//! - Anyone: [`Pallet::suspend_underbonded`].
//! - The market-admin track (`MarketOrigin`): [`Pallet::set_params`], [`Pallet::set_model`],
//!   [`Pallet::remove_model`], [`Pallet::suspend`], [`Pallet::reinstate`], [`Pallet::slash`].
//!   There is no other privileged path.
//!
//! Other pallets use the registry through [`ProviderRegistry`] (status, devices, reserving
//! devices for bids and leases), [`Reputation`] and [`Slashing`], declared in primitives.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod logic;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use crucible_primitives::providers::{ProviderRegistry, Reputation, Slashing};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::{logic, types::*, ProviderRegistry, Reputation, Slashing, WeightInfo};
	use alloc::{collections::BTreeMap, string::String, vec::Vec};
	use crucible_primitives::{
		bounds::{MAX_PAGE, SCAN_LIMIT},
		endpoint,
		providers::{
			AttestationView, BondView, DeviceId, DeviceState, DeviceUse, DeviceView, GpuClass,
			GpuModelId, GpuModelView, ModelSupplyView, ProviderFilter, ProviderPage,
			ProviderStatus, ProviderSummary, ProviderView, ReputationCounters, ReputationEvent,
			SlashReason, StatusChangeView, SupplySummary, WorkerKey,
		},
		Balance, BlockNumber,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Restriction},
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::UniqueSaturatedInto;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// CRU, with holds for bonds.
		type Currency: MutateHold<Self::AccountId, Balance = Balance, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>
			+ Mutate<Self::AccountId>;
		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;
		/// Changes parameters and the catalogue, suspends and reinstates providers (the
		/// market-admin track).
		type MarketOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Receives slashes that name no beneficiary.
		type TreasuryAccount: Get<Self::AccountId>;
		/// Most devices per provider.
		#[pallet::constant]
		type MaxDevices: Get<u32>;
		/// Most models in the catalogue.
		#[pallet::constant]
		type MaxModels: Get<u32>;
		/// The shortest `unbonding_period` [`Pallet::set_params`] accepts: the `MarketOrigin`
		/// track's shortest path from submission to enactment plus a margin, so that a slash
		/// voted on a provider that deregisters lands before it withdraws its bond.
		type MinUnbondingPeriod: Get<BlockNumber>;
		/// Weights of the calls and of the trait operations.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds CRU.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's bond: what it registered and its devices require, plus top-ups, less
		/// removals' releases and slashes.
		ProviderBond,
	}

	/// The registry's governed parameters.
	#[pallet::storage]
	pub type Params<T> = StorageValue<_, ProviderParams, ValueQuery>;

	/// The block from which the current `min_bond_ratio` applies (0: since genesis). An
	/// underbonded provider's grace runs from no earlier than this.
	#[pallet::storage]
	pub type BondRatioSince<T> = StorageValue<_, BlockNumber, ValueQuery>;

	/// The GPU catalogue.
	#[pallet::storage]
	pub type Catalogue<T> = CountedStorageMap<_, Twox64Concat, GpuModelId, GpuModel>;

	/// Devices per catalogue model: registered, free at Active providers, offered, leased.
	#[pallet::storage]
	pub type Supply<T> = StorageMap<_, Twox64Concat, GpuModelId, DeviceCounts, ValueQuery>;

	/// [`Supply`] per catalogue model and provider region (an entry exists while a device of
	/// the model is registered in the region), so that an order for a region knows in O(1)
	/// whether it could be served.
	#[pallet::storage]
	pub type RegionSupply<T> = StorageDoubleMap<
		_,
		Twox64Concat,
		GpuModelId,
		Blake2_128Concat,
		Region,
		DeviceCounts,
		OptionQuery,
	>;

	/// Providers by owner account.
	#[pallet::storage]
	pub type Providers<T: Config> = CountedStorageMap<_, Blake2_128Concat, T::AccountId, Provider>;

	/// Each provider's devices, in id order.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<Device, T::MaxDevices>,
		ValueQuery,
	>;

	/// Which provider a worker key belongs to (a key serves one provider only).
	#[pallet::storage]
	pub type WorkerKeys<T: Config> = StorageMap<_, Blake2_128Concat, WorkerKey, T::AccountId>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The initial catalogue.
		pub catalogue: Vec<(GpuModelId, GpuModel)>,
		/// The initial parameters.
		pub params: ProviderParams,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(self.params.is_valid(), "provider parameters are invalid");
			assert!(
				self.catalogue.len() as u32 <= T::MaxModels::get(),
				"catalogue exceeds MaxModels"
			);
			for (id, model) in &self.catalogue {
				assert!(Pallet::<T>::model_is_valid(model), "catalogue entry {id} is invalid");
				assert!(!Catalogue::<T>::contains_key(id), "catalogue id {id} repeats");
				Catalogue::<T>::insert(id, model);
			}
			Params::<T>::put(self.params);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider registered and its base bond is held.
		ProviderRegistered { who: T::AccountId, worker_key: WorkerKey, bond: Balance },
		/// Devices were added; their bonds are held.
		DevicesAdded {
			who: T::AccountId,
			model: GpuModelId,
			first: DeviceId,
			count: u32,
			bond: Balance,
		},
		/// Devices were removed; `released` of bond was released.
		DevicesRemoved { who: T::AccountId, devices: Vec<DeviceId>, released: Balance },
		/// The worker client's endpoint changed to `endpoint`.
		EndpointChanged { who: T::AccountId, endpoint: Endpoint },
		/// The provider raised its bond hold by `amount`, to `held`.
		BondToppedUp { who: T::AccountId, amount: Balance, held: Balance },
		/// The worker key was rotated.
		WorkerKeyRotated { who: T::AccountId, old: WorkerKey, new: WorkerKey },
		/// The provider deregistered; its bond can be withdrawn from `until`.
		Deregistered { who: T::AccountId, until: BlockNumber },
		/// The bond was released and the provider's records removed (status `Gone`).
		BondWithdrawn { who: T::AccountId, amount: Balance },
		/// Governance suspended the provider.
		Suspended { who: T::AccountId, reason: Reason },
		/// Governance reinstated the provider.
		Reinstated { who: T::AccountId, reason: Reason },
		/// Part of the bond went to `beneficiary` (the treasury when none was named).
		Slashed {
			who: T::AccountId,
			amount: Balance,
			beneficiary: T::AccountId,
			reason: SlashReason,
		},
		/// The parameters changed (existing bonds are unchanged).
		ParamsSet { params: ProviderParams },
		/// A catalogue entry was added or changed.
		ModelSet { id: GpuModelId },
		/// A catalogue entry was removed.
		ModelRemoved { id: GpuModelId },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a provider.
		AlreadyRegistered,
		/// The account is not a provider.
		NotRegistered,
		/// The free balance cannot cover the bond.
		InsufficientBond,
		/// The endpoint is not an `http(s)://host[:port][/path]` URL within the bound.
		MalformedEndpoint,
		/// The endpoint's host is not public (`localhost`, `*.local`, a loopback, private,
		/// link-local or otherwise non-public IP) and this chain does not allow private
		/// endpoints: validators' off-chain workers fetch it.
		PrivateEndpoint,
		/// The region is not a code of lowercase letters, digits and inner hyphens.
		MalformedRegion,
		/// Metadata or a reason is too long, not UTF-8, or has control characters.
		MalformedText,
		/// A reason must be given.
		EmptyReason,
		/// The worker key already serves a provider.
		WorkerKeyInUse,
		/// The new worker key is the current one.
		SameWorkerKey,
		/// No catalogue model has this id.
		UnknownModel,
		/// The model has registered devices.
		ModelInUse,
		/// The catalogue is full.
		CatalogueFull,
		/// A catalogue entry needs a UTF-8 name, VRAM and throughput.
		InvalidModel,
		/// A bond, period or bond ratio of zero.
		InvalidParams,
		/// The unbonding period is shorter than the market-admin track's shortest path to
		/// enactment plus its margin (`MinUnbondingPeriod`): a slash could not land in time.
		UnbondingTooShort,
		/// A top-up or slash of zero.
		ZeroAmount,
		/// The provider holds at least `min_bond_ratio` of its required bond.
		NotUnderbonded,
		/// The provider has been underbonded for less than `underbonded_grace` blocks.
		GraceNotOver,
		/// Adding no devices, or removing none.
		NoDevices,
		/// More devices than a provider may have.
		TooManyDevices,
		/// The provider has no device with this id (or it was named twice).
		UnknownDevice,
		/// The device is offered in a bid or leased.
		DeviceBusy,
		/// The device is not in the use named.
		DeviceNotInUse,
		/// Only an Active provider may do this.
		NotActive,
		/// Only a Suspended provider may be reinstated.
		NotSuspended,
		/// The provider is unbonding.
		Unbonding,
		/// The provider is not unbonding.
		NotUnbonding,
		/// The unbonding period has not ended.
		StillUnbonding,
		/// A device is offered or leased.
		DevicesInUse,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Become a provider: hold the base bond and record the worker client's `endpoint`
		/// (an `http(s)` URL), `region` code, sr25519 `worker_key` and free-text `metadata`
		/// (UTF-8). Add devices afterwards with [`Pallet::add_devices`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register_provider())]
		pub fn register_provider(
			origin: OriginFor<T>,
			endpoint: Vec<u8>,
			region: Vec<u8>,
			worker_key: WorkerKey,
			metadata: Vec<u8>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!Providers::<T>::contains_key(&who), Error::<T>::AlreadyRegistered);
			let endpoint = Self::endpoint(endpoint)?;
			let region: Region = region.try_into().map_err(|_| Error::<T>::MalformedRegion)?;
			ensure!(
				crucible_primitives::bounds::check_region(&region),
				Error::<T>::MalformedRegion
			);
			let metadata = Self::text::<ConstU32<MAX_METADATA_LEN>>(metadata)?;
			ensure!(!WorkerKeys::<T>::contains_key(worker_key), Error::<T>::WorkerKeyInUse);

			let bond = Params::<T>::get().base_bond;
			T::Currency::hold(&HoldReason::ProviderBond.into(), &who, bond)
				.map_err(|_| Error::<T>::InsufficientBond)?;
			let now = Self::now();
			let mut provider = Provider {
				worker_key,
				endpoint,
				region,
				metadata,
				status: ProviderStatus::Active,
				registered_at: now,
				base_bond: bond,
				device_bonds: 0,
				held: bond,
				slashed_total: 0,
				underbonded_since: None,
				next_device: 0,
				history: BoundedVec::new(),
				reputation: ReputationCounters::default(),
			};
			provider.push_status(now, ProviderStatus::Active, Reason::new());
			Providers::<T>::insert(&who, provider);
			WorkerKeys::<T>::insert(worker_key, &who);
			Self::deposit_event(Event::ProviderRegistered { who, worker_key, bond });
			Ok(())
		}

		/// Declare `count` more devices of catalogue `model`, holding the model class's
		/// per-device bond for each. Active providers only.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::add_devices(*count))]
		pub fn add_devices(origin: OriginFor<T>, model: GpuModelId, count: u32) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(count > 0, Error::<T>::NoDevices);
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(provider.status == ProviderStatus::Active, Error::<T>::NotActive);
			let spec = Catalogue::<T>::get(model).ok_or(Error::<T>::UnknownModel)?;
			let mut devices = Devices::<T>::get(&who);
			ensure!(
				devices.len().saturating_add(count as usize) <= T::MaxDevices::get() as usize,
				Error::<T>::TooManyDevices
			);
			let params = Params::<T>::get();
			let per_device = params.device_bonds.of(spec.class);
			let bond = per_device.checked_mul(count.into()).ok_or(Error::<T>::InsufficientBond)?;
			T::Currency::hold(&HoldReason::ProviderBond.into(), &who, bond)
				.map_err(|_| Error::<T>::InsufficientBond)?;

			// The new bonds are held in full and forgive nothing: a provider short of its
			// bond after a slash stays short by the same amount until it tops up.
			let first = provider.next_device;
			let now = Self::now();
			for id in first..first.saturating_add(count) {
				let device =
					Device { id, model, bond: per_device, state: DeviceState::Free, added_at: now };
				// Cannot fail: the length was checked above.
				devices.try_push(device).map_err(|_| Error::<T>::TooManyDevices)?;
			}
			provider.next_device = first.saturating_add(count);
			provider.device_bonds = provider.device_bonds.saturating_add(bond);
			provider.held = provider.held.saturating_add(bond);
			provider.note_bond(params.min_bond_ratio, Self::now());
			Self::count(model, &provider.region, |c| {
				c.registered = c.registered.saturating_add(count);
				c.free = c.free.saturating_add(count);
			});
			Devices::<T>::insert(&who, devices);
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::DevicesAdded { who, model, first, count, bond });
			Ok(())
		}

		/// Remove free devices by id, releasing their bonds, but never so much that the hold
		/// falls below what the remaining devices and the base still require (a provider short
		/// of its bond after a slash gets back only what it holds above that). Active providers
		/// only; a device offered in a bid or leased cannot be removed.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::remove_devices(devices.len().min(T::MaxDevices::get() as usize) as u32))]
		pub fn remove_devices(origin: OriginFor<T>, devices: Vec<DeviceId>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(!devices.is_empty(), Error::<T>::NoDevices);
			ensure!(devices.len() <= T::MaxDevices::get() as usize, Error::<T>::TooManyDevices);
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			// A suspended provider keeps its device bonds at stake: it leaves (and unbonds)
			// through `deregister`, like everyone else.
			ensure!(
				!matches!(provider.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			ensure!(provider.status == ProviderStatus::Active, Error::<T>::NotActive);
			let mut owned = Devices::<T>::get(&who);
			let mut removed = BTreeMap::<GpuModelId, u32>::new();
			let mut bonds: Balance = 0;
			for id in &devices {
				let at = owned.iter().position(|d| d.id == *id).ok_or(Error::<T>::UnknownDevice)?;
				ensure!(owned[at].state == DeviceState::Free, Error::<T>::DeviceBusy);
				let device = owned.remove(at);
				*removed.entry(device.model).or_default() += 1;
				bonds = bonds.saturating_add(device.bond);
			}
			provider.device_bonds = provider.device_bonds.saturating_sub(bonds);
			let released = logic::release_on_removal(provider.held, bonds, provider.required());
			Self::release(&who, released)?;
			provider.held = provider.held.saturating_sub(released);
			provider.note_bond(Params::<T>::get().min_bond_ratio, Self::now());
			for (model, n) in removed {
				Self::count(model, &provider.region, |c| {
					c.registered = c.registered.saturating_sub(n);
					c.free = c.free.saturating_sub(n);
				});
			}
			Devices::<T>::insert(&who, owned);
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::DevicesRemoved { who, devices, released });
			Ok(())
		}

		/// Point validators at a new worker-client endpoint (an `http(s)` URL).
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::set_endpoint())]
		pub fn set_endpoint(origin: OriginFor<T>, endpoint: Vec<u8>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let endpoint = Self::endpoint(endpoint)?;
			Providers::<T>::try_mutate(&who, |p| -> DispatchResult {
				let p = p.as_mut().ok_or(Error::<T>::NotRegistered)?;
				ensure!(
					!matches!(p.status, ProviderStatus::Unbonding { .. }),
					Error::<T>::Unbonding
				);
				p.endpoint = endpoint.clone();
				Ok(())
			})?;
			Self::deposit_event(Event::EndpointChanged { who, endpoint });
			Ok(())
		}

		/// Replace the worker client's signing key (the old key stops being recognised at
		/// once).
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::rotate_worker_key())]
		pub fn rotate_worker_key(origin: OriginFor<T>, new: WorkerKey) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let old = Providers::<T>::try_mutate(&who, |p| -> Result<WorkerKey, DispatchError> {
				let p = p.as_mut().ok_or(Error::<T>::NotRegistered)?;
				ensure!(
					!matches!(p.status, ProviderStatus::Unbonding { .. }),
					Error::<T>::Unbonding
				);
				ensure!(p.worker_key != new, Error::<T>::SameWorkerKey);
				ensure!(!WorkerKeys::<T>::contains_key(new), Error::<T>::WorkerKeyInUse);
				Ok(core::mem::replace(&mut p.worker_key, new))
			})?;
			WorkerKeys::<T>::remove(old);
			WorkerKeys::<T>::insert(new, &who);
			Self::deposit_event(Event::WorkerKeyRotated { who, old, new });
			Ok(())
		}

		/// Stop providing: every device must be free. The bond stays held (and slashable) for
		/// the unbonding period, then [`Pallet::withdraw_bond`] releases it.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::deregister())]
		pub fn deregister(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				!matches!(provider.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			let devices = Devices::<T>::get(&who);
			ensure!(devices.iter().all(|d| d.state == DeviceState::Free), Error::<T>::DevicesInUse);
			if provider.status == ProviderStatus::Active {
				Self::shift_free(&devices, &provider.region, false);
			}
			let now = Self::now();
			let until = now.saturating_add(Params::<T>::get().unbonding_period);
			provider.push_status(now, ProviderStatus::Unbonding { until }, Reason::new());
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::Deregistered { who, until });
			Ok(())
		}

		/// After the unbonding period: release the remaining bond and remove the provider, its
		/// devices and its worker key.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::withdraw_bond())]
		pub fn withdraw_bond(origin: OriginFor<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			let ProviderStatus::Unbonding { until } = provider.status else {
				return Err(Error::<T>::NotUnbonding.into());
			};
			ensure!(Self::now() >= until, Error::<T>::StillUnbonding);
			let amount = provider.held;
			Self::release(&who, amount)?;
			for (model, n) in logic::per_model(&Devices::<T>::take(&who)) {
				Self::count(model, &provider.region, |c| {
					c.registered = c.registered.saturating_sub(n)
				});
			}
			WorkerKeys::<T>::remove(provider.worker_key);
			Providers::<T>::remove(&who);
			Self::deposit_event(Event::BondWithdrawn { who, amount });
			Ok(())
		}

		/// Hold `amount` more CRU for the bond: restores a bond a slash cut (so the provider may
		/// bid again), or stakes more than required. Released with the rest by
		/// [`Pallet::withdraw_bond`]. Active and Suspended providers.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::top_up_bond())]
		pub fn top_up_bond(origin: OriginFor<T>, amount: Balance) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(
				!matches!(provider.status, ProviderStatus::Unbonding { .. }),
				Error::<T>::Unbonding
			);
			T::Currency::hold(&HoldReason::ProviderBond.into(), &who, amount)
				.map_err(|_| Error::<T>::InsufficientBond)?;
			provider.held = provider.held.saturating_add(amount);
			provider.note_bond(Params::<T>::get().min_bond_ratio, Self::now());
			let held = provider.held;
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::BondToppedUp { who, amount, held });
			Ok(())
		}

		/// Suspend Active provider `who`, which has held less than `min_bond_ratio` of its
		/// required bond for at least `underbonded_grace` blocks. Anyone may call it; the
		/// recorded reason is `underbonded`. The provider tops up, then asks the market-admin
		/// track to reinstate it.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::suspend_underbonded())]
		pub fn suspend_underbonded(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			ensure_signed(origin)?;
			let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(provider.status == ProviderStatus::Active, Error::<T>::NotActive);
			let params = Params::<T>::get();
			ensure!(!provider.bonded(params.min_bond_ratio), Error::<T>::NotUnderbonded);
			// The grace runs under the ratio in force: a clock started under an earlier ratio
			// (or none, when a raise made it underbonded) starts again at the change.
			let since = provider
				.grace_from(params.min_bond_ratio, BondRatioSince::<T>::get())
				.ok_or(Error::<T>::NotUnderbonded)?;
			ensure!(
				Self::now() >= since.saturating_add(params.underbonded_grace),
				Error::<T>::GraceNotOver
			);
			let reason = Reason::truncate_from(b"underbonded".to_vec());
			Self::do_suspend(who, provider, reason);
			Ok(())
		}

		/// Set the registry's parameters. Bonds already held are unchanged; new devices and
		/// new providers hold the new amounts.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: ProviderParams) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(), Error::<T>::InvalidParams);
			ensure!(
				params.unbonding_period >= T::MinUnbondingPeriod::get(),
				Error::<T>::UnbondingTooShort
			);
			if Params::<T>::get().min_bond_ratio != params.min_bond_ratio {
				BondRatioSince::<T>::put(Self::now());
			}
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}

		/// Add catalogue entry `id`, or change it while no device of it is registered.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::set_model())]
		pub fn set_model(origin: OriginFor<T>, id: GpuModelId, model: GpuModel) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			ensure!(Self::model_is_valid(&model), Error::<T>::InvalidModel);
			if Catalogue::<T>::contains_key(id) {
				ensure!(Supply::<T>::get(id).registered == 0, Error::<T>::ModelInUse);
			} else {
				ensure!(Catalogue::<T>::count() < T::MaxModels::get(), Error::<T>::CatalogueFull);
			}
			Catalogue::<T>::insert(id, model);
			Self::deposit_event(Event::ModelSet { id });
			Ok(())
		}

		/// Remove catalogue entry `id`; no device of it may be registered.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::remove_model())]
		pub fn remove_model(origin: OriginFor<T>, id: GpuModelId) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			ensure!(Catalogue::<T>::contains_key(id), Error::<T>::UnknownModel);
			ensure!(Supply::<T>::get(id).registered == 0, Error::<T>::ModelInUse);
			Catalogue::<T>::remove(id);
			Supply::<T>::remove(id);
			Self::deposit_event(Event::ModelRemoved { id });
			Ok(())
		}

		/// Suspend Active provider `who` with a recorded `reason`: it can no longer bid, and
		/// its free devices leave the free counters. Running leases are the market's to close.
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::suspend())]
		pub fn suspend(origin: OriginFor<T>, who: T::AccountId, reason: Vec<u8>) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			let reason = Self::reason(reason)?;
			let provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(provider.status == ProviderStatus::Active, Error::<T>::NotActive);
			Self::do_suspend(who, provider, reason);
			Ok(())
		}

		/// Reinstate Suspended provider `who` with a recorded `reason`.
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::reinstate())]
		pub fn reinstate(
			origin: OriginFor<T>,
			who: T::AccountId,
			reason: Vec<u8>,
		) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			let reason = Self::reason(reason)?;
			let mut provider = Providers::<T>::get(&who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(provider.status == ProviderStatus::Suspended, Error::<T>::NotSuspended);
			Self::shift_free(&Devices::<T>::get(&who), &provider.region, true);
			provider.push_status(Self::now(), ProviderStatus::Active, reason.clone());
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::Reinstated { who, reason });
			Ok(())
		}

		/// Slash up to `amount` of provider `who`'s held bond to the treasury, for `reason`:
		/// Active, Suspended and Unbonding providers alike (an unbonding provider's bond stays
		/// at stake until it is withdrawn). Slashes what is held if that is less.
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::slash())]
		pub fn slash(
			origin: OriginFor<T>,
			who: T::AccountId,
			amount: Balance,
			reason: SlashReason,
		) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			ensure!(amount > 0, Error::<T>::ZeroAmount);
			<Self as Slashing<T::AccountId>>::slash(&who, amount, None, reason)?;
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		fn now() -> BlockNumber {
			frame_system::Pallet::<T>::block_number().unique_saturated_into()
		}

		fn do_suspend(who: T::AccountId, mut provider: Provider, reason: Reason) {
			Self::shift_free(&Devices::<T>::get(&who), &provider.region, false);
			provider.push_status(Self::now(), ProviderStatus::Suspended, reason.clone());
			Providers::<T>::insert(&who, provider);
			Self::deposit_event(Event::Suspended { who, reason });
		}

		fn endpoint(raw: Vec<u8>) -> Result<Endpoint, DispatchError> {
			let allow_private = Params::<T>::get().allow_private_endpoints;
			endpoint::check_endpoint(&raw, MAX_ENDPOINT_LEN as usize, allow_private).map_err(
				|e| match e {
					endpoint::EndpointError::NotPublic => Error::<T>::PrivateEndpoint,
					_ => Error::<T>::MalformedEndpoint,
				},
			)?;
			Ok(raw.try_into().map_err(|_| Error::<T>::MalformedEndpoint)?)
		}

		fn text<N: Get<u32>>(raw: Vec<u8>) -> Result<BoundedVec<u8, N>, DispatchError> {
			// The bound first: an oversized input is refused without being scanned.
			let text: BoundedVec<u8, N> = raw.try_into().map_err(|_| Error::<T>::MalformedText)?;
			ensure!(logic::check_text(&text), Error::<T>::MalformedText);
			Ok(text)
		}

		fn reason(raw: Vec<u8>) -> Result<Reason, DispatchError> {
			ensure!(!raw.is_empty(), Error::<T>::EmptyReason);
			Self::text(raw)
		}

		pub(crate) fn model_is_valid(model: &GpuModel) -> bool {
			!model.name.is_empty()
				&& logic::check_text(&model.name)
				&& model.vram_mib > 0
				&& model.int8_tops > 0
		}

		fn release(who: &T::AccountId, amount: Balance) -> DispatchResult {
			if amount > 0 {
				T::Currency::release(
					&HoldReason::ProviderBond.into(),
					who,
					amount,
					Precision::Exact,
				)?;
			}
			Ok(())
		}

		/// `n` catalogue models with the most memory of any (copies of the largest are added
		/// if the catalogue has fewer): benchmark set-up of other pallets.
		#[cfg(feature = "runtime-benchmarks")]
		pub fn benchmark_models(n: u32) -> Vec<GpuModelId> {
			let best = Catalogue::<T>::iter_values()
				.max_by_key(|m| m.vram_mib)
				.expect("the catalogue has a model");
			let mut ids: Vec<GpuModelId> = Catalogue::<T>::iter()
				.filter(|(_, m)| m.vram_mib == best.vram_mib)
				.map(|(id, _)| id)
				.collect();
			ids.sort();
			let mut next: GpuModelId = 10_000;
			while (ids.len() as u32) < n {
				if !Catalogue::<T>::contains_key(next) {
					Catalogue::<T>::insert(next, best.clone());
					ids.push(next);
				}
				next += 1;
			}
			ids.truncate(n as usize);
			ids
		}

		/// Make `who` an Active provider in region `eu` with `count` free devices: the last
		/// ones one of each of `models` (the most models a bid can offer), the rest of the
		/// first (benchmark set-up of other pallets).
		#[cfg(feature = "runtime-benchmarks")]
		pub fn benchmark_provider(who: &T::AccountId, models: &[GpuModelId], count: u32) {
			T::Currency::set_balance(who, 1_000_000_000 * crucible_primitives::currency::CRU);
			let mut key = [9u8; 32];
			let encoded = who.encode();
			let n = encoded.len().min(32);
			key[..n].copy_from_slice(&encoded[..n]);
			let origin = frame_system::RawOrigin::Signed(who.clone());
			Self::register_provider(
				origin.clone().into(),
				b"https://worker.example.com".to_vec(),
				b"eu".to_vec(),
				WorkerKey::from_raw(key),
				Vec::new(),
			)
			.expect("registers");
			let mixed = models.len().min(count as usize);
			let rest = count - mixed as u32;
			if rest > 0 {
				Self::add_devices(origin.clone().into(), models[0], rest).expect("adds devices");
			}
			for model in &models[..mixed] {
				Self::add_devices(origin.clone().into(), *model, 1).expect("adds a device");
			}
		}

		/// Change `model`'s counters, in all and in `region`, with `f` (a region's entry goes
		/// when no device of the model is registered there).
		fn count(model: GpuModelId, region: &Region, f: impl Fn(&mut DeviceCounts)) {
			Supply::<T>::mutate(model, &f);
			RegionSupply::<T>::mutate_exists(model, region, |c| {
				let mut counts = c.take().unwrap_or_default();
				f(&mut counts);
				*c = (counts != DeviceCounts::default()).then_some(counts);
			});
		}

		/// Move a provider's free devices into (`to_free`) or out of the free counters.
		fn shift_free(devices: &[Device], region: &Region, to_free: bool) {
			let free = devices.iter().filter(|d| d.state == DeviceState::Free);
			for (model, n) in logic::per_model(free) {
				Self::count(model, region, |c| {
					c.free =
						if to_free { c.free.saturating_add(n) } else { c.free.saturating_sub(n) }
				});
			}
		}

		/// Change the state of `ids` of provider `who` from `from` to `to`, all or nothing,
		/// keeping the counters exact.
		fn move_devices(
			who: &T::AccountId,
			ids: &[DeviceId],
			from: DeviceState,
			to: DeviceState,
		) -> DispatchResult {
			let provider = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
			// New offers and new leases need an Active provider; releasing never does.
			if to != DeviceState::Free {
				ensure!(provider.status == ProviderStatus::Active, Error::<T>::NotActive);
			}
			ensure!(!ids.is_empty(), Error::<T>::NoDevices);
			let active = provider.status == ProviderStatus::Active;
			let mut devices = Devices::<T>::get(who);
			let mut per_model = BTreeMap::<GpuModelId, u32>::new();
			for (i, id) in ids.iter().enumerate() {
				ensure!(!ids[..i].contains(id), Error::<T>::UnknownDevice);
				let d =
					devices.iter_mut().find(|d| d.id == *id).ok_or(Error::<T>::UnknownDevice)?;
				if d.state != from {
					return Err(if from == DeviceState::Free {
						Error::<T>::DeviceBusy
					} else {
						Error::<T>::DeviceNotInUse
					}
					.into());
				}
				d.state = to;
				*per_model.entry(d.model).or_default() += 1;
			}
			for (model, n) in per_model {
				Self::count(model, &provider.region, |c| {
					Self::count_state(c, from, active, n, false);
					Self::count_state(c, to, active, n, true);
				});
			}
			Devices::<T>::insert(who, devices);
			Ok(())
		}

		/// Free every device of `who` in `from`; returns how many.
		fn release_all_in(who: &T::AccountId, from: DeviceState) -> u32 {
			let Some(provider) = Providers::<T>::get(who) else { return 0 };
			let active = provider.status == ProviderStatus::Active;
			let mut devices = Devices::<T>::get(who);
			let mut per_model = BTreeMap::<GpuModelId, u32>::new();
			let mut freed = 0u32;
			for d in devices.iter_mut().filter(|d| d.state == from) {
				d.state = DeviceState::Free;
				*per_model.entry(d.model).or_default() += 1;
				freed += 1;
			}
			if freed == 0 {
				return 0;
			}
			for (model, n) in per_model {
				Self::count(model, &provider.region, |c| {
					Self::count_state(c, from, active, n, false);
					Self::count_state(c, DeviceState::Free, active, n, true);
				});
			}
			Devices::<T>::insert(who, devices);
			freed
		}

		fn count_state(c: &mut DeviceCounts, state: DeviceState, active: bool, n: u32, add: bool) {
			if let Some(counter) = logic::counter_of(c, state, active) {
				*counter = if add { counter.saturating_add(n) } else { counter.saturating_sub(n) };
			}
		}

		fn text_of(bytes: &[u8]) -> String {
			String::from_utf8_lossy(bytes).into_owned()
		}

		fn device_views(who: &T::AccountId) -> Vec<DeviceView> {
			Devices::<T>::get(who)
				.into_iter()
				.map(|d| DeviceView {
					id: d.id,
					model: d.model,
					bond: d.bond,
					state: d.state,
					added_at: d.added_at,
				})
				.collect()
		}

		/// One provider with its devices, bond, history and reputation.
		pub fn provider_view(who: T::AccountId) -> Option<ProviderView<T::AccountId>> {
			let p = Providers::<T>::get(&who)?;
			Some(ProviderView {
				devices: Self::device_views(&who),
				owner: who,
				status: p.status,
				worker_key: p.worker_key,
				endpoint: Self::text_of(&p.endpoint),
				region: Self::text_of(&p.region),
				metadata: Self::text_of(&p.metadata),
				registered_at: p.registered_at,
				bond: BondView {
					base: p.base_bond,
					devices: p.device_bonds,
					required: p.required(),
					held: p.held,
					slashed_total: p.slashed_total,
					underbonded_since: p
						.grace_from(Params::<T>::get().min_bond_ratio, BondRatioSince::<T>::get()),
				},
				history: p
					.history
					.iter()
					.map(|c| StatusChangeView {
						at: c.at,
						status: c.status,
						reason: Self::text_of(&c.reason),
					})
					.collect(),
				reputation: p.reputation,
			})
		}

		/// A page of providers matching `filter`, after `cursor`.
		pub fn providers_page(
			filter: ProviderFilter,
			cursor: Option<T::AccountId>,
			limit: u32,
		) -> ProviderPage<T::AccountId> {
			let limit = limit.clamp(1, MAX_PAGE) as usize;
			let mut iter = match cursor {
				Some(c) => Providers::<T>::iter_from(Providers::<T>::hashed_key_for(c)),
				None => Providers::<T>::iter(),
			};
			let mut providers = Vec::new();
			let mut last = None;
			let mut scanned = 0;
			let mut exhausted = true;
			for (who, p) in iter.by_ref() {
				scanned += 1;
				let pass = filter.status.is_none_or(|s| s.matches(&p.status))
					&& filter.region.as_ref().is_none_or(|r| r.as_bytes() == &p.region[..]);
				// The device list only for providers the cheap filters let through.
				let devices = if pass { Devices::<T>::get(&who) } else { Default::default() };
				if pass && filter.model.is_none_or(|m| devices.iter().any(|d| d.model == m)) {
					providers.push(ProviderSummary {
						owner: who.clone(),
						status: p.status,
						region: Self::text_of(&p.region),
						endpoint: Self::text_of(&p.endpoint),
						devices: devices.len() as u32,
						free: devices.iter().filter(|d| d.state == DeviceState::Free).count()
							as u32,
						bond: p.held,
					});
				}
				last = Some(who);
				// At most `SCAN_LIMIT` providers are read per page, matching or not, so a rare
				// filter cannot make one query walk the whole registry.
				if providers.len() >= limit || scanned >= SCAN_LIMIT {
					exhausted = false;
					break;
				}
			}
			// The page ended early: there is a next page only if another provider follows.
			let next = if exhausted { None } else { last.filter(|_| iter.next().is_some()) };
			ProviderPage { providers, next }
		}

		/// The catalogue with the current per-device bonds.
		pub fn catalogue_view() -> Vec<GpuModelView> {
			let bonds = Params::<T>::get().device_bonds;
			let mut out: Vec<_> = Catalogue::<T>::iter()
				.map(|(id, m)| GpuModelView {
					id,
					vendor: m.vendor,
					name: Self::text_of(&m.name),
					vram_mib: m.vram_mib,
					interface: m.interface,
					int8_tops: m.int8_tops,
					class: m.class,
					bond_per_device: bonds.of(m.class),
				})
				.collect();
			out.sort_by_key(|m| m.id);
			out
		}

		/// Devices per model, and the number of providers.
		pub fn supply_view() -> SupplySummary {
			let models = Self::catalogue_view()
				.into_iter()
				.map(|m| {
					let c = Supply::<T>::get(m.id);
					ModelSupplyView {
						model: m.id,
						name: m.name,
						registered: c.registered,
						free: c.free,
						offered: c.offered,
						leased: c.leased,
					}
				})
				.collect();
			SupplySummary { providers: Providers::<T>::count(), models }
		}

		/// Checks every invariant of the registry: each provider's hold equals its recorded
		/// `held`, its device bonds add up, its device ids are unique and
		/// below `next_device`, its worker key maps back to it; the supply counters equal a
		/// full recount; every device's model is in the catalogue.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let mut all = Vec::new();
			for (who, p) in Providers::<T>::iter() {
				let held = T::Currency::balance_on_hold(&HoldReason::ProviderBond.into(), &who);
				ensure!(held == p.held, "hold differs from the recorded held");
				let devices = Devices::<T>::get(&who);
				let sum = devices.iter().fold(0u128, |s, d| s.saturating_add(d.bond));
				ensure!(sum == p.device_bonds, "device bonds do not add up");
				for (i, d) in devices.iter().enumerate() {
					ensure!(d.id < p.next_device, "device id not yet issued");
					ensure!(devices[..i].iter().all(|e| e.id != d.id), "device id repeats");
					ensure!(Catalogue::<T>::contains_key(d.model), "device of an unknown model");
				}
				ensure!(
					WorkerKeys::<T>::get(p.worker_key).as_ref() == Some(&who),
					"worker key does not map back"
				);
				all.push((p.status, p.region.clone(), devices.into_inner()));
			}
			ensure!(WorkerKeys::<T>::iter().count() == all.len(), "dangling worker keys");
			ensure!(
				Devices::<T>::iter_keys().all(Providers::<T>::contains_key),
				"devices without a provider"
			);
			let recount = logic::recount(all.iter().map(|(s, _, d)| (*s, &d[..])));
			let mut by_region = BTreeMap::<(GpuModelId, Region), DeviceCounts>::new();
			for (status, region, devices) in &all {
				for (model, counts) in logic::recount([(*status, &devices[..])]) {
					let c = by_region.entry((model, region.clone())).or_default();
					c.registered += counts.registered;
					c.free += counts.free;
					c.offered += counts.offered;
					c.leased += counts.leased;
				}
			}
			for (model, region, counts) in RegionSupply::<T>::iter() {
				ensure!(
					by_region.remove(&(model, region)) == Some(counts),
					"region supply counters differ from a recount"
				);
			}
			ensure!(by_region.is_empty(), "region supply counters missing");
			for (model, counts) in Supply::<T>::iter() {
				ensure!(
					recount.get(&model).copied().unwrap_or_default() == counts,
					"supply counters differ from a recount"
				);
			}
			for (model, counts) in recount {
				ensure!(Supply::<T>::get(model) == counts, "supply counters differ from a recount");
			}
			ensure!(Catalogue::<T>::count() <= T::MaxModels::get(), "catalogue over its bound");
			Ok(())
		}
	}

	impl<T: Config> ProviderRegistry<T::AccountId> for Pallet<T> {
		fn status(who: &T::AccountId) -> Option<ProviderStatus> {
			Providers::<T>::get(who).map(|p| p.status)
		}

		fn devices(who: &T::AccountId) -> Vec<DeviceView> {
			Self::device_views(who)
		}

		fn model(model: GpuModelId) -> Option<(u32, GpuClass)> {
			Catalogue::<T>::get(model).map(|m| (m.vram_mib, m.class))
		}

		fn free_devices(model: GpuModelId) -> u32 {
			Supply::<T>::get(model).free
		}

		fn free_devices_in(model: GpuModelId, region: &[u8]) -> u32 {
			let Ok(region) = Region::try_from(region.to_vec()) else { return 0 };
			RegionSupply::<T>::get(model, region).map_or(0, |c| c.free)
		}

		fn in_region(who: &T::AccountId, region: &[u8]) -> bool {
			Providers::<T>::get(who).is_some_and(|p| p.region.as_slice() == region)
		}

		fn bonded(who: &T::AccountId) -> bool {
			let ratio = Params::<T>::get().min_bond_ratio;
			Providers::<T>::get(who).is_some_and(|p| p.bonded(ratio))
		}

		fn in_use() -> (u32, u32) {
			Supply::<T>::iter_values()
				.fold((0, 0), |(o, l), c| (o.saturating_add(c.offered), l.saturating_add(c.leased)))
		}

		fn reserve(who: &T::AccountId, devices: &[DeviceId], to: DeviceUse) -> DispatchResult {
			Self::move_devices(who, devices, DeviceState::Free, DeviceState::InUse(to))
		}

		fn rebind(
			who: &T::AccountId,
			devices: &[DeviceId],
			from: DeviceUse,
			to: DeviceUse,
		) -> DispatchResult {
			Self::move_devices(who, devices, DeviceState::InUse(from), DeviceState::InUse(to))
		}

		fn release(who: &T::AccountId, devices: &[DeviceId], from: DeviceUse) -> DispatchResult {
			Self::move_devices(who, devices, DeviceState::InUse(from), DeviceState::Free)
		}

		fn release_bound(who: &T::AccountId, from: DeviceUse) -> u32 {
			Self::release_all_in(who, DeviceState::InUse(from))
		}

		fn device_update_weight() -> Weight {
			T::WeightInfo::move_devices(T::MaxDevices::get())
		}

		fn attestation_view(who: &T::AccountId) -> Option<AttestationView> {
			Providers::<T>::get(who).map(|p| AttestationView {
				worker_key: p.worker_key,
				endpoint: p.endpoint.into_inner(),
				registered_at: p.registered_at,
				status: p.status,
				bond_held: p.held,
			})
		}

		fn int8_tops(model: GpuModelId) -> Option<u32> {
			Catalogue::<T>::get(model).map(|m| m.int8_tops)
		}

		fn providers_after(after: Option<&T::AccountId>, limit: u32) -> Vec<T::AccountId> {
			let mut keys = Providers::<T>::iter_keys();
			if let Some(a) = after {
				keys.set_last_raw_key(Providers::<T>::hashed_key_for(a));
			}
			keys.take(limit as usize).collect()
		}

		fn allow_private_endpoints() -> bool {
			Params::<T>::get().allow_private_endpoints
		}

		fn suspend(who: &T::AccountId, reason: &[u8]) -> DispatchResult {
			let provider = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
			ensure!(provider.status == ProviderStatus::Active, Error::<T>::NotActive);
			let reason: Reason = BoundedVec::truncate_from(
				reason[..reason.len().min(MAX_REASON_LEN as usize)].to_vec(),
			);
			Self::do_suspend(who.clone(), provider, reason);
			Ok(())
		}

		fn attestation_view_weight() -> Weight {
			// One bounded read of the provider record.
			T::DbWeight::get()
				.reads(1)
				.saturating_add(Weight::from_parts(0, Provider::max_encoded_len() as u64))
		}

		fn providers_after_weight(n: u32) -> Weight {
			// n + 1 key reads (the last one ends the page).
			let key = 16 + T::AccountId::max_encoded_len() as u64;
			T::DbWeight::get()
				.reads(u64::from(n) + 1)
				.saturating_add(Weight::from_parts(0, key.saturating_mul(u64::from(n) + 1)))
		}

		fn suspend_weight() -> Weight {
			T::WeightInfo::suspend()
		}
	}

	impl<T: Config> Reputation<T::AccountId> for Pallet<T> {
		fn record(who: &T::AccountId, event: ReputationEvent) {
			Providers::<T>::mutate(who, |p| {
				if let Some(p) = p {
					p.reputation.record(event);
				}
			});
		}

		fn reputation(who: &T::AccountId) -> Option<ReputationCounters> {
			Providers::<T>::get(who).map(|p| p.reputation)
		}

		fn record_weight() -> Weight {
			T::WeightInfo::record_reputation()
		}
	}

	impl<T: Config> Slashing<T::AccountId> for Pallet<T> {
		fn slash(
			who: &T::AccountId,
			amount: Balance,
			beneficiary: Option<&T::AccountId>,
			reason: SlashReason,
		) -> Result<Balance, DispatchError> {
			let mut provider = Providers::<T>::get(who).ok_or(Error::<T>::NotRegistered)?;
			let amount = amount.min(provider.held);
			let treasury = T::TreasuryAccount::get();
			let mut to = beneficiary.cloned().unwrap_or_else(|| treasury.clone());
			if amount > 0 {
				let transfer = |dest: &T::AccountId| {
					frame_support::storage::with_storage_layer(|| {
						T::Currency::transfer_on_hold(
							&HoldReason::ProviderBond.into(),
							who,
							dest,
							amount,
							Precision::Exact,
							Restriction::Free,
							Fortitude::Force,
						)
						.map(|_| ())
					})
				};
				// A beneficiary that cannot receive it (a new account and less than the
				// existential deposit) does not stop the slash: the treasury takes it. When the
				// treasury cannot either, nothing is moved and nothing is recorded.
				let mut moved = transfer(&to);
				if moved.is_err() && to != treasury {
					to = treasury;
					moved = transfer(&to);
				}
				moved?;
				provider.held = provider.held.saturating_sub(amount);
				provider.slashed_total = provider.slashed_total.saturating_add(amount);
				provider.note_bond(Params::<T>::get().min_bond_ratio, Self::now());
				Providers::<T>::insert(who, provider);
			}
			Self::deposit_event(Event::Slashed {
				who: who.clone(),
				amount,
				beneficiary: to,
				reason,
			});
			Ok(amount)
		}

		fn slash_weight() -> Weight {
			T::WeightInfo::slash()
		}
	}
}
