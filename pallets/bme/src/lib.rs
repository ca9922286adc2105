//! # Burn-mint equilibrium (BME)
//!
//! Compute on Crucible is priced in **credits** (1 credit = 1 USD, 6 decimals). Tenants buy
//! credits by burning CRU; providers are paid in credits and redeem them for freshly minted
//! CRU; a decaying emission schedule pays providers, a subnet pot and the treasury. This pallet
//! keeps the credit ledger, the price oracle, the redemption queue and the emission, and keeps
//! every known attack on such systems closed:
//!
//! * **Two balances.** *Purchased* credits (bought with CRU) can only be spent on leases; only
//!   *earned* credits (paid by leases) can be redeemed — otherwise buying credits would be a
//!   free put option on CRU.
//! * **Prices that lag cannot be farmed.** Minting uses min(TWAP, median) less a spread, and
//!   settles `mint_delay` blocks after the request at the lower of that quote and the price
//!   then, on a median whose every feed came after the request (the CRU waits on hold; while
//!   the oracle cannot price or still uses an older feed it waits, up to two TWAP windows,
//!   and is refunded after that), so a mint on feeds that have not yet caught a price jump
//!   gets the new price; redeeming uses max(TWAP, median), at the first epoch boundary whose
//!   whole TWAP window starts after the request, so a request cannot be timed against a
//!   known price.
//! * **Self-leasing does not pay.** Every payment to a provider burns a take-rate τ; provider
//!   emission is capped at k x (spread + τ) x the earned volume (the smaller of its moving
//!   average over past epochs and the current epoch's), with k < 1.
//! * **No run on the queue.** Each boundary pays at most a cap in CRU (a multiple of the
//!   7-day average payout, and new supply at most the epoch's scheduled emission); requests are
//!   filled pro rata, the rest carries over, nothing is lost.
//! * **The oracle fails loudly.** Governed feeders; a live price needs enough fresh feeds;
//!   outliers are dropped; the breaker trips on staleness, disagreement, or a large TWAP move
//!   between boundaries, and after a trip a clean TWAP window must pass before anything mints.
//!
//! ## Terms
//! - *Epoch*: a governed number of blocks. At its *boundary* the pallet pays eligible
//!   redemptions and the epoch's emission, a bounded number of steps per block
//!   (`BoundaryStepsPerBlock`), the next boundary waiting until the batch ends.
//! - *Remint pool* R = CRU burned for credits (at the mid price) − reminted − realized net
//!   burn. Redemptions are paid from R first; only the shortfall is new supply. R is capped at
//!   outstanding credits / price at each boundary; the excess is burned for good (*realized net
//!   burn*). The spread never enters R.
//!
//! ## Calls
//! - [`Pallet::mint_credits`], [`Pallet::redeem`]: holders and providers.
//! - [`Pallet::submit_price`]: registered feeders (operational, free).
//! - [`Pallet::add_feeder`], [`Pallet::remove_feeder`], [`Pallet::set_oracle_params`]: the
//!   oracle-admin track (`OracleOrigin`).
//! - [`Pallet::set_market_params`], [`Pallet::set_emission_params`]: `EconomicsOrigin`.
//!
//! Credits otherwise move only through [`CreditLedger`], for the lease market, and the subnet
//! pot is drawn through [`SubnetEmission`].
//!
//! ## Where CRU issuance changes
//! Only here, and each change is counted in [`Supply`]: total issuance = genesis issuance +
//! emitted + reminted + new supply − burned for credits − spread burned. Fees, tips, dust and
//! slashes go to the treasury and change nothing; the treasury burns nothing. Take-rate burns
//! destroy credits, not CRU: the CRU behind them stays in R until the cap turns it into
//! realized net burn.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod math;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use crucible_primitives::bme::{CreditLedger, SubnetEmission};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::{math, types::*, CreditLedger, SubnetEmission, WeightInfo};
	use alloc::vec::Vec;
	use crucible_primitives::{
		bme::{
			AccountCreditsView, BreakerView, CreditTotals, Credits, EpochIndex, EpochPage,
			EpochSummary, EscrowId, FeedView, Payment, Price, PriceView, QueueView, SupplyFlows,
			SupplyView, TripReason,
		},
		Balance, BlockNumber,
	};
	use frame_support::{
		dispatch::{DispatchClass, Pays, PostDispatchInfo},
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, InspectHold, Mutate, MutateHold},
			tokens::{Fortitude, Precision, Preservation},
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::{
		traits::{Saturating, UniqueSaturatedInto, Zero},
		Rounding, TokenError,
	};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config {
		/// CRU.
		type Currency: Mutate<Self::AccountId, Balance = Balance>
			+ MutateHold<Self::AccountId, Balance = Balance, Reason = Self::RuntimeHoldReason>;
		/// The runtime's hold reasons (this pallet holds the CRU of pending mints).
		type RuntimeHoldReason: From<HoldReason>;
		/// Registers feeders and sets the oracle's parameters (the oracle-admin track).
		type OracleOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Sets the market and emission parameters.
		type EconomicsOrigin: EnsureOrigin<Self::RuntimeOrigin>;
		/// Receives the treasury's emission and rounding remainders.
		type TreasuryAccount: Get<Self::AccountId>;
		/// Most registered feeders.
		#[pallet::constant]
		type MaxFeeders: Get<u32>;
		/// Longest TWAP window, in blocks (the number of price samples kept).
		#[pallet::constant]
		type MaxTwapWindow: Get<u32>;
		/// Requests or providers a boundary processes per block.
		#[pallet::constant]
		type BoundaryStepsPerBlock: Get<u32>;
		/// Most mints settling in one block (a full block's queue refuses more mints).
		#[pallet::constant]
		type MaxPendingMints: Get<u32>;
		/// Weights of the calls and of the boundary work.
		type WeightInfo: WeightInfo;
	}

	/// Why this pallet holds CRU.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The CRU of a mint waiting for its settlement block.
		PendingMint,
	}

	/// Parameters of the price oracle.
	#[pallet::storage]
	pub type OracleConfig<T> = StorageValue<_, OracleParams, ValueQuery>;

	/// Parameters of minting and redeeming.
	#[pallet::storage]
	pub type MarketConfig<T> = StorageValue<_, MarketParams, ValueQuery>;

	/// Parameters of the epochs and the emission.
	#[pallet::storage]
	pub type EmissionConfig<T> = StorageValue<_, EmissionParams, ValueQuery>;

	/// Registered feeders and their latest feeds.
	#[pallet::storage]
	pub type Feeders<T: Config> =
		StorageValue<_, BoundedVec<FeederRecord<T::AccountId>, T::MaxFeeders>, ValueQuery>;

	/// The oracle as of this block's `on_initialize`.
	#[pallet::storage]
	pub type Oracle<T> = StorageValue<_, OracleState, ValueQuery>;

	/// Medians of the last TWAP window, by block number modulo the window.
	#[pallet::storage]
	pub type TwapSamples<T> = StorageMap<_, Twox64Concat, u32, u128, ValueQuery>;

	/// Credit balances of accounts (absent when both are zero).
	#[pallet::storage]
	pub type Accounts<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, CreditAccount, ValueQuery>;

	/// Credits locked for leases.
	#[pallet::storage]
	pub type Escrows<T: Config> = StorageMap<_, Twox64Concat, EscrowId, Escrow<T::AccountId>>;

	/// Mints waiting to settle, by their settlement block.
	#[pallet::storage]
	pub type PendingMints<T: Config> = StorageMap<
		_,
		Twox64Concat,
		BlockNumber,
		BoundedVec<PendingMint<T::AccountId>, T::MaxPendingMints>,
		ValueQuery,
	>;

	/// Open redemption requests, one per account.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Request>;

	/// Number of open requests.
	#[pallet::storage]
	pub type RequestCount<T> = StorageValue<_, u32, ValueQuery>;

	/// Queued credits by the epoch whose boundary they first may execute at, until merged into
	/// the eligible total.
	#[pallet::storage]
	pub type Rounds<T> = StorageMap<_, Twox64Concat, EpochIndex, Round>;

	/// Rounds below this one are merged: their requests are eligible.
	#[pallet::storage]
	pub type NextRound<T> = StorageValue<_, EpochIndex, ValueQuery>;

	/// Credits by bucket, and their cumulative flows.
	#[pallet::storage]
	pub type Totals<T> = StorageValue<_, CreditTotals, ValueQuery>;

	/// Cumulative CRU flows since genesis.
	#[pallet::storage]
	pub type Supply<T> = StorageValue<_, SupplyFlows, ValueQuery>;

	/// Total CRU issuance at genesis.
	#[pallet::storage]
	pub type GenesisIssuance<T> = StorageValue<_, Balance, ValueQuery>;

	/// The running epoch.
	#[pallet::storage]
	pub type Epoch<T> = StorageValue<_, EpochState, ValueQuery>;

	/// Credits each provider earned in an epoch (the key of the providers' emission), until the
	/// epoch's boundary pays them.
	#[pallet::storage]
	pub type Earned<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		EpochIndex,
		Blake2_128Concat,
		T::AccountId,
		Credits,
		ValueQuery,
	>;

	/// The boundary in progress, if any.
	#[pallet::storage]
	pub type Boundary<T> = StorageValue<_, Batch>;

	/// Paid CRU and earned credits of the last [`AVERAGE_EPOCHS`] epochs, oldest first.
	#[pallet::storage]
	pub type History<T> =
		StorageValue<_, BoundedVec<PastEpoch, ConstU32<AVERAGE_EPOCHS>>, ValueQuery>;

	/// Summaries of the last [`SUMMARY_EPOCHS`] completed epochs.
	#[pallet::storage]
	pub type Summaries<T> = StorageMap<_, Twox64Concat, EpochIndex, EpochSummary>;

	/// Accrued, unminted subnet emission.
	#[pallet::storage]
	pub type SubnetPot<T> = StorageValue<_, Balance, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// Price feeders.
		pub feeders: Vec<T::AccountId>,
		/// Oracle parameters.
		pub oracle: OracleParams,
		/// Market parameters.
		pub market: MarketParams,
		/// Emission parameters.
		pub emission: EmissionParams,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			assert!(
				self.oracle.is_valid(T::MaxFeeders::get(), T::MaxTwapWindow::get()),
				"invalid oracle parameters"
			);
			assert!(self.market.is_valid(), "invalid market parameters");
			assert!(self.emission.is_valid(), "invalid emission parameters");
			let feeders: Vec<_> = self
				.feeders
				.iter()
				.map(|who| FeederRecord { who: who.clone(), feed: None })
				.collect();
			let feeders = BoundedVec::try_from(feeders).expect("more feeders than MaxFeeders");
			Feeders::<T>::put(feeders);
			OracleConfig::<T>::put(self.oracle);
			MarketConfig::<T>::put(self.market);
			EmissionConfig::<T>::put(self.emission);
			Epoch::<T>::put(EpochState {
				length: self.emission.epoch_length,
				..Default::default()
			});
			GenesisIssuance::<T>::put(T::Currency::total_issuance());
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	// The boundary summary is one event per epoch; boxing it would only change its Rust type.
	#[allow(clippy::large_enum_variant)]
	pub enum Event<T: Config> {
		/// A mint was quoted and its CRU put on hold until it settles.
		MintRequested {
			who: T::AccountId,
			/// Plancks on hold.
			cru: Balance,
			/// The quoted mint price. The settlement pays the lower of the quoted mid price and
			/// the one then, less the spread in force then.
			price: Price,
			/// The block it settles in.
			settles_at: BlockNumber,
		},
		/// A pending mint was not settled: its CRU was released.
		MintRefunded {
			who: T::AccountId,
			/// Plancks released.
			cru: Balance,
			/// Why.
			reason: MintRefund,
		},
		/// CRU was burned for credits (a mint settled).
		CreditsMinted {
			who: T::AccountId,
			/// Plancks burned.
			cost: Balance,
			/// Of which into the remint pool.
			to_pool: Balance,
			/// Of which the spread (burned for good).
			spread: Balance,
			/// Credits minted.
			credits: Credits,
			/// The mint price.
			price: Price,
		},
		/// Earned credits were queued for redemption.
		RedemptionRequested {
			who: T::AccountId,
			/// Credits added.
			credits: Credits,
			/// Credits in the request now.
			queued: Credits,
			/// The epoch whose boundary it first may execute at.
			round: EpochIndex,
		},
		/// A feeder submitted a price.
		PriceSubmitted { feeder: T::AccountId, price: Price },
		/// The breaker tripped (or its reason changed).
		OracleTripped { reason: TripReason },
		/// A clean TWAP window passed: minting and boundaries run again.
		OracleLive { twap: Price },
		/// A feeder was registered.
		FeederAdded { who: T::AccountId },
		/// A feeder was removed.
		FeederRemoved { who: T::AccountId },
		/// New oracle parameters.
		OracleParamsSet { params: OracleParams },
		/// New market parameters.
		MarketParamsSet { params: MarketParams },
		/// New emission parameters.
		EmissionParamsSet { params: EmissionParams },
		/// An epoch's boundary began; `executing` is false when it is deferred (the oracle was
		/// tripped or recovering, or the TWAP moved too far).
		BoundaryStarted { epoch: EpochIndex, executing: bool },
		/// An epoch's boundary ended: one summary of everything it did.
		BoundaryCompleted { summary: EpochSummary },
		/// Purchased credits were locked in an escrow.
		EscrowLocked { id: EscrowId, who: T::AccountId, credits: Credits },
		/// An escrow paid a provider.
		EscrowPaid { id: EscrowId, provider: T::AccountId, to_provider: Credits, burned: Credits },
		/// An escrow refunded its owner.
		EscrowRefunded { id: EscrowId, who: T::AccountId, credits: Credits },
		/// Accrued subnet emission was minted.
		SubnetEmissionDrawn { to: T::AccountId, amount: Balance },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// Fewer fresh feeds than a live price needs: minting waits for fresh feeds.
		OracleStale,
		/// The breaker is tripped, or the clean window after a trip has not passed.
		OraclePaused,
		/// Fewer credits than the minimum for one mint or one redemption.
		BelowMinimum,
		/// As many mints as a block settles already settle in this one's settlement block:
		/// try again in the next block.
		MintQueueFull,
		/// The mint would yield fewer credits than `min_credits_out`.
		SlippageExceeded,
		/// The amount buys no credits at all.
		ZeroCredits,
		/// Not enough CRU (keeping the existential deposit).
		InsufficientCru,
		/// Not enough purchased credits.
		InsufficientPurchased,
		/// Not enough earned credits.
		InsufficientEarned,
		/// The escrow does not exist.
		EscrowNotFound,
		/// The escrow belongs to another account.
		NotEscrowOwner,
		/// The escrow holds less than asked.
		InsufficientEscrow,
		/// The account is not a registered feeder.
		NotFeeder,
		/// The account is already a registered feeder.
		AlreadyFeeder,
		/// The feeder list is full.
		TooManyFeeders,
		/// A price must be above zero.
		ZeroPrice,
		/// A feeder may submit once per block.
		AlreadySubmitted,
		/// The parameters are out of range.
		InvalidParams,
		/// The subnet pot holds less than asked.
		PotExhausted,
		/// An amount overflowed.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn on_initialize(n: BlockNumberFor<T>) -> Weight {
			let now: BlockNumber = n.unique_saturated_into();
			let mut weight = Self::tick_oracle(now);
			weight.saturating_accrue(Self::settle_mints(now));
			weight.saturating_accrue(Self::advance_boundary(now));
			weight
		}

		fn integrity_test() {
			assert!(T::MaxFeeders::get() >= 1, "MaxFeeders must be at least 1");
			assert!(T::MaxTwapWindow::get() >= 1, "MaxTwapWindow must be at least 1");
			assert!(T::BoundaryStepsPerBlock::get() >= 1, "BoundaryStepsPerBlock must be >= 1");
			assert!(T::MaxPendingMints::get() >= 1, "MaxPendingMints must be at least 1");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Buys purchased credits with up to `cru` plancks at the mint price: min(TWAP, latest
		/// median) less the spread. The quote's cost (the credits floored, their cost rounded
		/// up) goes on hold, and the mint settles in the on_initialize `mint_delay` blocks later
		/// (in the call when the delay is 0) at the lower of the quoted mid price and the one
		/// then: the cost of the credits it buys is burned and the rest released. While the
		/// oracle cannot price, or its median still uses a feed submitted before the request,
		/// it waits block by block, for up to two TWAP windows, in the next block's queue. It
		/// is refunded instead ([`Event::MintRefunded`]) when the oracle still cannot price then
		/// or that queue is full, when the settlement would yield fewer than `min_credits_out`
		/// or the minimum mint, or when a lock (a vote) has come to cover the held CRU. Fails
		/// with [`Error::OracleStale`] or [`Error::OraclePaused`] while the oracle cannot price,
		/// [`Error::BelowMinimum`] below the minimum mint, [`Error::SlippageExceeded`] when the
		/// quote is below `min_credits_out`, and [`Error::MintQueueFull`] when the settlement
		/// block has no room.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::mint_credits().saturating_add(T::WeightInfo::settle_mints(1)))]
		pub fn mint_credits(
			origin: OriginFor<T>,
			#[pallet::compact] cru: Balance,
			min_credits_out: Credits,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let (twap, median) = Self::usable_prices()?;
			let mid = twap.min(median);
			let market = MarketConfig::<T>::get();
			let quote = math::quote_mint(cru, mid, market.spread).ok_or(Error::<T>::Overflow)?;
			ensure!(!quote.credits.is_zero(), Error::<T>::ZeroCredits);
			ensure!(quote.credits >= market.min_mint, Error::<T>::BelowMinimum);
			ensure!(quote.credits >= min_credits_out, Error::<T>::SlippageExceeded);
			ensure!(
				T::Currency::reducible_balance(&who, Preservation::Preserve, Fortitude::Polite)
					>= quote.cost,
				Error::<T>::InsufficientCru
			);
			T::Currency::hold(&HoldReason::PendingMint.into(), &who, quote.cost)
				.map_err(|_| Error::<T>::InsufficientCru)?;
			let now = Self::now();
			let settles_at = now.saturating_add(market.mint_delay);
			let pending = PendingMint {
				who: who.clone(),
				cru: quote.cost,
				quoted: mid,
				min_credits: min_credits_out,
				due: settles_at,
				requested_at: now,
			};
			Self::deposit_event(Event::MintRequested {
				who,
				cru: quote.cost,
				price: quote.price,
				settles_at,
			});
			if market.mint_delay == 0 {
				Self::settle(pending, Ok(mid), &market);
			} else {
				PendingMints::<T>::try_mutate(settles_at, |queue| queue.try_push(pending))
					.map_err(|_| Error::<T>::MintQueueFull)?;
			}
			Ok(())
		}

		/// Moves `credits` of the caller's earned credits into its redemption request (opening
		/// one, or topping up the open one). The whole request then waits for the first
		/// boundary whose TWAP window starts after this block, and is paid at max(TWAP, median)
		/// there, pro rata under the boundary's cap; whatever is not filled waits for the next.
		/// Accepted while the oracle is paused.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::redeem())]
		pub fn redeem(origin: OriginFor<T>, credits: Credits) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(credits >= MarketConfig::<T>::get().min_redeem, Error::<T>::BelowMinimum);
			let account = Accounts::<T>::get(&who);
			let earned =
				account.earned.checked_sub(credits).ok_or(Error::<T>::InsufficientEarned)?;
			let now = Self::now();
			let previous = Requests::<T>::get(&who);
			let queued = previous
				.map_or(Credits::ZERO, |r| r.credits)
				.checked_add(credits)
				.ok_or(Error::<T>::Overflow)?;
			let ripe_at = now.saturating_add(OracleConfig::<T>::get().twap_window);
			let round = Self::round_for(ripe_at);

			match previous {
				Some(r) => Self::unqueue(&r),
				None => RequestCount::<T>::mutate(|c| c.saturating_inc()),
			}
			Rounds::<T>::mutate(round, |slot| {
				let mut entry = slot.unwrap_or_default();
				entry.credits = entry.credits.saturating_add(queued);
				entry.ripe_at = entry.ripe_at.max(ripe_at);
				*slot = Some(entry);
			});
			Requests::<T>::insert(&who, Request { credits: queued, requested_at: now, round });
			Self::mutate_account(&who, |a| a.earned = earned);
			Totals::<T>::mutate(|t| {
				t.earned = t.earned.saturating_sub(credits);
				t.queued = t.queued.saturating_add(credits);
			});
			Self::deposit_event(Event::RedemptionRequested { who, credits, queued, round });
			Ok(())
		}

		/// A registered feeder's price (US dollars per CRU). Counts from the next block.
		/// Operational, and free for registered feeders; one per feeder per block.
		#[pallet::call_index(2)]
		#[pallet::weight((T::WeightInfo::submit_price(T::MaxFeeders::get()), DispatchClass::Operational))]
		pub fn submit_price(origin: OriginFor<T>, price: Price) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			ensure!(!price.is_zero(), Error::<T>::ZeroPrice);
			let now = Self::now();
			Feeders::<T>::try_mutate(|feeders| {
				let record =
					feeders.iter_mut().find(|r| r.who == who).ok_or(Error::<T>::NotFeeder)?;
				ensure!(record.feed.is_none_or(|f| f.at < now), Error::<T>::AlreadySubmitted);
				record.feed = Some(Feed { price, at: now });
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::PriceSubmitted { feeder: who, price });
			Ok(PostDispatchInfo { actual_weight: None, pays_fee: Pays::No })
		}

		/// Registers a price feeder.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_feeder(T::MaxFeeders::get()))]
		pub fn add_feeder(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::OracleOrigin::ensure_origin(origin)?;
			Feeders::<T>::try_mutate(|feeders| {
				ensure!(!feeders.iter().any(|r| r.who == who), Error::<T>::AlreadyFeeder);
				feeders
					.try_push(FeederRecord { who: who.clone(), feed: None })
					.map_err(|_| Error::<T>::TooManyFeeders)
			})?;
			Self::deposit_event(Event::FeederAdded { who });
			Ok(())
		}

		/// Removes a price feeder and its feed.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_feeder(T::MaxFeeders::get()))]
		pub fn remove_feeder(origin: OriginFor<T>, who: T::AccountId) -> DispatchResult {
			T::OracleOrigin::ensure_origin(origin)?;
			Feeders::<T>::try_mutate(|feeders| {
				let before = feeders.len();
				feeders.retain(|r| r.who != who);
				ensure!(feeders.len() < before, Error::<T>::NotFeeder);
				Ok::<_, Error<T>>(())
			})?;
			Self::deposit_event(Event::FeederRemoved { who });
			Ok(())
		}

		/// Sets the oracle's parameters. A new TWAP window restarts the clean window.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_oracle_params())]
		pub fn set_oracle_params(origin: OriginFor<T>, params: OracleParams) -> DispatchResult {
			T::OracleOrigin::ensure_origin(origin)?;
			ensure!(
				params.is_valid(T::MaxFeeders::get(), T::MaxTwapWindow::get()),
				Error::<T>::InvalidParams
			);
			if params.twap_window != OracleConfig::<T>::get().twap_window {
				Oracle::<T>::mutate(|o| {
					o.run = 0;
					o.sum = 0;
				});
			}
			OracleConfig::<T>::put(params);
			Self::deposit_event(Event::OracleParamsSet { params });
			Ok(())
		}

		/// Sets the market parameters (spread, take-rate, minimums, redemption cap).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_market_params())]
		pub fn set_market_params(origin: OriginFor<T>, params: MarketParams) -> DispatchResult {
			T::EconomicsOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(), Error::<T>::InvalidParams);
			MarketConfig::<T>::put(params);
			Self::deposit_event(Event::MarketParamsSet { params });
			Ok(())
		}

		/// Sets the epoch length (from the next epoch) and the emission schedule.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_emission_params())]
		pub fn set_emission_params(origin: OriginFor<T>, params: EmissionParams) -> DispatchResult {
			T::EconomicsOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(), Error::<T>::InvalidParams);
			EmissionConfig::<T>::put(params);
			Self::deposit_event(Event::EmissionParamsSet { params });
			Ok(())
		}
	}

	impl<T: Config> Pallet<T> {
		pub(crate) fn now() -> BlockNumber {
			frame_system::Pallet::<T>::block_number().unique_saturated_into()
		}

		/// (TWAP, median) when minting may use them; the typed reason otherwise.
		pub(crate) fn usable_prices() -> Result<(Price, Price), Error<T>> {
			Self::prices_of(&Oracle::<T>::get())
		}

		/// (TWAP, median) of `oracle`, when it may price.
		fn prices_of(oracle: &OracleState) -> Result<(Price, Price), Error<T>> {
			match (oracle.health, oracle.median, Self::twap(oracle)) {
				(Health::Live, Some(median), Some(twap)) => Ok((twap, median)),
				(Health::Tripped { reason: TripReason::Stale, .. }, ..) => Err(Error::OracleStale),
				_ => Err(Error::OraclePaused),
			}
		}

		/// The TWAP, when a full clean window has passed.
		pub(crate) fn twap(oracle: &OracleState) -> Option<Price> {
			let window = OracleConfig::<T>::get().twap_window;
			(oracle.run >= window && window > 0)
				.then(|| Price::from_inner(oracle.sum / u128::from(window)))
		}

		/// Adds a mutation to an account's credits, removing the entry when it is empty.
		/// Credit `who` with `credits` purchased credits as if minted (benchmark set-up of
		/// other pallets; keeps the totals consistent).
		#[cfg(feature = "runtime-benchmarks")]
		pub fn benchmark_fund(who: &T::AccountId, credits: Credits) {
			Self::mutate_account(who, |a| a.purchased = a.purchased.saturating_add(credits));
			Totals::<T>::mutate(|t| {
				t.minted = t.minted.saturating_add(credits);
				t.purchased = t.purchased.saturating_add(credits);
			});
		}

		pub(crate) fn mutate_account(who: &T::AccountId, f: impl FnOnce(&mut CreditAccount)) {
			Accounts::<T>::mutate_exists(who, |slot| {
				let mut account = slot.unwrap_or_default();
				f(&mut account);
				*slot = (account != CreditAccount::default()).then_some(account);
			});
		}

		/// The first epoch whose (expected) boundary is at or after `ripe_at`.
		fn round_for(ripe_at: BlockNumber) -> EpochIndex {
			let epoch = Epoch::<T>::get();
			let end = epoch.start.saturating_add(epoch.length);
			if ripe_at <= end {
				return epoch.index;
			}
			let length = EmissionConfig::<T>::get().epoch_length.max(1);
			let later = (ripe_at - end).div_ceil(length);
			epoch.index.saturating_add(later)
		}

		/// Takes a request's credits out of its round (or the eligible total).
		fn unqueue(request: &Request) {
			if request.round < NextRound::<T>::get() {
				Totals::<T>::mutate(|t| t.eligible = t.eligible.saturating_sub(request.credits));
			} else {
				Rounds::<T>::mutate_exists(request.round, |slot| {
					if let Some(entry) = slot {
						entry.credits = entry.credits.saturating_sub(request.credits);
						if entry.credits.is_zero() {
							*slot = None;
						}
					}
				});
			}
		}

		/// This block's oracle verdict and TWAP sample.
		pub(crate) fn tick_oracle(now: BlockNumber) -> Weight {
			let params = OracleConfig::<T>::get();
			let feeders = Feeders::<T>::get();
			let feeds: Vec<Option<Feed>> = feeders.iter().map(|r| r.feed).collect();
			let verdict = math::aggregate(&feeds, now, &params);
			let mut oracle = Oracle::<T>::get();
			match verdict.result {
				Err(reason) => {
					let already =
						matches!(oracle.health, Health::Tripped { reason: r, .. } if r == reason);
					if !already {
						oracle.health = Health::Tripped { reason, since: now };
						Self::deposit_event(Event::OracleTripped { reason });
					}
					oracle.median = None;
					oracle.run = 0;
					oracle.sum = 0;
				}
				Ok(price) => {
					let window = params.twap_window.max(1);
					let slot = now % window;
					if oracle.run >= window {
						oracle.sum = oracle.sum.saturating_sub(TwapSamples::<T>::get(slot));
					}
					TwapSamples::<T>::insert(slot, price.into_inner());
					oracle.sum = oracle.sum.saturating_add(price.into_inner());
					oracle.run = oracle.run.saturating_add(1).min(window);
					oracle.median = Some(price);
					oracle.oldest_feed = feeds
						.iter()
						.enumerate()
						.filter(|(i, _)| verdict.fresh[*i] && !verdict.dropped[*i])
						.filter_map(|(_, f)| f.map(|f| f.at))
						.min()
						.unwrap_or(now);
					let reason = match oracle.health {
						Health::Tripped { reason, .. } | Health::Recovering { reason } => {
							Some(reason)
						}
						Health::Live => None,
					};
					if oracle.run >= window {
						if reason.is_some() {
							let twap = Price::from_inner(oracle.sum / u128::from(window));
							Self::deposit_event(Event::OracleLive { twap });
						}
						oracle.health = Health::Live;
					} else {
						oracle.health =
							Health::Recovering { reason: reason.unwrap_or(TripReason::Stale) };
					}
				}
			}
			Oracle::<T>::put(oracle);
			T::WeightInfo::oracle_tick(feeders.len() as u32)
		}

		/// Settles the mints whose settlement block is `now`, at this block's mint price. A mint
		/// waits while the oracle cannot price or its median still uses a feed from before the
		/// request (a feeder may post up to `staleness` blocks apart: a price jump after the
		/// request must be in the price it settles at): in the next block's queue, ahead of
		/// the mints due there, up to two TWAP windows past its due block. What no longer fits
		/// that queue, the youngest first, is refunded.
		pub(crate) fn settle_mints(now: BlockNumber) -> Weight {
			let queue = PendingMints::<T>::take(now);
			if queue.is_empty() {
				return T::WeightInfo::settle_mints(0);
			}
			let n = queue.len() as u32;
			let oracle = Oracle::<T>::get();
			let mid = Self::prices_of(&oracle).ok().map(|(twap, median)| twap.min(median));
			let market = MarketConfig::<T>::get();
			let patience = OracleConfig::<T>::get().twap_window.saturating_mul(2);
			let mut waiting = Vec::new();
			for pending in queue {
				match mid.filter(|_| oracle.oldest_feed > pending.requested_at) {
					Some(mid) => Self::settle(pending, Ok(mid), &market),
					None if now >= pending.due.saturating_add(patience) => {
						Self::settle(pending, Err(MintRefund::OracleUnavailable), &market)
					}
					None => waiting.push(pending),
				}
			}
			if waiting.is_empty() {
				return T::WeightInfo::settle_mints(n);
			}
			// The next block's own mints are at most one queue: what does not fit is refunded
			// here, at most `n` of them.
			let next_block = now.saturating_add(1);
			let deferred = waiting.len();
			let due_next = PendingMints::<T>::take(next_block);
			let mut next = BoundedVec::<_, T::MaxPendingMints>::new();
			let mut settled = n;
			for (i, pending) in waiting.into_iter().chain(due_next).enumerate() {
				if let Err(pending) = next.try_push(pending) {
					if i >= deferred {
						settled.saturating_inc();
					}
					Self::settle(pending, Err(MintRefund::QueueFull), &market);
				}
			}
			if !next.is_empty() {
				PendingMints::<T>::insert(next_block, next);
			}
			T::WeightInfo::settle_mints(settled)
		}

		/// Settles one mint at the lower of its quote and `mid` (the mint's mid price now, or why
		/// it cannot settle): burns the cost of the credits it buys from the hold and releases
		/// the rest, or releases everything when it cannot settle.
		fn settle(
			pending: PendingMint<T::AccountId>,
			mid: Result<Price, MintRefund>,
			market: &MarketParams,
		) {
			let reason = HoldReason::PendingMint.into();
			let PendingMint { who, cru, quoted, min_credits, .. } = pending;
			let settled = match mid {
				Err(why) => Err(why),
				Ok(mid) => {
					// The same CRU bought at least as many credits at the (higher) quote, so
					// this cannot overflow; an overflow would settle nothing.
					let quote =
						math::quote_mint(cru, quoted.min(mid), market.spread).unwrap_or_default();
					if quote.credits.is_zero()
						|| quote.credits < market.min_mint
						|| quote.credits < min_credits
					{
						Err(MintRefund::TooFewCredits)
					} else {
						Ok(quote)
					}
				}
			};
			let settled = settled.and_then(|quote| {
				// Polite: CRU a lock or freeze (a vote) covers is not burned; the mint is refunded.
				T::Currency::burn_held(
					&reason,
					&who,
					quote.cost,
					Precision::Exact,
					Fortitude::Polite,
				)
				.map(|_| quote)
				.map_err(|e| match e {
					DispatchError::Token(TokenError::Frozen) => MintRefund::Frozen,
					_ => MintRefund::HoldMissing,
				})
			});
			let quote = match settled {
				Ok(quote) => quote,
				Err(why) => {
					let released = T::Currency::release(&reason, &who, cru, Precision::BestEffort)
						.unwrap_or_default();
					Self::deposit_event(Event::MintRefunded { who, cru: released, reason: why });
					return;
				}
			};
			// The rounding remainder of the held CRU goes back.
			let rest = cru.saturating_sub(quote.cost);
			if !rest.is_zero() {
				let _ = T::Currency::release(&reason, &who, rest, Precision::BestEffort);
			}
			Totals::<T>::mutate(|t| {
				t.minted = t.minted.saturating_add(quote.credits);
				t.purchased = t.purchased.saturating_add(quote.credits);
			});
			Self::mutate_account(&who, |a| a.purchased = a.purchased.saturating_add(quote.credits));
			Supply::<T>::mutate(|s| {
				s.burned_for_credits.saturating_accrue(quote.to_pool);
				s.spread_burned.saturating_accrue(quote.spread);
			});
			Epoch::<T>::mutate(|e| {
				e.burned_for_credits.saturating_accrue(quote.to_pool);
				e.spread_burned.saturating_accrue(quote.spread);
				e.credits_minted = e.credits_minted.saturating_add(quote.credits);
			});
			Self::deposit_event(Event::CreditsMinted {
				who,
				cost: quote.cost,
				to_pool: quote.to_pool,
				spread: quote.spread,
				credits: quote.credits,
				price: quote.price,
			});
		}

		/// Starts a boundary when the epoch is over and no batch runs, then works on the batch.
		fn advance_boundary(now: BlockNumber) -> Weight {
			let mut weight = Weight::zero();
			let epoch = Epoch::<T>::get();
			if Boundary::<T>::get().is_none() && now >= epoch.start.saturating_add(epoch.length) {
				Self::start_boundary(now, epoch);
				weight.saturating_accrue(T::WeightInfo::boundary_start());
			}
			let Some(mut batch) = Boundary::<T>::get() else { return weight };
			let mut budget = T::BoundaryStepsPerBlock::get();
			while budget > 0 {
				match batch.phase.clone() {
					Phase::Redeem(cursor) => {
						let (steps, next) = Self::redeem_steps(&mut batch, cursor, budget);
						budget = budget.saturating_sub(steps.max(1));
						weight.saturating_accrue(
							T::WeightInfo::boundary_redeem_step().saturating_mul(steps.into()),
						);
						batch.phase = match next {
							Some(cursor) => Phase::Redeem(Some(cursor)),
							None => Phase::Emit,
						};
					}
					Phase::Emit => {
						let (steps, done) = Self::emit_steps(&mut batch, budget);
						budget = budget.saturating_sub(steps.max(1));
						weight.saturating_accrue(
							T::WeightInfo::boundary_emit_step().saturating_mul(steps.into()),
						);
						if done {
							batch.phase = Phase::Finish;
						}
					}
					Phase::Finish => {
						Self::finish_boundary(batch);
						return weight.saturating_add(T::WeightInfo::boundary_finish());
					}
				}
			}
			Boundary::<T>::put(batch);
			weight
		}

		/// Closes the running epoch at block `now` and sets up its boundary batch.
		pub(crate) fn start_boundary(now: BlockNumber, epoch: EpochState) {
			let emission = EmissionConfig::<T>::get();
			Epoch::<T>::put(EpochState {
				index: epoch.index.saturating_add(1),
				start: now,
				length: emission.epoch_length,
				..Default::default()
			});

			// Rounds that have ripened become eligible, oldest first.
			let mut next_round = NextRound::<T>::get();
			while next_round <= epoch.index {
				if let Some(round) = Rounds::<T>::get(next_round) {
					if round.ripe_at > now {
						break;
					}
					Rounds::<T>::remove(next_round);
					Totals::<T>::mutate(|t| t.eligible = t.eligible.saturating_add(round.credits));
				}
				next_round = next_round.saturating_add(1);
			}
			NextRound::<T>::put(next_round);

			let scheduled = math::scheduled_emission(emission.initial, emission.decay, epoch.index);
			let mut summary = EpochSummary {
				epoch: epoch.index,
				start: epoch.start,
				boundary: now,
				scheduled_emission: scheduled,
				credits_minted: epoch.credits_minted,
				credits_earned: epoch.credits_earned,
				take_rate_burned: epoch.take_rate_burned,
				..Default::default()
			};
			summary.flows.burned_for_credits = epoch.burned_for_credits;
			summary.flows.spread_burned = epoch.spread_burned;

			// The boundary executes only on a live oracle whose TWAP has not jumped.
			let mut oracle = Oracle::<T>::get();
			let prices = match (oracle.health, oracle.median, Self::twap(&oracle)) {
				(Health::Live, Some(median), Some(twap)) => Some((twap, median)),
				_ => None,
			};
			let prices = prices.filter(|(twap, _)| {
				let max_move = OracleConfig::<T>::get().max_twap_move;
				let jumped =
					oracle.reference.is_some_and(|r| math::moved_too_far(r, *twap, max_move));
				oracle.reference = Some(*twap);
				if jumped {
					oracle.health = Health::Tripped { reason: TripReason::LargeMove, since: now };
					oracle.run = 0;
					oracle.sum = 0;
					Self::deposit_event(Event::OracleTripped { reason: TripReason::LargeMove });
				}
				!jumped
			});
			Oracle::<T>::put(oracle);

			let mut batch = Batch {
				summary,
				phase: Phase::Emit,
				price: None,
				fill: None,
				cap_left: 0,
				pool_left: 0,
				provider_pot: 0,
				pot_paid: 0,
			};
			match prices {
				None => batch.summary.withheld = scheduled,
				Some((twap, median)) => {
					let price = twap.max(median);
					let market = MarketConfig::<T>::get();
					let history = History::<T>::get();
					let pool = Self::remint_pool();
					let cap = Self::redemption_cap(&market, &history, pool, scheduled);
					let eligible = Totals::<T>::get().eligible;
					let need = math::credits_to_cru(eligible, price, Rounding::Down).unwrap_or(0);
					batch.fill = (need > cap).then_some((cap, need));
					batch.cap_left = cap;
					batch.pool_left = pool;
					batch.price = Some(price);
					batch.phase = Phase::Redeem(None);
					batch.summary.price = Some(price);
					batch.summary.executed = true;
					batch.summary.cap = cap;

					// Emission: providers (capped), subnet pot (capped), treasury (the rest).
					let split =
						math::split_emission(scheduled, emission.providers, emission.subnets);
					let average_earned =
						math::average(history.iter().map(|h| h.earned.0), AVERAGE_EPOCHS);
					let volume = Credits(average_earned.min(epoch.credits_earned.0));
					let provider_cap = math::provider_cap(
						volume,
						price,
						market.spread,
						market.take_rate,
						emission.provider_cap_k,
					);
					batch.provider_pot = split.providers.min(provider_cap);
					let pot = SubnetPot::<T>::get();
					let accrue = split.subnets.min(emission.subnet_pot_cap.saturating_sub(pot));
					SubnetPot::<T>::put(pot.saturating_add(accrue));
					batch.summary.subnet_accrued = accrue;
					let to_treasury = Self::mint_to_treasury(split.treasury);
					batch.summary.emitted_treasury = to_treasury;
					batch.summary.flows.emitted = to_treasury;
					batch.summary.withheld = (split.providers - batch.provider_pot)
						.saturating_add(split.subnets - accrue)
						.saturating_add(split.treasury - to_treasury);
				}
			}
			Self::deposit_event(Event::BoundaryStarted {
				epoch: epoch.index,
				executing: batch.summary.executed,
			});
			Boundary::<T>::put(batch);
		}

		/// Mints `amount` to the treasury; returns what was minted.
		fn mint_to_treasury(amount: Balance) -> Balance {
			if amount.is_zero() {
				return 0;
			}
			match T::Currency::mint_into(&T::TreasuryAccount::get(), amount) {
				Ok(minted) => {
					Supply::<T>::mutate(|s| s.emitted.saturating_accrue(minted));
					minted
				}
				Err(_) => 0,
			}
		}

		/// Pays up to `budget` requests after `cursor`. Returns the steps taken and the cursor
		/// to resume from (`None` when the queue is done).
		pub(crate) fn redeem_steps(
			batch: &mut Batch,
			cursor: Option<Cursor>,
			budget: u32,
		) -> (u32, Option<Cursor>) {
			let page: Vec<(T::AccountId, Request)> = match &cursor {
				Some(key) => Requests::<T>::iter_from(key.to_vec()),
				None => Requests::<T>::iter(),
			}
			.take(budget as usize)
			.collect();
			let Some(price) = batch.price else { return (0, None) };
			let next_round = NextRound::<T>::get();
			let steps = page.len() as u32;
			let mut last = None;
			for (who, request) in page {
				last = Some(Requests::<T>::hashed_key_for(&who));
				if request.round >= next_round {
					continue;
				}
				let credits = match batch.fill {
					None => request.credits,
					Some((cap, need)) => Credits(math::pro_rata(request.credits.0, cap, need)),
				};
				let cru = math::credits_to_cru(credits, price, Rounding::Down)
					.unwrap_or(0)
					.min(batch.cap_left);
				if cru.is_zero() || T::Currency::mint_into(&who, cru).is_err() {
					// Too small to pay now (or below the existential deposit of a new
					// account): it stays queued, whole.
					continue;
				}
				let from_pool = cru.min(batch.pool_left);
				let fresh = cru - from_pool;
				batch.pool_left -= from_pool;
				batch.cap_left -= cru;
				Supply::<T>::mutate(|s| {
					s.reminted.saturating_accrue(from_pool);
					s.new_supply.saturating_accrue(fresh);
				});
				let summary = &mut batch.summary;
				summary.flows.reminted.saturating_accrue(from_pool);
				summary.flows.new_supply.saturating_accrue(fresh);
				summary.credits_redeemed = summary.credits_redeemed.saturating_add(credits);
				summary.requests_paid.saturating_inc();
				Totals::<T>::mutate(|t| {
					t.queued = t.queued.saturating_sub(credits);
					t.eligible = t.eligible.saturating_sub(credits);
					t.redeemed = t.redeemed.saturating_add(credits);
				});
				let left = request.credits.saturating_sub(credits);
				if left.is_zero() {
					Requests::<T>::remove(&who);
					RequestCount::<T>::mutate(|c| c.saturating_dec());
				} else {
					Requests::<T>::insert(&who, Request { credits: left, ..request });
				}
			}
			let done = steps < budget;
			let next = if done {
				None
			} else {
				last.map(|key| Cursor::try_from(key).expect("storage keys fit 128 bytes"))
			};
			(steps, next)
		}

		/// Pays (or, for a deferred boundary, clears) up to `budget` providers' shares of the
		/// epoch's provider emission. Returns the steps taken and whether all are done.
		pub(crate) fn emit_steps(batch: &mut Batch, budget: u32) -> (u32, bool) {
			let epoch = batch.summary.epoch;
			let page: Vec<(T::AccountId, Credits)> =
				Earned::<T>::drain_prefix(epoch).take(budget as usize).collect();
			let steps = page.len() as u32;
			let total = batch.summary.credits_earned;
			for (provider, earned) in page {
				if batch.provider_pot.is_zero() {
					continue;
				}
				let share = math::pro_rata(batch.provider_pot, earned.0, total.0);
				if share.is_zero() || T::Currency::mint_into(&provider, share).is_err() {
					// Left in the pot: the treasury gets it as a remainder.
					continue;
				}
				batch.pot_paid.saturating_accrue(share);
				batch.summary.emitted_providers.saturating_accrue(share);
				batch.summary.flows.emitted.saturating_accrue(share);
				Supply::<T>::mutate(|s| s.emitted.saturating_accrue(share));
			}
			(steps, steps < budget)
		}

		/// Remainders to the treasury, the remint-pool cap, the history and the summary.
		pub(crate) fn finish_boundary(mut batch: Batch) {
			let remainder = batch.provider_pot.saturating_sub(batch.pot_paid);
			let minted = Self::mint_to_treasury(remainder);
			batch.summary.emitted_treasury.saturating_accrue(minted);
			batch.summary.flows.emitted.saturating_accrue(minted);
			batch.summary.withheld.saturating_accrue(remainder - minted);

			if let Some(price) = batch.price {
				let outstanding = Totals::<T>::get().outstanding();
				let cap = math::credits_to_cru(outstanding, price, Rounding::Down)
					.unwrap_or(Balance::MAX);
				let excess = Self::remint_pool().saturating_sub(cap);
				if !excess.is_zero() {
					Supply::<T>::mutate(|s| s.realized_net_burn.saturating_accrue(excess));
					batch.summary.flows.realized_net_burn = excess;
				}
			}

			let paid = batch.summary.flows.reminted.saturating_add(batch.summary.flows.new_supply);
			History::<T>::mutate(|h| {
				if h.is_full() {
					h.remove(0);
				}
				let _ = h.try_push(PastEpoch { paid, earned: batch.summary.credits_earned });
			});
			batch.summary.queue_after = Totals::<T>::get().queued;
			let epoch = batch.summary.epoch;
			Summaries::<T>::insert(epoch, batch.summary.clone());
			if let Some(old) = epoch.checked_sub(SUMMARY_EPOCHS) {
				Summaries::<T>::remove(old);
			}
			Boundary::<T>::kill();
			Self::deposit_event(Event::BoundaryCompleted { summary: batch.summary });
		}

		/// A boundary's redemption cap with remint pool `pool` and scheduled emission
		/// `scheduled`: the market's multiple of the average payout of `history`.
		fn redemption_cap(
			market: &MarketParams,
			history: &[PastEpoch],
			pool: Balance,
			scheduled: Balance,
		) -> Balance {
			math::redemption_cap(
				math::average(history.iter().map(|h| h.paid), AVERAGE_EPOCHS),
				market.cap_multiple,
				market.cap_floor,
				pool,
				scheduled,
			)
		}

		/// Takes `amount` out of escrow `id` (removing it when empty); returns its owner.
		fn take_from_escrow(id: EscrowId, amount: Credits) -> Result<T::AccountId, DispatchError> {
			let mut escrow = Escrows::<T>::get(id).ok_or(Error::<T>::EscrowNotFound)?;
			escrow.amount =
				escrow.amount.checked_sub(amount).ok_or(Error::<T>::InsufficientEscrow)?;
			let owner = escrow.owner.clone();
			if escrow.amount.is_zero() {
				Escrows::<T>::remove(id);
			} else {
				Escrows::<T>::insert(id, escrow);
			}
			Ok(owner)
		}

		/// The remint pool R = burned for credits − reminted − realized net burn.
		pub fn remint_pool() -> Balance {
			let s = Supply::<T>::get();
			s.burned_for_credits.saturating_sub(s.reminted).saturating_sub(s.realized_net_burn)
		}

		// ---- runtime API ----

		/// The live price, each feed and the breaker.
		pub fn price_view() -> PriceView<T::AccountId> {
			let now = Self::now();
			let params = OracleConfig::<T>::get();
			let feeders = Feeders::<T>::get();
			let feeds: Vec<Option<Feed>> = feeders.iter().map(|r| r.feed).collect();
			let verdict = math::aggregate(&feeds, now, &params);
			let oracle = Oracle::<T>::get();
			let twap = Self::twap(&oracle).filter(|_| oracle.median.is_some());
			let spread = MarketConfig::<T>::get().spread;
			let usable = Self::usable_prices().ok();
			let breaker = match oracle.health {
				Health::Live => BreakerView::Live,
				Health::Tripped { reason, since } => BreakerView::Tripped { reason, since },
				Health::Recovering { reason } => BreakerView::Recovering {
					reason,
					clean_at: now.saturating_add(params.twap_window.saturating_sub(oracle.run)),
				},
			};
			PriceView {
				block: now,
				median: oracle.median,
				twap,
				mint_price: usable.map(|(t, m)| math::less_spread(t.min(m), spread)),
				redeem_price: usable.map(|(t, m)| t.max(m)),
				breaker,
				feeds: feeders
					.into_iter()
					.enumerate()
					.map(|(i, r)| FeedView {
						feeder: r.who,
						price: r.feed.map(|f| f.price),
						submitted_at: r.feed.map(|f| f.at),
						age: r.feed.map(|f| now.saturating_sub(f.at)),
						fresh: verdict.fresh[i],
						dropped: verdict.dropped[i],
					})
					.collect(),
			}
		}

		/// One account's credits.
		pub fn account_view(who: T::AccountId) -> AccountCreditsView {
			let account = Accounts::<T>::get(&who);
			let request = Requests::<T>::get(&who);
			AccountCreditsView {
				purchased: account.purchased,
				earned: account.earned,
				queued: request.map_or(Credits::ZERO, |r| r.credits),
				requested_at: request.map(|r| r.requested_at),
				eligible: request.is_some_and(|r| r.round < NextRound::<T>::get()),
				minting: T::Currency::balance_on_hold(&HoldReason::PendingMint.into(), &who),
			}
		}

		/// Net issuance change over the last `n` completed epochs.
		fn net_change(n: u32) -> i128 {
			let current = Epoch::<T>::get().index;
			(current.saturating_sub(n.saturating_add(1))..current)
				.rev()
				.filter_map(Summaries::<T>::get)
				.take(n as usize)
				.fold(0i128, |acc, s| acc.saturating_add(s.flows.net_change()))
		}

		/// CRU supply as the BME sees it.
		pub fn supply_view() -> SupplyView {
			SupplyView {
				genesis_issuance: GenesisIssuance::<T>::get(),
				total_issuance: T::Currency::total_issuance(),
				cumulative: Supply::<T>::get(),
				remint_pool: Self::remint_pool(),
				subnet_pot: SubnetPot::<T>::get(),
				net_change_24: Self::net_change(24),
				net_change_720: Self::net_change(SUMMARY_EPOCHS),
			}
		}

		/// The redemption queue, valued at the current redeem price.
		pub fn queue_view() -> QueueView {
			let totals = Totals::<T>::get();
			let usable = Self::usable_prices().ok();
			let price = usable.map(|(t, m)| t.max(m));
			let value =
				|c| price.and_then(|p| math::credits_to_cru(c, p, Rounding::Down)).unwrap_or(0);
			let e = EmissionConfig::<T>::get();
			let scheduled = math::scheduled_emission(e.initial, e.decay, Epoch::<T>::get().index);
			let next_cap = Self::redemption_cap(
				&MarketConfig::<T>::get(),
				&History::<T>::get(),
				Self::remint_pool(),
				scheduled,
			);
			QueueView {
				requests: RequestCount::<T>::get(),
				credits: totals.queued,
				eligible: totals.eligible,
				expected_cru: value(totals.queued),
				next_cap,
			}
		}

		/// Completed epochs, newest first, older than `before`.
		pub fn epochs_page(before: Option<EpochIndex>, limit: u32) -> EpochPage {
			let limit = limit.clamp(1, 100);
			let mut epoch = before.unwrap_or(Epoch::<T>::get().index);
			let oldest = Epoch::<T>::get().index.saturating_sub(SUMMARY_EPOCHS + 1);
			let mut epochs = Vec::new();
			while epoch > oldest && (epochs.len() as u32) < limit {
				epoch -= 1;
				if let Some(s) = Summaries::<T>::get(epoch) {
					epochs.push(s);
				}
			}
			let next = (epoch > 0 && Summaries::<T>::contains_key(epoch - 1)).then_some(epoch);
			EpochPage { epochs, next }
		}

		/// The invariants: CRU issuance has a counted cause for every change; credits minted
		/// equal their buckets plus what was redeemed and burned; the remint pool is not
		/// negative; the bucket totals equal a full recount; each account with pending mints
		/// holds exactly their CRU.
		pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
			let s = Supply::<T>::get();
			let expected = GenesisIssuance::<T>::get()
				.checked_add(s.emitted + s.reminted + s.new_supply)
				.and_then(|v| v.checked_sub(s.burned_for_credits + s.spread_burned));
			ensure!(
				expected == Some(T::Currency::total_issuance()),
				"CRU issuance differs from genesis + counted flows"
			);
			ensure!(
				s.burned_for_credits >= s.reminted.saturating_add(s.realized_net_burn),
				"remint pool is negative"
			);
			let t = Totals::<T>::get();
			let sum = [t.purchased, t.escrowed, t.earned, t.queued, t.redeemed, t.take_rate_burned]
				.iter()
				.try_fold(Credits::ZERO, |acc, c| acc.checked_add(*c));
			ensure!(sum == Some(t.minted), "credits minted differ from their buckets");

			let (mut purchased, mut earned) = (Credits::ZERO, Credits::ZERO);
			for (_, a) in Accounts::<T>::iter() {
				purchased = purchased.saturating_add(a.purchased);
				earned = earned.saturating_add(a.earned);
			}
			ensure!(purchased == t.purchased, "purchased total differs from the accounts");
			ensure!(earned == t.earned, "earned total differs from the accounts");
			let escrowed = Escrows::<T>::iter_values()
				.fold(Credits::ZERO, |acc, e| acc.saturating_add(e.amount));
			ensure!(escrowed == t.escrowed, "escrowed total differs from the escrows");
			let next_round = NextRound::<T>::get();
			let (mut queued, mut eligible, mut count) = (Credits::ZERO, Credits::ZERO, 0u32);
			for (_, r) in Requests::<T>::iter() {
				queued = queued.saturating_add(r.credits);
				if r.round < next_round {
					eligible = eligible.saturating_add(r.credits);
				}
				count += 1;
			}
			ensure!(queued == t.queued, "queued total differs from the requests");
			ensure!(eligible == t.eligible, "eligible total differs from the requests");
			ensure!(count == RequestCount::<T>::get(), "request count differs");
			let rounds = Rounds::<T>::iter_values()
				.fold(Credits::ZERO, |acc, r| acc.saturating_add(r.credits));
			ensure!(
				rounds.saturating_add(t.eligible) == t.queued,
				"rounds and eligible credits differ from the queue"
			);
			let mut held = alloc::collections::BTreeMap::<T::AccountId, Balance>::new();
			for (_, queue) in PendingMints::<T>::iter() {
				for p in queue {
					let entry = held.entry(p.who).or_default();
					*entry = entry.saturating_add(p.cru);
				}
			}
			for (who, cru) in held {
				ensure!(
					T::Currency::balance_on_hold(&HoldReason::PendingMint.into(), &who) == cru,
					"CRU on hold differs from the account's pending mints"
				);
			}
			Ok(())
		}
	}

	impl<T: Config> CreditLedger<T::AccountId> for Pallet<T> {
		fn purchased(who: &T::AccountId) -> Credits {
			Accounts::<T>::get(who).purchased
		}

		fn earned(who: &T::AccountId) -> Credits {
			Accounts::<T>::get(who).earned
		}

		fn escrow(id: EscrowId) -> Option<(T::AccountId, Credits)> {
			Escrows::<T>::get(id).map(|e| (e.owner, e.amount))
		}

		fn lock(who: &T::AccountId, id: EscrowId, amount: Credits) -> DispatchResult {
			let account = Accounts::<T>::get(who);
			let purchased =
				account.purchased.checked_sub(amount).ok_or(Error::<T>::InsufficientPurchased)?;
			let escrow = match Escrows::<T>::get(id) {
				Some(e) => {
					ensure!(&e.owner == who, Error::<T>::NotEscrowOwner);
					Escrow {
						amount: e.amount.checked_add(amount).ok_or(Error::<T>::Overflow)?,
						..e
					}
				}
				None => Escrow { owner: who.clone(), amount },
			};
			Escrows::<T>::insert(id, escrow);
			Self::mutate_account(who, |a| a.purchased = purchased);
			Totals::<T>::mutate(|t| {
				t.purchased = t.purchased.saturating_sub(amount);
				t.escrowed = t.escrowed.saturating_add(amount);
			});
			Self::deposit_event(Event::EscrowLocked { id, who: who.clone(), credits: amount });
			Ok(())
		}

		fn pay(
			id: EscrowId,
			provider: &T::AccountId,
			amount: Credits,
		) -> Result<Payment, DispatchError> {
			Self::take_from_escrow(id, amount)?;
			let burned = Credits(MarketConfig::<T>::get().take_rate.mul_ceil(amount.0));
			let to_provider = amount.saturating_sub(burned);
			Self::mutate_account(provider, |a| a.earned = a.earned.saturating_add(to_provider));
			Totals::<T>::mutate(|t| {
				t.escrowed = t.escrowed.saturating_sub(amount);
				t.earned = t.earned.saturating_add(to_provider);
				t.take_rate_burned = t.take_rate_burned.saturating_add(burned);
			});
			let epoch = Epoch::<T>::mutate(|e| {
				e.take_rate_burned = e.take_rate_burned.saturating_add(burned);
				e.credits_earned = e.credits_earned.saturating_add(to_provider);
				e.index
			});
			if !to_provider.is_zero() {
				Earned::<T>::mutate(epoch, provider, |c| *c = c.saturating_add(to_provider));
			}
			Self::deposit_event(Event::EscrowPaid {
				id,
				provider: provider.clone(),
				to_provider,
				burned,
			});
			Ok(Payment { to_provider, burned })
		}

		fn refund(id: EscrowId, amount: Credits) -> DispatchResult {
			let owner = Self::take_from_escrow(id, amount)?;
			Self::mutate_account(&owner, |a| a.purchased = a.purchased.saturating_add(amount));
			Totals::<T>::mutate(|t| {
				t.escrowed = t.escrowed.saturating_sub(amount);
				t.purchased = t.purchased.saturating_add(amount);
			});
			Self::deposit_event(Event::EscrowRefunded { id, who: owner, credits: amount });
			Ok(())
		}

		fn lock_weight() -> Weight {
			T::WeightInfo::ledger_lock()
		}

		fn pay_weight() -> Weight {
			T::WeightInfo::ledger_pay()
		}

		fn refund_weight() -> Weight {
			T::WeightInfo::ledger_refund()
		}
	}

	impl<T: Config> SubnetEmission<T::AccountId> for Pallet<T> {
		fn available() -> Balance {
			SubnetPot::<T>::get()
		}

		fn draw(to: &T::AccountId, amount: Balance) -> DispatchResult {
			let pot = SubnetPot::<T>::get();
			let left = pot.checked_sub(amount).ok_or(Error::<T>::PotExhausted)?;
			T::Currency::mint_into(to, amount)?;
			SubnetPot::<T>::put(left);
			Supply::<T>::mutate(|s| s.emitted.saturating_accrue(amount));
			Self::deposit_event(Event::SubnetEmissionDrawn { to: to.clone(), amount });
			Ok(())
		}
	}
}
