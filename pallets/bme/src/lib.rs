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
//! - [`Pallet::submit_price`]: registered feeders (free for them; [`CheckFeeder`] keeps anyone
//!   else's feed out of the transaction pool).
//! - [`Pallet::add_feeder`], [`Pallet::remove_feeder`], [`Pallet::set_oracle_params`]: the
//!   oracle-admin track (`OracleOrigin`).
//! - [`Pallet::set_market_params`], [`Pallet::set_emission_params`]: `EconomicsOrigin`.
//! - [`Pallet::note_issuance_adjustment`]: root only, batched with a root-track change of
//!   issuance made outside the BME, so that change is counted.
//!
//! Credits otherwise move only through [`CreditLedger`], for the lease market, and the subnet
//! pot is drawn through [`SubnetEmission`].
//!
//! ## Where CRU issuance changes
//! Only here, and each change is counted in [`Supply`]: total issuance = genesis issuance +
//! emitted + reminted + new supply + adjusted up − burned for credits − spread burned −
//! adjusted down (the adjustments are root-track changes noted by
//! [`Pallet::note_issuance_adjustment`]; the runtime's call filter refuses every other way to
//! burn CRU). Fees, tips, dust and
//! slashes go to the treasury and change nothing; the treasury burns nothing. Take-rate burns
//! destroy credits, not CRU: the CRU behind them stays in R until the cap turns it into
//! realized net burn.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod boundary;
mod extension;
mod invariants;
mod ledger;
pub mod math;
mod mint;
#[cfg(test)]
mod mock;
mod oracle;
#[cfg(test)]
mod tests;
pub mod types;
mod views;
pub mod weights;

pub use crucible_primitives::bme::{CreditLedger, SubnetEmission};
pub use extension::{CheckFeeder, FEED_LONGEVITY, FEED_PRIORITY};
pub use types::*;
pub use weights::WeightInfo;

#[frame_support::pallet]
pub mod pallet {
	use super::{math, types::*, WeightInfo};
	use alloc::vec::Vec;
	use crucible_primitives::{
		bme::{
			CreditTotals, Credits, EpochIndex, EpochSummary, EscrowId, Price, SupplyFlows,
			TripReason,
		},
		Balance, BlockNumber,
	};
	use frame_support::{
		dispatch::{DispatchClass, Pays, PostDispatchInfo},
		pallet_prelude::*,
		traits::{
			fungible::{Inspect, Mutate, MutateHold},
			tokens::{Fortitude, Preservation},
		},
	};
	use frame_system::pallet_prelude::*;
	use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

	const STORAGE_VERSION: StorageVersion = StorageVersion::new(3);

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

	/// CRU on hold for all pending mints together: the sum of [`PendingMints`], which
	/// `try_state` checks against every account's `PendingMint` hold.
	#[pallet::storage]
	pub type MintHeld<T> = StorageValue<_, Balance, ValueQuery>;

	/// Open redemption requests, one per account.
	#[pallet::storage]
	pub type Requests<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Request>;

