//! # Lease market
//!
//! Tenants order GPUs, providers bid in a reverse auction, and the winning bid becomes a
//! **lease** paid per block in compute credits from an escrow — settled lazily and exactly,
//! closed by a sweep that never falls behind, refunded (and compensated from the provider's
//! bond) when the provider is at fault.
//!
//! ## Terms
//! - *Order*: a request (accepted catalogue models, least VRAM, GPU count, optional region),
//!   a maximum price per block, a duration, an escrow of the tenant's purchased credits
//!   (locked through [`CreditLedger`]) and a bid window. An order no free devices could serve
//!   is refused at once, from the registry's O(1) counters.
//! - *Bid*: an Active provider's price per block (at most the order's maximum) for the exact
//!   devices it names; they are reserved in the registry while the bid stands, so no device is
//!   offered or leased twice. A deposit in CRU is held per bid and released when the bid is
//!   decided. At most `max_bids` bids per order, one per provider.
//! - *Acceptance*: the tenant accepts any bid while the order is open; at the window's end the
//!   best bid wins (lowest price, then better reputation, then earliest). Losing bids are
//!   released at once. An order without a usable bid closes with its escrow refunded and the
//!   reason in the event.
//! - *Lease*: tenant, provider, devices, and a [`meter::Meter`] (price, end, settled-to block,
//!   credits left). A lease is paid for each block of `[start, min(end, dry block))` and never
//!   beyond, whenever anyone touches it: [`Pallet::settle`] (anyone) moves what is owed into
//!   `accrued`; [`Pallet::withdraw`] (the provider) pays it out through the ledger (the
//!   take-rate is burned there); [`Pallet::top_up`] (the tenant) adds to the escrow.
//! - *Sweep*: an agenda of tasks by block — each open order at its window's end, each lease at
//!   the block it next needs looking at (its low-funds point, then its due block). Every block
//!   runs a fixed number of tasks in `on_initialize` (so a full block still makes progress)
//!   and more in `on_idle`. A lease is closed when the sweep reaches it, paid exactly to its
//!   due block whenever that is. `LeaseLowFunds` fires once when a lease's escrow first runs
//!   dry within the horizon (when touched, or by the sweep at that point).
//! - *Invariant*: for every lease, funded = withdrawn + accrued + remaining; at close,
//!   funded = paid + refunded. Devices in use = devices of open bids + of leases.
//!
//! ## Calls
//! - Tenants: [`Pallet::create_order`], [`Pallet::accept_bid`], [`Pallet::cancel_order`],
//!   [`Pallet::top_up`], [`Pallet::close_lease`].
//! - Providers: [`Pallet::bid`], [`Pallet::withdraw`], [`Pallet::close_lease`].
//! - Anyone: [`Pallet::settle`].
//! - The market-admin track: [`Pallet::provider_fault`] (until attestation reports faults
//!   through a trait), [`Pallet::set_params`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod market;
pub mod meter;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
mod views;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

/// What the benchmarks need from the ledger and the registry, which the market otherwise
/// reaches only through its traits.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// Give `who` `credits` purchased credits.
	fn fund(who: &AccountId, credits: crucible_primitives::bme::Credits);
	/// `n` catalogue models with the most memory.
	fn models(n: u32) -> alloc::vec::Vec<crucible_primitives::providers::GpuModelId>;
	/// Make `who` an Active provider in region `eu` with `count` free devices, the last one of
	/// each of `models` (the rest of the first).
	fn provider(who: &AccountId, models: &[crucible_primitives::providers::GpuModelId], count: u32);
	/// The registry's bound on devices per provider.
	fn max_devices() -> u32;
}

#[frame_support::pallet]
pub mod pallet {
	use super::{
		market,
		meter::Meter,
		types::{Task, *},
		WeightInfo,
	};
	use alloc::vec::Vec;
	use crucible_primitives::{
		bme::{CreditLedger, Credits},
		leases::{CloseReason, FaultKind, OrderCloseReason},
		providers::{
			DeviceId, DeviceState, DeviceUse, GpuModelId, LeaseId, OrderId, ProviderRegistry,
			ProviderStatus, Reputation, ReputationEvent, SlashReason, Slashing,
		},
		Balance, BlockNumber,
	};
	use frame_support::{
		pallet_prelude::*,
		traits::{
			fungible::{InspectHold, Mutate, MutateHold},
			tokens::Precision,
		},
	};
	use frame_system::pallet_prelude::{BlockNumberFor, *};
	use sp_runtime::traits::UniqueSaturatedInto;

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);
	// (1: the running-low index, the per-model day summaries, order deposits, bid models,
	// the agenda's per-block bound and attempt counts, parked tasks.)

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// CRU, with holds for bid deposits.
		type Currency: MutateHold<Self::AccountId, Balance = Balance, Reason = Self::RuntimeHoldReason>
			+ InspectHold<Self::AccountId>
			+ Mutate<Self::AccountId>;
		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;
		/// Compute credits: escrows, payments, refunds.
		type Ledger: CreditLedger<Self::AccountId>;
		/// Providers and their devices.
		type Registry: ProviderRegistry<Self::AccountId>;
		/// Providers' reputation counters.
		type Reputation: Reputation<Self::AccountId>;
		/// Slashes provider bonds to compensate tenants.
		type Slashing: Slashing<Self::AccountId>;
		/// Changes the market's parameters (the market-admin track).
		type MarketOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Declares provider faults (the market-admin track now; attestation later).
		type FaultOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Most models one order may accept.
		#[pallet::constant]
		type MaxModelsPerOrder: Get<u32>;
		/// Most GPUs one order may ask for (and one bid offer).
		#[pallet::constant]
		type MaxGpusPerOrder: Get<u32>;
		/// Storage bound on bids per order (the governed `max_bids` is at most this).
		#[pallet::constant]
		type MaxBidsPerOrder: Get<u32>;
		/// Sweep tasks run in every block's `on_initialize`, whatever the block's load.
		#[pallet::constant]
		type SweepPerBlock: Get<u32>;
		/// Weights of the calls and the sweep.
		type WeightInfo: WeightInfo;
		/// Sets up credits and providers for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: crate::BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds CRU.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's deposit on a bid still standing.
		BidDeposit,
		/// A tenant's deposit on an order still open.
		OrderDeposit,
	}

	/// An order as stored.
	pub type OrderOf<T> =
		Order<<T as frame_system::Config>::AccountId, <T as Config>::MaxModelsPerOrder>;
	/// A bid as stored.
	pub type BidOf<T> = Bid<<T as frame_system::Config>::AccountId, <T as Config>::MaxGpusPerOrder>;
	/// A lease as stored.
	pub type LeaseOf<T> =
		Lease<<T as frame_system::Config>::AccountId, <T as Config>::MaxGpusPerOrder>;
	/// An order's request as a call takes it.
	pub type RequestOf<T> = Request<<T as Config>::MaxModelsPerOrder>;

	/// The market's governed parameters.
	#[pallet::storage]
	pub type Params<T> = StorageValue<_, LeaseParams, ValueQuery>;

	/// The next order id (a lease and its escrow take their order's id).
	#[pallet::storage]
	pub type NextId<T> = StorageValue<_, OrderId, ValueQuery>;

	/// Orders taking bids.
	#[pallet::storage]
	pub type Orders<T: Config> = CountedStorageMap<_, Twox64Concat, OrderId, OrderOf<T>>;

	/// The bids on each open order, in the order placed.
	#[pallet::storage]
	pub type Bids<T: Config> =
		StorageMap<_, Twox64Concat, OrderId, BoundedVec<BidOf<T>, T::MaxBidsPerOrder>, ValueQuery>;

	/// Leases not yet closed.
	#[pallet::storage]
	pub type Leases<T: Config> = CountedStorageMap<_, Twox64Concat, LeaseId, LeaseOf<T>>;

	/// Leases by tenant.
	#[pallet::storage]
	pub type TenantLeases<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, LeaseId, ()>;

	/// Leases by provider.
	#[pallet::storage]
	pub type ProviderLeases<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, LeaseId, ()>;

	/// The sweep's agenda: tasks by the block they run at, with the attempts that failed so
	/// far. Each open order has exactly one entry (`Order::close_at`), each lease exactly one
	/// (`Lease::check_at`), unless its task is parked in [`StuckTasks`].
	#[pallet::storage]
	pub type Agenda<T> =
		StorageDoubleMap<_, Twox64Concat, BlockNumber, Twox64Concat, Task, u8, OptionQuery>;

	/// Tasks on the agenda per block: at most `SweepPerBlock`, so every block's tasks run in
	/// that block's `on_initialize` and the sweep never falls behind.
	#[pallet::storage]
	pub type AgendaLen<T> = StorageMap<_, Twox64Concat, BlockNumber, u32, ValueQuery>;

	/// Sweep tasks that failed `1 + MAX_TASK_RETRIES` times, off the agenda until the
	/// market-admin track's [`Pallet::force_close`] (at most `MAX_STUCK_TASKS`).
	#[pallet::storage]
	pub type StuckTasks<T> = CountedStorageMap<_, Twox64Concat, Task, StuckTask>;

	/// The first block of the agenda the sweep has not finished.
	#[pallet::storage]
	pub type SweepCursor<T> = StorageValue<_, BlockNumber, ValueQuery>;

	/// GPUs under leases not yet closed.
	#[pallet::storage]
	pub type LeasedGpus<T> = StorageValue<_, u32, ValueQuery>;

	/// Each catalogue model's lease starts over the last day: counts per hour and the latest
	/// prices, kept as leases start (one entry per model the market summary reads).
	#[pallet::storage]
	pub type MarketDay<T> = StorageMap<_, Twox64Concat, GpuModelId, ModelDay, ValueQuery>;

	/// Leases that were warned of low funds (`LeaseLowFunds`) and have not been topped up
	/// above the horizon or closed since: the index `running_low` pages through.
	#[pallet::storage]
	pub type RunningLow<T> = StorageMap<_, Twox64Concat, LeaseId, ()>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The market's parameters.
		pub params: LeaseParams,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.params.is_valid(T::MaxBidsPerOrder::get()),
				"invalid lease-market parameters"
			);
			Params::<T>::put(self.params);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A tenant placed an order; bids are taken before `bid_until`.
		OrderCreated {
			order: OrderId,
			tenant: T::AccountId,
			gpus: u32,
			max_price: Credits,
			duration: BlockNumber,
			escrow: Credits,
			bid_until: BlockNumber,
		},
		/// A provider bid on an order, offering (and reserving) these devices, of these
		/// catalogue models (one per device, in the same order).
		BidPlaced {
			order: OrderId,
			provider: T::AccountId,
			price: Credits,
			devices: Vec<DeviceId>,
			models: Vec<GpuModelId>,
		},
		/// Releasing an order's deposit found less on hold than it: a broken invariant
		/// (`try_state` names it). What could be released was.
		OrderDepositDefect {
			order: OrderId,
			tenant: T::AccountId,
			deposit: Balance,
			released: Balance,
		},
		/// A bid lost or became void: its devices and deposit are free again.
		BidReleased { order: OrderId, provider: T::AccountId },
		/// Releasing a bid found less on hold than its deposit, or devices not offered for its
		/// order: a broken invariant (`try_state` names it). What could be released was.
		BidReleaseDefect {
			order: OrderId,
			provider: T::AccountId,
			/// The deposit the bid should have held.
			deposit: Balance,
			/// What was released of it.
			released: Balance,
			/// Whether its devices were released as offered for this order.
			devices_released: bool,
		},
		/// An order closed without a lease; its escrow went back to the tenant.
		OrderClosed {
			order: OrderId,
			tenant: T::AccountId,
			reason: OrderCloseReason,
			refunded: Credits,
		},
		/// A bid won: the lease runs over `[start, end)` at `price` per block.
		LeaseStarted {
			lease: LeaseId,
			tenant: T::AccountId,
			provider: T::AccountId,
			price: Credits,
			start: BlockNumber,
			end: BlockNumber,
			devices: Vec<DeviceId>,
		},
		/// Credits owed for `blocks` blocks moved from the escrow to the provider's account on
		/// the lease.
		LeaseSettled {
			lease: LeaseId,
			blocks: BlockNumber,
			credits: Credits,
			settled_to: BlockNumber,
		},
		/// The provider withdrew what the lease had settled: `to_provider` into its earned
		/// credits, `burned` as the take-rate.
		Withdrawn { lease: LeaseId, provider: T::AccountId, to_provider: Credits, burned: Credits },
		/// The tenant added credits to the escrow; the lease is now paid until `due`.
		ToppedUp { lease: LeaseId, credits: Credits, due: BlockNumber },
		/// The lease's escrow runs dry at `dry_block`, within the low-funds horizon.
		LeaseLowFunds {
			lease: LeaseId,
			tenant: T::AccountId,
			dry_block: BlockNumber,
			remaining: Credits,
		},
		/// A lease closed, paid to `paid_to`: `paid` to the provider at closing (before the
		/// take-rate), `refunded` to the tenant.
		LeaseClosed {
			lease: LeaseId,
			reason: CloseReason,
			paid_to: BlockNumber,
			paid: Credits,
			refunded: Credits,
		},
		/// A provider fault closed a lease; `compensation` CRU of its bond went to the tenant.
		ProviderFaulted {
			lease: LeaseId,
			provider: T::AccountId,
			kind: FaultKind,
			compensation: Balance,
		},
		/// The market's parameters changed.
		ParamsSet { params: LeaseParams },
		/// A sweep task failed (what it changed was undone): put back on the agenda at
		/// `retry_at`, or parked in `StuckTasks` for `force_close` when `None`.
		SweepTaskFailed { task: Task, error: DispatchError, retry_at: Option<BlockNumber> },
		/// The market-admin track closed the order or lease of a parked task.
		ForceClosed { task: Task },
		/// A force-closed lease's devices could not be released as leased for it (a broken
		/// invariant the registry's `try_state` names); its money was settled all the same.
		DeviceReleaseDefect {
			lease: LeaseId,
			error: DispatchError,
			/// How many of the provider's devices were still leased for it, and were freed.
			freed: u32,
		},
		/// A force-closed order's or lease's escrow held other than the market's record (a
		/// broken invariant: `try_state` names it). What it held was settled instead: the
		/// provider paid up to what it was owed, the rest refunded to the tenant.
		EscrowDefect {
			escrow: OrderId,
			/// What the market's record says the escrow holds.
			expected: Credits,
			/// What the ledger's escrow held.
			found: Credits,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The order accepts no model.
		NoModels,
		/// A model is listed twice.
		DuplicateModel,
		/// A model is not in the catalogue.
		UnknownModel,
		/// An order for zero GPUs.
		ZeroGpus,
		/// More GPUs than one order may ask for.
		TooManyGpus,
		/// Too few free devices of the accepted models (with that memory) to serve the order.
		Unservable,
		/// A price of zero.
		ZeroPrice,
		/// A duration of zero, or longer than the longest lease.
		BadDuration,
		/// A bid window outside the governed range.
		BadBidWindow,
		/// The escrow does not pay for `min_bid_window` blocks at the maximum price.
		EscrowTooSmall,
		/// A provider may not bid on its own account's order.
		SelfDealing,
		/// The region is not a code of lowercase letters, digits and inner hyphens.
		MalformedRegion,
		/// No such open order.
		OrderNotFound,
		/// The order's bid window has ended.
		BiddingClosed,
		/// Only the order's or the lease's tenant may do this.
		NotTenant,
		/// The account is not a registered provider.
		NotProvider,
		/// The provider is not Active.
		ProviderNotActive,
		/// The provider holds less than the registry's `min_bond_ratio` of its required bond
		/// (a slash cut it): it tops up before it bids or is leased.
		ProviderUnderbonded,
		/// The provider is not in the order's region.
		WrongRegion,
		/// The bid's price is above the order's maximum.
		BidAboveMaxPrice,
		/// The order has as many bids as it may take.
		TooManyBids,
		/// The provider already bid on this order.
		AlreadyBid,
		/// The bid does not offer exactly the GPUs asked for.
		WrongDeviceCount,
		/// The bid names a device twice.
		DuplicateDevice,
		/// The bid names a device the provider does not have.
		UnknownDevice,
		/// A device offered is of a model the order does not accept, or has too little memory.
		UnsuitableDevice,
		/// A device offered is already offered or leased.
		DeviceBusy,
		/// No bid from this provider on this order.
		BidNotFound,
		/// No such lease (never existed, or closed).
		LeaseNotFound,
		/// Only the lease's provider may do this.
		NotLeaseProvider,
		/// Only the lease's tenant or provider may do this.
		NotLeaseParty,
		/// The lease has nothing to withdraw.
		NothingToWithdraw,
		/// A top-up of zero.
		ZeroTopUp,
		/// The lease is past its due block: it can only close.
		LeaseDue,
		/// A sum would overflow.
		Overflow,
		/// Parameters that do not make sense.
		InvalidParams,
		/// The agenda has no room for the task within `AGENDA_SEARCH` blocks of its due block
		/// (each holds `SweepPerBlock` tasks): try another bid window, or later.
		AgendaFull,
		/// The task is not parked.
		NotStuck,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			let now: BlockNumber = n.unique_saturated_into();
			// A block's agenda holds at most `SweepPerBlock` tasks, and the cursor moves on
			// with empty steps counted apart: this block's tasks all run now.
			let per_block = T::SweepPerBlock::get();
			let (tasks, idle_steps) = Self::sweep(now, per_block, per_block);
			Self::sweep_weight(tasks, idle_steps)
		}

		fn on_idle(n: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let now: BlockNumber = n.unique_saturated_into();
			let per_task = Self::task_weight();
			let base = T::WeightInfo::sweep_idle();
			let Some(room) = remaining.checked_sub(&base) else { return Weight::zero() };
			let steps = room
				.ref_time()
				.checked_div(per_task.ref_time())
				.unwrap_or(0)
				.min(room.proof_size().checked_div(per_task.proof_size()).unwrap_or(u64::MAX));
			if steps == 0 {
				return Weight::zero();
			}
			// Half the room for tasks, half for empty steps (each no dearer than a task): the
			// two together stay within `remaining`.
			let steps = (steps / 2).min(u64::from(u32::MAX)) as u32;
			if steps == 0 {
				return Weight::zero();
			}
			let (tasks, idle_steps) = Self::sweep(now, steps, steps);
			Self::sweep_weight(tasks, idle_steps)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Order `request.gpus` GPUs at up to `max_price` credits per block for `duration`
		/// blocks, locking `escrow` purchased credits; bids are taken for `bid_window` blocks.
		///
		/// Refused at once when the registry's free devices of the accepted models cannot
		/// cover the request.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create_order(request.models.len() as u32))]
		pub fn create_order(
			origin: OriginFor<T>,
			request: RequestOf<T>,
			max_price: Credits,
			duration: BlockNumber,
			escrow: Credits,
			bid_window: BlockNumber,
		) -> DispatchResult {
			let tenant = ensure_signed(origin)?;
			let params = Params::<T>::get();
			Self::check_request(&request)?;
			ensure!(!max_price.is_zero(), Error::<T>::ZeroPrice);
			ensure!(duration > 0 && duration <= params.max_duration, Error::<T>::BadDuration);
			ensure!(
				(params.min_bid_window..=params.max_bid_window).contains(&bid_window),
				Error::<T>::BadBidWindow
			);
			// Enough to pay the highest price through the shortest bid window: an order is not
			// a free way to reserve agenda room and bids.
			let min_escrow = max_price
				.0
				.checked_mul(u128::from(params.min_bid_window))
				.ok_or(Error::<T>::Overflow)?;
			ensure!(escrow.0 >= min_escrow, Error::<T>::EscrowTooSmall);
			let now = Self::now();
			let id = NextId::<T>::get();
			let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let deposit = params.order_deposit;
			if deposit > 0 {
				T::Currency::hold(&HoldReason::OrderDeposit.into(), &tenant, deposit)?;
			}
			T::Ledger::lock(&tenant, id, escrow)?;
			NextId::<T>::put(next);
			let bid_until = now.saturating_add(bid_window);
			let close_at = Self::schedule(Task::CloseBidding(id), bid_until)?;
			let gpus = request.gpus;
			Orders::<T>::insert(
				id,
				Order {
					tenant: tenant.clone(),
					request,
					max_price,
					duration,
					escrow,
					deposit,
					created_at: now,
					bid_until,
					close_at,
				},
			);
			Self::deposit_event(Event::OrderCreated {
				order: id,
				tenant,
				gpus,
				max_price,
				duration,
				escrow,
				bid_until,
			});
			Ok(())
		}

		/// Bid `price` credits per block on `order`, offering `devices` (reserved until the
		/// bid is decided) and holding the bid deposit.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::bid(devices.len() as u32))]
		pub fn bid(
			origin: OriginFor<T>,
			order: OrderId,
			price: Credits,
			devices: BoundedVec<DeviceId, T::MaxGpusPerOrder>,
		) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			let o = Orders::<T>::get(order).ok_or(Error::<T>::OrderNotFound)?;
			ensure!(Self::now() < o.bid_until, Error::<T>::BiddingClosed);
			// Not the real defence (a second account defeats it: a lease counts for reputation
			// only above a governed length and value), but no lease to oneself on one account.
			ensure!(provider != o.tenant, Error::<T>::SelfDealing);
			match T::Registry::status(&provider) {
				None => return Err(Error::<T>::NotProvider.into()),
				Some(ProviderStatus::Active) => {}
				Some(_) => return Err(Error::<T>::ProviderNotActive.into()),
			}
			ensure!(T::Registry::bonded(&provider), Error::<T>::ProviderUnderbonded);
			if let Some(region) = &o.request.region {
				ensure!(T::Registry::in_region(&provider, region), Error::<T>::WrongRegion);
			}
			ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
			ensure!(price <= o.max_price, Error::<T>::BidAboveMaxPrice);
			let mut bids = Bids::<T>::get(order);
			let params = Params::<T>::get();
			ensure!(!bids.iter().any(|b| b.provider == provider), Error::<T>::AlreadyBid);
			ensure!((bids.len() as u32) < params.max_bids, Error::<T>::TooManyBids);
			let models = Self::check_devices(&provider, &o.request, &devices)?;
			let deposit = params.bid_deposit;
			T::Registry::reserve(&provider, &devices, DeviceUse::Offered(order))?;
			if deposit > 0 {
				T::Currency::hold(&HoldReason::BidDeposit.into(), &provider, deposit)?;
			}
			let placed_at = Self::now();
			let bid = Bid {
				provider: provider.clone(),
				price,
				devices: devices.clone(),
				models: models.clone(),
				deposit,
				placed_at,
			};
			bids.try_push(bid).map_err(|_| Error::<T>::TooManyBids)?;
			Bids::<T>::insert(order, bids);
			Self::deposit_event(Event::BidPlaced {
				order,
				provider,
				price,
				devices: devices.into_inner(),
				models: models.into_inner(),
			});
			Ok(())
		}

		/// Accept `provider`'s bid on the tenant's open `order`: the lease starts now; every
		/// other bid is released.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::accept_bid(T::MaxBidsPerOrder::get()))]
		pub fn accept_bid(
			origin: OriginFor<T>,
			order: OrderId,
			provider: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let o = Orders::<T>::get(order).ok_or(Error::<T>::OrderNotFound)?;
			ensure!(o.tenant == who, Error::<T>::NotTenant);
			let bids = Bids::<T>::get(order);
			let index =
				bids.iter().position(|b| b.provider == provider).ok_or(Error::<T>::BidNotFound)?;
			ensure!(
				T::Registry::status(&provider) == Some(ProviderStatus::Active),
				Error::<T>::ProviderNotActive
			);
			ensure!(T::Registry::bonded(&provider), Error::<T>::ProviderUnderbonded);
			Self::start_lease(order, o, bids.into_inner(), index)
		}

		/// Cancel the tenant's open `order`: every bid is released and the escrow refunded.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel_order(T::MaxBidsPerOrder::get()))]
		pub fn cancel_order(origin: OriginFor<T>, order: OrderId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let o = Orders::<T>::get(order).ok_or(Error::<T>::OrderNotFound)?;
			ensure!(o.tenant == who, Error::<T>::NotTenant);
			Self::unschedule(o.close_at, Task::CloseBidding(order));
			let bids = Bids::<T>::get(order).into_inner();
			Self::close_order(order, o, bids, OrderCloseReason::Cancelled)
		}

		/// Settle `lease` to now: what it owes moves from the escrow to the provider's side
		/// of the lease. Anyone may call it.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::settle())]
		pub fn settle(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::LeaseNotFound)?;
			Self::settle_lease(lease, &mut l, Self::now());
			Leases::<T>::insert(lease, l);
			Ok(())
		}

		/// Settle `lease` and pay what it has settled to its provider: into its earned
		/// credits, less the take-rate, which the ledger burns.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw())]
		pub fn withdraw(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::LeaseNotFound)?;
			ensure!(l.provider == who, Error::<T>::NotLeaseProvider);
			Self::settle_lease(lease, &mut l, Self::now());
			ensure!(!l.accrued.is_zero(), Error::<T>::NothingToWithdraw);
			let amount = l.accrued;
			let payment = T::Ledger::pay(lease, &who, amount)?;
			l.withdrawn = l.withdrawn.saturating_add(amount);
			l.accrued = Credits::ZERO;
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::Withdrawn {
				lease,
				provider: who,
				to_provider: payment.to_provider,
				burned: payment.burned,
			});
			Ok(())
		}

		/// Add `credits` of the tenant's purchased credits to `lease`'s escrow.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::top_up())]
		pub fn top_up(origin: OriginFor<T>, lease: LeaseId, credits: Credits) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut l = Leases::<T>::get(lease).ok_or(Error::<T>::LeaseNotFound)?;
			ensure!(l.tenant == who, Error::<T>::NotTenant);
			ensure!(!credits.is_zero(), Error::<T>::ZeroTopUp);
			let now = Self::now();
			ensure!(now < l.meter.due_block(), Error::<T>::LeaseDue);
			l.meter = l.meter.top_up(credits).map_err(|_| Error::<T>::Overflow)?;
			l.funded = l.funded.checked_add(credits).ok_or(Error::<T>::Overflow)?;
			T::Ledger::lock(&who, lease, credits)?;
			let horizon = Params::<T>::get().low_funds_horizon;
			if !l.meter.low_funds(now, horizon) {
				l.low_warned = false;
				RunningLow::<T>::remove(lease);
			}
			Self::settle_lease(lease, &mut l, now);
			Self::reschedule(lease, &mut l, now)?;
			let due = l.meter.due_block();
			Leases::<T>::insert(lease, l);
			Self::deposit_event(Event::ToppedUp { lease, credits, due });
			Ok(())
		}

		/// Close `lease` now, as its tenant or its provider: the provider is paid to now (or
		/// to the due block, if earlier), the tenant gets the rest back, the devices are
		/// released. A provider closing before the end counts a fault in its reputation.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::close_lease())]
		pub fn close_lease(origin: OriginFor<T>, lease: LeaseId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let l = Leases::<T>::get(lease).ok_or(Error::<T>::LeaseNotFound)?;
			ensure!(who == l.tenant || who == l.provider, Error::<T>::NotLeaseParty);
			let now = Self::now();
			let reason = if now >= l.meter.due_block() {
				// It ended on its own; the sweep has not reached it yet.
				Self::due_reason(&l)
			} else if who == l.tenant {
				CloseReason::Tenant
			} else {
				CloseReason::Provider
			};
			Self::close(lease, l, now, reason)
		}

		/// Close `lease` for a fault of its provider: the provider is paid to now, the tenant
		/// refunded the rest and compensated from the provider's bond (per GPU, within what is
		/// held), the fault recorded in the provider's reputation, the devices released.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::provider_fault())]
		pub fn provider_fault(
			origin: OriginFor<T>,
			lease: LeaseId,
			kind: FaultKind,
		) -> DispatchResult {
			T::FaultOrigin::ensure_origin(origin)?;
			let l = Leases::<T>::get(lease).ok_or(Error::<T>::LeaseNotFound)?;
			let (provider, tenant) = (l.provider.clone(), l.tenant.clone());
			let per_gpu = Params::<T>::get().fault_compensation_per_gpu;
			let amount = per_gpu.saturating_mul(l.devices.len() as Balance);
			Self::close(lease, l, Self::now(), CloseReason::ProviderFault(kind))?;
			let compensation = T::Slashing::slash(
				&provider,
				amount,
				Some(&tenant),
				SlashReason::LeaseFault(lease),
			)?;
			Self::deposit_event(Event::ProviderFaulted { lease, provider, kind, compensation });
			Ok(())
		}

		/// Set the market's parameters.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_params())]
		pub fn set_params(origin: OriginFor<T>, params: LeaseParams) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(T::MaxBidsPerOrder::get()), Error::<T>::InvalidParams);
			Params::<T>::put(params);
			Self::deposit_event(Event::ParamsSet { params });
			Ok(())
		}

		/// Close the order or lease of a parked sweep `task` (one that failed every attempt,
		/// listed by `crucible_leasesStuck`): an order's bids are released and its escrow and
		/// deposit refunded; a lease pays its provider to now, refunds the rest of the escrow
		/// and releases the devices, counted neither way in reputation. The market-admin
		/// track, after it has read the task's error.
		///
		/// It cannot fail the way the task did: an escrow holding other than the record is
		/// settled as it stands ([`Event::EscrowDefect`]), and devices that cannot be
		/// released as recorded are freed wherever they are still bound to the order or
		/// lease ([`Event::DeviceReleaseDefect`], [`Event::BidReleaseDefect`]).
		#[pallet::call_index(10)]
		#[pallet::weight(Pallet::<T>::force_close_weight())]
		pub fn force_close(origin: OriginFor<T>, task: Task) -> DispatchResult {
			T::MarketOrigin::ensure_origin(origin)?;
			ensure!(StuckTasks::<T>::contains_key(task), Error::<T>::NotStuck);
			StuckTasks::<T>::remove(task);
			match task {
				Task::CloseBidding(order) => {
					let o = Orders::<T>::get(order).ok_or(Error::<T>::OrderNotFound)?;
					let bids = Bids::<T>::get(order).into_inner();
					Self::close_order(order, o, bids, OrderCloseReason::ForceClosed)?;
				}
				Task::CheckLease(id) => {
					let l = Leases::<T>::get(id).ok_or(Error::<T>::LeaseNotFound)?;
					Self::close(id, l, Self::now(), CloseReason::ForceClosed)?;
				}
			}
			Self::deposit_event(Event::ForceClosed { task });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		/// [`Pallet::force_close`]'s worst case, benchmarked: the larger of a parked bidding
		/// close of the most bids and a parked lease of the most GPUs, each record naming a
		/// device its provider does not have (the registry walks every other device, refuses,
		/// then frees every device still bound).
		pub(crate) fn force_close_weight() -> Weight {
			T::WeightInfo::force_close_order(T::MaxBidsPerOrder::get())
				.max(T::WeightInfo::force_close_lease())
		}

		/// The current block.
		pub(crate) fn now() -> BlockNumber {
			frame_system::Pallet::<T>::block_number().unique_saturated_into()
		}

		/// The earliest block a task may be put at: not before the sweep's cursor.
		fn cursor_floor(at: BlockNumber) -> BlockNumber {
			at.max(SweepCursor::<T>::get())
		}

		/// Put `task` on the agenda at the first block at or after `at` (and the sweep's
		/// cursor) with room, within `AGENDA_SEARCH` blocks; returns the block used.
		pub(crate) fn schedule(task: Task, at: BlockNumber) -> Result<BlockNumber, DispatchError> {
			Self::place(task, at, 0)
		}

		/// [`Self::schedule`] with `attempts` failed so far.
		fn place(task: Task, at: BlockNumber, attempts: u8) -> Result<BlockNumber, DispatchError> {
			let cap = T::SweepPerBlock::get();
			let mut block = Self::cursor_floor(at);
			for _ in 0..AGENDA_SEARCH {
				let len = AgendaLen::<T>::get(block);
				if len < cap {
					AgendaLen::<T>::insert(block, len + 1);
					Agenda::<T>::insert(block, task, attempts);
					return Ok(block);
				}
				block = block.checked_add(1).ok_or(Error::<T>::Overflow)?;
			}
			Err(Error::<T>::AgendaFull.into())
		}

		/// Take `task` off the agenda at `at` (and out of the parked tasks, if it is there).
		pub(crate) fn unschedule(at: BlockNumber, task: Task) {
			if Agenda::<T>::take(at, task).is_some() {
				Self::agenda_shrunk(at);
			} else {
				StuckTasks::<T>::remove(task);
			}
		}

		/// One task fewer at block `at`.
		fn agenda_shrunk(at: BlockNumber) {
			AgendaLen::<T>::mutate_exists(at, |len| {
				*len = len.and_then(|l| l.checked_sub(1)).filter(|l| *l > 0);
			});
		}

		/// A well-formed request that the free devices could serve.
		fn check_request(request: &RequestOf<T>) -> DispatchResult {
			ensure!(!request.models.is_empty(), Error::<T>::NoModels);
			ensure!(request.gpus > 0, Error::<T>::ZeroGpus);
			ensure!(request.gpus <= T::MaxGpusPerOrder::get(), Error::<T>::TooManyGpus);
			for (i, m) in request.models.iter().enumerate() {
				ensure!(!request.models[..i].contains(m), Error::<T>::DuplicateModel);
				ensure!(T::Registry::model(*m).is_some(), Error::<T>::UnknownModel);
			}
			if let Some(region) = &request.region {
				ensure!(
					crucible_primitives::bounds::check_region(region),
					Error::<T>::MalformedRegion
				);
			}
			ensure!(Self::servable(request), Error::<T>::Unservable);
			Ok(())
		}

		/// The request as the matching functions see it.
		fn ask(request: &RequestOf<T>) -> market::Ask<'_> {
			market::Ask {
				models: &request.models,
				min_vram_mib: request.min_vram_mib,
				gpus: request.gpus,
			}
		}

		/// Whether enough free devices of the request's models exist now, in its region if it
		/// names one (O(models)).
		fn servable(request: &RequestOf<T>) -> bool {
			let ask = Self::ask(request);
			market::servable(&ask, |m| {
				T::Registry::model(m).map(|(vram, _)| {
					let free = match &request.region {
						Some(region) => T::Registry::free_devices_in(m, region),
						None => T::Registry::free_devices(m),
					};
					(vram, free)
				})
			})
		}

		/// The offered devices exist at `provider`, are free, and fit the request exactly;
		/// returns each one's model.
		fn check_devices(
			provider: &T::AccountId,
			request: &RequestOf<T>,
			devices: &[DeviceId],
		) -> Result<BoundedVec<GpuModelId, T::MaxGpusPerOrder>, DispatchError> {
			let registered = T::Registry::devices(provider);
			let mut offered: Vec<(DeviceId, GpuModelId, u32, DeviceState)> =
				Vec::with_capacity(devices.len());
			for id in devices {
				let d = registered.iter().find(|d| d.id == *id).ok_or(Error::<T>::UnknownDevice)?;
				let vram = T::Registry::model(d.model).map(|(v, _)| v).unwrap_or(0);
				offered.push((d.id, d.model, vram, d.state));
			}
			let ask = Self::ask(request);
			market::devices_fit(&ask, &offered).map_err(|e| match e {
				market::FitError::WrongCount => Error::<T>::WrongDeviceCount,
				market::FitError::Duplicate => Error::<T>::DuplicateDevice,
				market::FitError::Unsuitable => Error::<T>::UnsuitableDevice,
				market::FitError::Busy => Error::<T>::DeviceBusy,
			})?;
			let models: Vec<GpuModelId> = offered.iter().map(|(_, m, _, _)| *m).collect();
			Ok(models.try_into().map_err(|_| Error::<T>::TooManyGpus)?)
		}

		/// Release an order's deposit, reporting a shortfall (a broken invariant).
		fn release_order_deposit(order: OrderId, o: &OrderOf<T>) {
			if o.deposit == 0 {
				return;
			}
			let released = T::Currency::release(
				&HoldReason::OrderDeposit.into(),
				&o.tenant,
				o.deposit,
				Precision::BestEffort,
			)
			.unwrap_or(0);
			if released < o.deposit {
				frame_support::defensive!("an order's deposit is held for it");
				Self::deposit_event(Event::OrderDepositDefect {
					order,
					tenant: o.tenant.clone(),
					deposit: o.deposit,
					released,
				});
			}
		}

		/// Release a bid's deposit; returns what was released.
		fn release_deposit(bid: &BidOf<T>) -> Balance {
			if bid.deposit == 0 {
				return 0;
			}
			T::Currency::release(
				&HoldReason::BidDeposit.into(),
				&bid.provider,
				bid.deposit,
				Precision::BestEffort,
			)
			.unwrap_or(0)
		}

		/// Free a bid's devices and deposit. A bid whose devices are not offered for `order` or
		/// whose deposit is not wholly on hold is a broken invariant: what can be released is,
		/// and [`Event::BidReleaseDefect`] says what could not.
		fn release_bid(order: OrderId, bid: &BidOf<T>) {
			let devices_released =
				T::Registry::release(&bid.provider, &bid.devices, DeviceUse::Offered(order))
					.is_ok();
			if !devices_released {
				// None of them may stay offered for an order that is gone.
				T::Registry::release_bound(&bid.provider, DeviceUse::Offered(order));
			}
			let released = Self::release_deposit(bid);
			Self::check_release(order, bid, released, devices_released);
			Self::deposit_event(Event::BidReleased { order, provider: bid.provider.clone() });
		}

		/// Reports a bid released with less than its deposit, or without its devices.
		fn check_release(order: OrderId, bid: &BidOf<T>, released: Balance, devices: bool) {
			if !devices || released < bid.deposit {
				frame_support::defensive!("a bid's devices and deposit are held for its order");
				Self::deposit_event(Event::BidReleaseDefect {
					order,
					provider: bid.provider.clone(),
					deposit: bid.deposit,
					released,
					devices_released: devices,
				});
			}
		}

		/// Close an open order without a lease: release `bids` (what is left of its bids),
		/// refund the escrow. Its agenda entry must already be gone.
		fn close_order(
			order: OrderId,
			o: OrderOf<T>,
			bids: Vec<BidOf<T>>,
			reason: OrderCloseReason,
		) -> DispatchResult {
			for bid in bids.iter() {
				Self::release_bid(order, bid);
			}
			Bids::<T>::remove(order);
			let refund = if reason == OrderCloseReason::ForceClosed {
				Self::settle_what_is_there(order, Credits::ZERO, o.escrow).1
			} else {
				o.escrow
			};
			if !refund.is_zero() {
				T::Ledger::refund(order, refund)?;
			}
			Self::release_order_deposit(order, &o);
			Orders::<T>::remove(order);
			Self::deposit_event(Event::OrderClosed {
				order,
				tenant: o.tenant,
				reason,
				refunded: refund,
			});
			Ok(())
		}

		/// Turn bid `index` of `order` into a lease starting now; release the others.
		fn start_lease(
			order: OrderId,
			o: OrderOf<T>,
			bids: Vec<BidOf<T>>,
			index: usize,
		) -> DispatchResult {
			let now = Self::now();
			let winner = bids[index].clone();
			T::Registry::rebind(
				&winner.provider,
				&winner.devices,
				DeviceUse::Offered(order),
				DeviceUse::Leased(order),
			)?;
			let end = now.saturating_add(o.duration);
			let meter = Meter::new(winner.price, now, end, o.escrow)
				.map_err(|_| Error::<T>::BadDuration)?;
			// (Gone already when the sweep decides.)
			Self::unschedule(o.close_at, Task::CloseBidding(order));
			for (i, bid) in bids.iter().enumerate() {
				if i == index {
					// Its devices stay bound: they are the lease's now.
					let released = Self::release_deposit(bid);
					Self::check_release(order, bid, released, true);
				} else {
					Self::release_bid(order, bid);
				}
			}
			Bids::<T>::remove(order);
			Self::release_order_deposit(order, &o);
			Orders::<T>::remove(order);
			Self::log_prices(&winner, now);
			let gpus = winner.devices.len() as u32;
			LeasedGpus::<T>::mutate(|n| *n = n.saturating_add(gpus));
			let mut lease = Lease {
				tenant: o.tenant.clone(),
				provider: winner.provider.clone(),
				devices: winner.devices.clone(),
				start: now,
				meter,
				accrued: Credits::ZERO,
				withdrawn: Credits::ZERO,
				funded: o.escrow,
				check_at: 0,
				low_warned: false,
			};
			TenantLeases::<T>::insert(&o.tenant, order, ());
			ProviderLeases::<T>::insert(&winner.provider, order, ());
			Self::deposit_event(Event::LeaseStarted {
				lease: order,
				tenant: o.tenant,
				provider: winner.provider,
				price: winner.price,
				start: now,
				end,
				devices: winner.devices.into_inner(),
			});
			// An escrow that is low from the start is announced at once, after the start.
			let horizon = Params::<T>::get().low_funds_horizon;
			Self::warn_if_low(order, &mut lease, now, horizon);
			lease.check_at =
				Self::schedule(Task::CheckLease(order), Self::next_check(&lease, horizon))?;
			Leases::<T>::insert(order, lease);
			Ok(())
		}

		/// Record the started lease's price per GPU-hour under each of its models.
		fn log_prices(bid: &BidOf<T>, now: BlockNumber) {
			let mut models: Vec<GpuModelId> = bid.models.to_vec();
			models.sort_unstable();
			models.dedup();
			let per_gpu_hour = per_gpu_hour(bid.price, bid.devices.len() as u32);
			for model in models {
				MarketDay::<T>::mutate(model, |day| day.record(now, per_gpu_hour));
			}
		}

		/// Settle what `lease` owes as of `now` into `accrued`, and warn if it runs low.
		pub(crate) fn settle_lease(id: LeaseId, lease: &mut LeaseOf<T>, now: BlockNumber) {
			let s = lease.meter.settle(now);
			lease.meter = s.meter;
			if s.blocks > 0 {
				lease.accrued = lease.accrued.saturating_add(s.paid);
				Self::deposit_event(Event::LeaseSettled {
					lease: id,
					blocks: s.blocks,
					credits: s.paid,
					settled_to: s.meter.settled_at,
				});
			}
			Self::warn_if_low(id, lease, now, Params::<T>::get().low_funds_horizon);
		}

		/// Emit `LeaseLowFunds` the first time the escrow runs dry within the horizon.
		fn warn_if_low(
			id: LeaseId,
			lease: &mut LeaseOf<T>,
			now: BlockNumber,
			horizon: BlockNumber,
		) {
			if !lease.low_warned
				&& now < lease.meter.due_block()
				&& lease.meter.low_funds(now, horizon)
			{
				lease.low_warned = true;
				RunningLow::<T>::insert(id, ());
				Self::deposit_event(Event::LeaseLowFunds {
					lease: id,
					tenant: lease.tenant.clone(),
					dry_block: lease.meter.dry_block(),
					remaining: lease.meter.remaining.saturating_sub(lease.meter.owed(now).1),
				});
			}
		}

		/// When the sweep next needs to look at `lease`: its low-funds point (if not yet
		/// warned), else its due block.
		pub(crate) fn next_check(lease: &LeaseOf<T>, horizon: BlockNumber) -> BlockNumber {
			let due = lease.meter.due_block();
			if lease.meter.runs_dry() && !lease.low_warned {
				due.min(lease.meter.dry_block().saturating_sub(horizon))
			} else {
				due
			}
		}

		/// Move `lease`'s agenda entry to its next check, if that changed (a parked task is
		/// put back on the agenda).
		fn reschedule(id: LeaseId, lease: &mut LeaseOf<T>, now: BlockNumber) -> DispatchResult {
			let horizon = Params::<T>::get().low_funds_horizon;
			let at = Self::next_check(lease, horizon).max(now.saturating_add(1));
			let at = Self::cursor_floor(at);
			let task = Task::CheckLease(id);
			if at != lease.check_at || !Agenda::<T>::contains_key(lease.check_at, task) {
				Self::unschedule(lease.check_at, task);
				lease.check_at = Self::schedule(task, at)?;
			}
			Ok(())
		}

		/// What a force-close pays and refunds of escrow `id`, owed `pay` and `refund` by the
		/// market's record: the same, unless the ledger's escrow holds another amount (a
		/// broken invariant), when the provider is paid up to `pay` of what it holds and the
		/// tenant gets the rest, so the close cannot fail the way its task did.
		fn settle_what_is_there(id: OrderId, pay: Credits, refund: Credits) -> (Credits, Credits) {
			let expected = pay.saturating_add(refund);
			let found = T::Ledger::escrow(id).map(|(_, c)| c).unwrap_or_default();
			if found == expected {
				return (pay, refund);
			}
			frame_support::defensive!("an escrow holds what the market's record says");
			Self::deposit_event(Event::EscrowDefect { escrow: id, expected, found });
			let paid = pay.min(found);
			(paid, found.saturating_sub(paid))
		}

		/// Why a lease past its due block is due.
		fn due_reason(lease: &LeaseOf<T>) -> CloseReason {
			if lease.meter.runs_dry() {
				CloseReason::InsufficientFunds
			} else {
				CloseReason::Expired
			}
		}

		/// Close `lease` at `now`: pay the provider what is settled and owed (to the due block
		/// at most), refund the rest, release the devices, count the outcome in reputation.
		fn close(
			id: LeaseId,
			lease: LeaseOf<T>,
			now: BlockNumber,
			reason: CloseReason,
		) -> DispatchResult {
			let (s, refund) = lease.meter.close(now);
			let pay = lease.accrued.checked_add(s.paid).ok_or(Error::<T>::Overflow)?;
			let (pay, refund) = if reason == CloseReason::ForceClosed {
				Self::settle_what_is_there(id, pay, refund)
			} else {
				(pay, refund)
			};
			if !pay.is_zero() {
				T::Ledger::pay(id, &lease.provider, pay)?;
			}
			if !refund.is_zero() {
				T::Ledger::refund(id, refund)?;
			}
			if let Err(error) =
				T::Registry::release(&lease.provider, &lease.devices, DeviceUse::Leased(id))
			{
				// Only a force-close goes on without the devices: what is wrong with them is a
				// defect for the registry's `try_state`, and the money is settled all the same.
				if reason != CloseReason::ForceClosed {
					return Err(error);
				}
				frame_support::defensive!("a lease's devices are leased for it");
				let freed = T::Registry::release_bound(&lease.provider, DeviceUse::Leased(id));
				Self::deposit_event(Event::DeviceReleaseDefect { lease: id, error, freed });
			}
			let outcome = match reason {
				CloseReason::Provider | CloseReason::ProviderFault(_) => {
					Some(ReputationEvent::LeaseFaulted)
				}
				CloseReason::ForceClosed => None,
				// A completed lease counts only above the governed length and value, so that
				// a provider leasing to itself pays for each point.
				_ => {
					let params = Params::<T>::get();
					let ran = s.meter.settled_at.saturating_sub(lease.start);
					let paid = lease.withdrawn.saturating_add(pay);
					(ran >= params.reputation_min_blocks && paid >= params.reputation_min_paid)
						.then_some(ReputationEvent::LeaseCompleted)
				}
			};
			if let Some(outcome) = outcome {
				T::Reputation::record(&lease.provider, outcome);
			}
			Self::unschedule(lease.check_at, Task::CheckLease(id));
			RunningLow::<T>::remove(id);
			Leases::<T>::remove(id);
			TenantLeases::<T>::remove(&lease.tenant, id);
			ProviderLeases::<T>::remove(&lease.provider, id);
			LeasedGpus::<T>::mutate(|n| *n = n.saturating_sub(lease.devices.len() as u32));
			Self::deposit_event(Event::LeaseClosed {
				lease: id,
				reason,
				paid_to: s.meter.settled_at,
				paid: pay,
				refunded: refund,
			});
			Ok(())
		}

		/// Run up to `max_tasks` agenda tasks due by `now`, and up to `max_idle` steps moving
		/// the cursor past a block with none left. Returns (tasks run, empty steps).
		pub(crate) fn sweep(now: BlockNumber, max_tasks: u32, max_idle: u32) -> (u32, u32) {
			let mut cursor = SweepCursor::<T>::get();
			let (mut tasks, mut idle) = (0u32, 0u32);
			while cursor <= now {
				match Agenda::<T>::iter_prefix(cursor).next() {
					Some((task, attempts)) if tasks < max_tasks => {
						Agenda::<T>::remove(cursor, task);
						Self::agenda_shrunk(cursor);
						tasks += 1;
						let result = frame_support::storage::with_storage_layer(|| {
							Self::run_task(task, now)
						});
						if let Err(error) = result {
							Self::task_failed(task, error, attempts, now);
						}
					}
					Some(_) => break,
					None if idle < max_idle => {
						cursor += 1;
						idle += 1;
					}
					None => break,
				}
			}
			SweepCursor::<T>::put(cursor);
			(tasks, idle)
		}

		/// A sweep task failed (its changes undone): put it back `RETRY_DELAY` blocks on, at
		/// most `MAX_TASK_RETRIES` times, then park it for `force_close`. Its order or lease
		/// keeps its escrow and devices meanwhile, and the record points at the new block.
		fn task_failed(task: Task, error: DispatchError, attempts: u8, now: BlockNumber) {
			log::warn!(target: "runtime::leases", "sweep task {task:?} failed: {error:?}");
			let attempts = attempts.saturating_add(1);
			let park = attempts > MAX_TASK_RETRIES && StuckTasks::<T>::count() < MAX_STUCK_TASKS;
			let retry_at = if park {
				StuckTasks::<T>::insert(task, StuckTask { since: now, error });
				None
			} else {
				// No room within the search (the agenda full for `AGENDA_SEARCH` blocks): park
				// it instead, even past the bound, rather than lose it.
				match Self::place(task, now.saturating_add(RETRY_DELAY), attempts) {
					Ok(at) => Some(at),
					Err(_) => {
						StuckTasks::<T>::insert(task, StuckTask { since: now, error });
						None
					}
				}
			};
			let at = retry_at.unwrap_or(now);
			match task {
				Task::CloseBidding(order) => Orders::<T>::mutate(order, |o| {
					if let Some(o) = o {
						o.close_at = at;
					}
				}),
				Task::CheckLease(id) => Leases::<T>::mutate(id, |l| {
					if let Some(l) = l {
						l.check_at = at;
					}
				}),
			}
			Self::deposit_event(Event::SweepTaskFailed { task, error, retry_at });
		}

		/// One agenda task, taken off the agenda.
		fn run_task(task: Task, now: BlockNumber) -> DispatchResult {
			match task {
				Task::CloseBidding(order) => {
					let Some(o) = Orders::<T>::get(order) else { return Ok(()) };
					Self::decide(order, o)
				}
				Task::CheckLease(id) => {
					let Some(mut lease) = Leases::<T>::get(id) else { return Ok(()) };
					if now >= lease.meter.due_block() {
						let reason = Self::due_reason(&lease);
						return Self::close(id, lease, now, reason);
					}
					Self::settle_lease(id, &mut lease, now);
					let horizon = Params::<T>::get().low_funds_horizon;
					let next = Self::next_check(&lease, horizon).max(now.saturating_add(1));
					lease.check_at = Self::schedule(Task::CheckLease(id), next)?;
					Leases::<T>::insert(id, lease);
					Ok(())
				}
			}
		}

		/// The window of `order` ended: the best valid bid wins, or the order closes.
		fn decide(order: OrderId, o: OrderOf<T>) -> DispatchResult {
			let bids = Bids::<T>::get(order).into_inner();
			let mut ranks: Vec<market::BidRank> = bids
				.iter()
				.enumerate()
				.map(|(seq, b)| market::BidRank {
					price: b.price,
					reputation: T::Reputation::reputation(&b.provider).unwrap_or_default(),
					placed_at: b.placed_at,
					seq: seq as u32,
				})
				.collect();
			ranks.sort_by(market::cmp_bids);
			let mut void = alloc::vec![false; bids.len()];
			let mut winner = None;
			for rank in ranks {
				let i = rank.seq as usize;
				let provider = &bids[i].provider;
				if T::Registry::status(provider) == Some(ProviderStatus::Active)
					&& T::Registry::bonded(provider)
				{
					winner = Some(i);
					break;
				}
				// Its provider was suspended, or slashed below its bond ratio, since it bid:
				// void the bid, try the next.
				Self::release_bid(order, &bids[i]);
				void[i] = true;
			}
			let voided = void.iter().any(|v| *v);
			let index = winner.map(|w| void[..w].iter().filter(|v| !**v).count());
			let rest: Vec<BidOf<T>> =
				bids.into_iter().zip(void).filter(|(_, v)| !v).map(|(b, _)| b).collect();
			match index {
				Some(index) => {
					// A lease whose first check finds no room on the agenda (32 full blocks)
					// cannot start; the order closes instead, so that no bidder's devices and
					// deposit wait for governance.
					let started = frame_support::storage::with_storage_layer(|| {
						Self::start_lease(order, o.clone(), rest.clone(), index)
					});
					match started {
						Err(e) if e == Error::<T>::AgendaFull.into() => {
							Self::close_order(order, o, rest, OrderCloseReason::AgendaFull)
						}
						other => other,
					}
				}
				None => {
					let reason = if !Self::servable(&o.request) {
						OrderCloseReason::NoFreeDevices
					} else if voided {
						OrderCloseReason::NoValidBids
					} else {
						OrderCloseReason::NoBids
					};
					Self::close_order(order, o, rest, reason)
				}
			}
		}

		/// Check every invariant of the market (and its agreement with the ledger and the
		/// registry). Run by `try_state` and after every step of the tests.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			use sp_runtime::TryRuntimeError as E;
			let (mut offered, mut leased, mut agenda, mut low) = (0u32, 0u32, 0u32, 0u32);
			let mut stuck = 0u32;
			let mut order_deposits = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
			let mut bid_deposits = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
			let has_state = |who: &T::AccountId, id: &DeviceId, use_: DeviceUse| {
				T::Registry::devices(who)
					.iter()
					.any(|d| d.id == *id && d.state == DeviceState::InUse(use_))
			};
			for (id, o) in Orders::<T>::iter() {
				ensure!(id < NextId::<T>::get(), E::Other("order id not yet issued"));
				ensure!(
					T::Ledger::escrow(id) == Some((o.tenant.clone(), o.escrow)),
					E::Other("an order's escrow differs from the ledger's")
				);
				ensure!(
					o.close_at >= o.bid_until,
					E::Other("an order decided before its window ends")
				);
				if Agenda::<T>::contains_key(o.close_at, Task::CloseBidding(id)) {
					agenda += 1;
				} else {
					ensure!(
						StuckTasks::<T>::contains_key(Task::CloseBidding(id)),
						E::Other("an open order is neither on the agenda at close_at nor parked")
					);
					stuck += 1;
				}
				*order_deposits.entry(o.tenant.clone()).or_default() += o.deposit;
				let bids = Bids::<T>::get(id);
				for b in bids.iter() {
					*bid_deposits.entry(b.provider.clone()).or_default() += b.deposit;
					ensure!(
						b.models.len() == b.devices.len(),
						E::Other("a bid's models do not match its devices")
					);
					ensure!(
						b.devices.len() as u32 == o.request.gpus,
						E::Other("a bid offers the wrong count")
					);
					for d in b.devices.iter() {
						ensure!(
							has_state(&b.provider, d, DeviceUse::Offered(id)),
							E::Other("a bid's device is not offered for its order")
						);
					}
					offered += b.devices.len() as u32;
				}
			}
			for id in Bids::<T>::iter_keys() {
				ensure!(Orders::<T>::contains_key(id), E::Other("bids on a closed order"));
			}
			for (id, l) in Leases::<T>::iter() {
				let held = l.accrued.checked_add(l.meter.remaining).ok_or(E::Other("overflow"))?;
				let ledger = T::Ledger::escrow(id).map(|(_, c)| c).unwrap_or_default();
				ensure!(ledger == held, E::Other("a lease's escrow differs from the ledger's"));
				ensure!(
					l.funded == l.withdrawn.saturating_add(held),
					E::Other("funded != withdrawn + accrued + remaining")
				);
				ensure!(
					l.meter.settled_at >= l.start && l.meter.settled_at <= l.meter.end,
					E::Other("settled outside the term")
				);
				if Agenda::<T>::contains_key(l.check_at, Task::CheckLease(id)) {
					agenda += 1;
				} else {
					ensure!(
						StuckTasks::<T>::contains_key(Task::CheckLease(id)),
						E::Other("a lease is neither on the agenda at check_at nor parked")
					);
					stuck += 1;
				}
				ensure!(
					RunningLow::<T>::contains_key(id) == l.low_warned,
					E::Other("running-low index differs from the warnings")
				);
				low += u32::from(l.low_warned);
				ensure!(TenantLeases::<T>::contains_key(&l.tenant, id), E::Other("tenant index"));
				ensure!(
					ProviderLeases::<T>::contains_key(&l.provider, id),
					E::Other("provider index")
				);
				for d in l.devices.iter() {
					ensure!(
						has_state(&l.provider, d, DeviceUse::Leased(id)),
						E::Other("a lease's device is not leased for it")
					);
				}
				leased += l.devices.len() as u32;
			}
			ensure!(
				Agenda::<T>::iter_keys().count() as u32 == agenda,
				E::Other("stray agenda entries")
			);
			ensure!(
				StuckTasks::<T>::iter_keys().count() as u32 == stuck
					&& StuckTasks::<T>::count() == stuck,
				E::Other("stray parked tasks")
			);
			let cap = T::SweepPerBlock::get();
			let mut per_block = alloc::collections::BTreeMap::<BlockNumber, u32>::new();
			for (block, _) in Agenda::<T>::iter_keys() {
				*per_block.entry(block).or_default() += 1;
			}
			let cursor = SweepCursor::<T>::get();
			ensure!(
				per_block.keys().next().is_none_or(|b| *b >= cursor),
				E::Other("an agenda entry behind the sweep's cursor would never run")
			);
			for (block, len) in AgendaLen::<T>::iter() {
				ensure!(
					per_block.remove(&block) == Some(len) && len <= cap,
					E::Other("agenda length differs from its entries, or over the cap")
				);
			}
			ensure!(per_block.is_empty(), E::Other("agenda entries without a length"));
			ensure!(
				TenantLeases::<T>::iter_keys().count() as u32 == Leases::<T>::count(),
				E::Other("stray tenant index entries")
			);
			ensure!(
				ProviderLeases::<T>::iter_keys().count() as u32 == Leases::<T>::count(),
				E::Other("stray provider index entries")
			);
			ensure!(
				RunningLow::<T>::iter_keys().count() as u32 == low,
				E::Other("stray running-low entries")
			);
			ensure!(LeasedGpus::<T>::get() == leased, E::Other("leased GPU counter"));
			for (who, sum) in order_deposits {
				let held = T::Currency::balance_on_hold(&HoldReason::OrderDeposit.into(), &who);
				ensure!(held == sum, E::Other("order deposits held differ from the open orders'"));
			}
			for (who, sum) in bid_deposits {
				let held = T::Currency::balance_on_hold(&HoldReason::BidDeposit.into(), &who);
				ensure!(held == sum, E::Other("bid deposits held differ from the open bids'"));
			}
			ensure!(
				T::Registry::in_use() == (offered, leased),
				E::Other("devices in use != devices of bids and leases")
			);
			Ok(())
		}

		/// The weight of the worst sweep task.
		pub(crate) fn task_weight() -> Weight {
			let db = T::DbWeight::get();
			// A task re-placing itself may search `AGENDA_SEARCH` blocks for room (the
			// benchmarks find it at once); one that fails is rolled back, then put back on the
			// agenda (another search) or parked, and its record pointed at the new block.
			let failing = db.reads_writes(u64::from(2 * AGENDA_SEARCH) + 3, 4);
			// A winning lease that finds no agenda room is undone and the order closed instead:
			// its failed start is priced as the decision, the close as a cancellation.
			let no_room = T::WeightInfo::cancel_order(T::MaxBidsPerOrder::get());
			// The bidding close's benchmark voids every bid but the worst (each a status and a
			// bond read, then a release) before that one wins.
			T::WeightInfo::sweep_close_bidding(T::MaxBidsPerOrder::get())
				.saturating_add(no_room)
				.max(T::WeightInfo::sweep_close_lease())
				.max(T::WeightInfo::sweep_check_lease())
				.saturating_add(failing)
		}

		/// Weight of a sweep that ran `tasks` tasks and `idle` empty steps.
		fn sweep_weight(tasks: u32, idle: u32) -> Weight {
			T::WeightInfo::sweep_idle()
				.saturating_mul(u64::from(idle).max(1))
				.saturating_add(Self::task_weight().saturating_mul(u64::from(tasks)))
		}
	}
}