	/// Open requests by round and account: the round big-endian under the identity hasher, so
	/// they iterate in round order and a boundary's redeem phase walks the eligible rounds only,
	/// stopping at the first request that is not eligible yet.
	#[pallet::storage]
	pub type Queue<T: Config> =
		StorageDoubleMap<_, Identity, RoundKey, Blake2_128Concat, T::AccountId, (), OptionQuery>;

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
		/// The root track changed CRU issuance outside the BME by `delta` plancks, and the
		/// supply accounts now count it.
		IssuanceAdjustmentNoted {
			delta: i128,
			reason: BoundedVec<u8, ConstU32<MAX_ADJUSTMENT_REASON>>,
		},
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
		/// An issuance adjustment of zero notes nothing.
		ZeroAdjustment,
		/// `mint_delay` must be at least 1 block (lag arbitrage pays at 0).
		MintDelayZero,
		/// `cap_floor` is above `MAX_CAP_FLOOR`.
		CapFloorTooHigh,
		/// The oracle's `max_deviation` is too wide for the market's spread and take-rate: a
		/// colluding feeder majority could profit from a mint-redeem round trip.
		CollusionMarginTooThin,
		/// With this adjustment counted, total issuance would still differ from genesis plus
		/// the counted flows: the delta is not the change the batch made.
		IssuanceMismatch,
	}

	impl<T> From<ParamsError> for Error<T> {
		fn from(e: ParamsError) -> Self {
			match e {
				ParamsError::MintDelayZero => Error::MintDelayZero,
				ParamsError::CapFloorTooHigh => Error::CapFloorTooHigh,
				ParamsError::CollusionMarginTooThin => Error::CollusionMarginTooThin,
			}
		}
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
		) -> DispatchResultWithPostInfo {
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
			MintHeld::<T>::mutate(|h| h.saturating_accrue(quote.cost));
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
				return Ok(().into());
			}
			PendingMints::<T>::try_mutate(settles_at, |queue| queue.try_push(pending))
				.map_err(|_| Error::<T>::MintQueueFull)?;
			// Queued: its settlement is charged to the settlement block's hook.
			Ok(Some(T::WeightInfo::mint_credits()).into())
		}

		/// Moves `credits` of the caller's earned credits into its redemption request (opening
		/// one, or topping up the open one). The whole request then waits for the first
		/// boundary whose TWAP window starts after this block, and is paid there at the highest
		/// of the TWAP, the median and the previous boundary's TWAP, pro rata under the
		/// boundary's cap; whatever is not filled waits for the next.
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
				Some(r) => {
					Self::unqueue(&r);
					Queue::<T>::remove(round_key(r.round), &who);
				}
				None => RequestCount::<T>::mutate(|c| c.saturating_inc()),
			}
			Queue::<T>::insert(round_key(round), &who, ());
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
				t.requested = t.requested.saturating_add(credits);
			});
			Self::deposit_event(Event::RedemptionRequested { who, credits, queued, round });
			Ok(())
		}

		/// A registered feeder's price (US dollars per CRU). Counts from the next block; one per
		/// feeder per block. Free: [`CheckFeeder`] keeps a feed signed by anyone else out of the
		/// pool and out of blocks, and gives feeders' feeds a fixed priority. Normal class: an
		/// operational call would put a batch of them in the operational lane (a batch of
		/// feeds pays like any batch: pallet-utility's batches are always charged).
		#[pallet::call_index(2)]
		#[pallet::weight((T::WeightInfo::submit_price(T::MaxFeeders::get()), DispatchClass::Normal, Pays::No))]
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

		/// Sets the oracle's parameters. A new TWAP window restarts the clean window. Refused with
		/// [`Error::CollusionMarginTooThin`] when `max_deviation` is too wide for the stored
		/// market parameters.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_oracle_params())]
		pub fn set_oracle_params(origin: OriginFor<T>, params: OracleParams) -> DispatchResult {
			T::OracleOrigin::ensure_origin(origin)?;
			ensure!(
				params.is_valid(T::MaxFeeders::get(), T::MaxTwapWindow::get()),
				Error::<T>::InvalidParams
			);
			ensure!(
				collusion_margin_holds(&params, &MarketConfig::<T>::get()),
				Error::<T>::CollusionMarginTooThin
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

		/// Sets the market parameters (spread, take-rate, minimums, redemption cap, mint delay).
		/// Beyond their ranges, refused with [`Error::MintDelayZero`],
		/// [`Error::CapFloorTooHigh`] or [`Error::CollusionMarginTooThin`] (against the stored
		/// oracle parameters).
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::set_market_params())]
		pub fn set_market_params(origin: OriginFor<T>, params: MarketParams) -> DispatchResult {
			T::EconomicsOrigin::ensure_origin(origin)?;
			ensure!(params.is_valid(), Error::<T>::InvalidParams);
			check_governed(&OracleConfig::<T>::get(), &params).map_err(Error::<T>::from)?;
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

		/// Counts a change of CRU issuance that the root track made outside the BME
		/// (`balances.force_set_balance`, `balances.force_adjust_total_issuance`,
		/// `system.set_storage`): a referendum batches this call after the change
		/// (`utility.batch_all`), with `delta` the change in plancks (negative for a decrease).
		/// Fails with [`Error::IssuanceMismatch`] unless total issuance then equals genesis plus
		/// every counted flow, so a wrong delta undoes the whole batch; with
		/// [`Error::ZeroAdjustment`] for a zero delta.
		///
		/// Origin: root only (no track but root can change issuance this way).
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::note_issuance_adjustment())]
		pub fn note_issuance_adjustment(
			origin: OriginFor<T>,
			delta: i128,
			reason: BoundedVec<u8, ConstU32<MAX_ADJUSTMENT_REASON>>,
		) -> DispatchResult {
			ensure_root(origin)?;
			ensure!(delta != 0, Error::<T>::ZeroAdjustment);
			let amount = delta.unsigned_abs();
			let mut supply = Supply::<T>::get();
			let counted =
				if delta > 0 { &mut supply.adjusted_up } else { &mut supply.adjusted_down };
			*counted = counted.checked_add(amount).ok_or(Error::<T>::Overflow)?;
			ensure!(
				supply.expected_issuance(GenesisIssuance::<T>::get())
					== Some(T::Currency::total_issuance()),
				Error::<T>::IssuanceMismatch
			);
			Supply::<T>::put(supply);
			Epoch::<T>::mutate(|e| {
				let counted = if delta > 0 { &mut e.adjusted_up } else { &mut e.adjusted_down };
				counted.saturating_accrue(amount);
			});
			Self::deposit_event(Event::IssuanceAdjustmentNoted { delta, reason });
			Ok(())
		}
	}
}
