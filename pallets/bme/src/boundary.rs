//! Epoch boundaries: the redemption queue, the emission and the remint pool.

use crate::{math, pallet::*, types::*, WeightInfo};
use alloc::vec::Vec;
use crucible_primitives::{
	bme::{Credits, EpochIndex, EpochSummary, TripReason},
	Balance, BlockNumber,
};
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use sp_runtime::{
	traits::{Saturating, Zero},
	Rounding,
};

impl<T: Config> Pallet<T> {
	/// The first epoch whose (expected) boundary is at or after `ripe_at`.
	pub(crate) fn round_for(ripe_at: BlockNumber) -> EpochIndex {
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
	pub(crate) fn unqueue(request: &Request) {
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

	/// Starts a boundary when the epoch is over and no batch runs, then works on the batch.
	pub(crate) fn advance_boundary(now: BlockNumber) -> Weight {
		// Reading the epoch and the batch, whatever follows.
		let mut weight = T::WeightInfo::boundary_idle();
		let epoch = Epoch::<T>::get();
		if Boundary::<T>::get().is_none() && now >= epoch.start.saturating_add(epoch.length) {
			let rounds = Self::start_boundary(now, epoch);
			weight.saturating_accrue(T::WeightInfo::boundary_start(rounds));
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

	/// Closes the running epoch at block `now` and sets up its boundary batch. Returns the
	/// rounds it walked to find the ripe ones: one per epoch since the oldest unripe round,
	/// at most `MaxTwapWindow / epoch_length + 2` (a round is at most a TWAP window ahead).
	pub(crate) fn start_boundary(now: BlockNumber, epoch: EpochState) -> u32 {
		let emission = EmissionConfig::<T>::get();
		Epoch::<T>::put(EpochState {
			index: epoch.index.saturating_add(1),
			start: now,
			length: emission.epoch_length,
			..Default::default()
		});

		// Rounds that have ripened become eligible, oldest first.
		let mut next_round = NextRound::<T>::get();
		let mut walked = 0u32;
		while next_round <= epoch.index {
			walked.saturating_inc();
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
		summary.flows.adjusted_up = epoch.adjusted_up;
		summary.flows.adjusted_down = epoch.adjusted_down;

		// The boundary executes only on a live oracle whose TWAP has not jumped.
		let mut oracle = Oracle::<T>::get();
		let previous_twap = oracle.reference;
		let prices = match (oracle.health, oracle.median, Self::twap(&oracle)) {
			(Health::Live, Some(median), Some(twap)) => Some((twap, median)),
			_ => None,
		};
		let prices = prices.filter(|(twap, _)| {
			let max_move = OracleConfig::<T>::get().max_twap_move;
			let jumped = oracle.reference.is_some_and(|r| math::moved_too_far(r, *twap, max_move));
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
				let price = Self::redeem_price(twap, median, previous_twap);
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
				let split = math::split_emission(scheduled, emission.providers, emission.subnets);
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
		walked
	}

	/// Mints `amount` to the treasury; returns what was minted.
	pub(crate) fn mint_to_treasury(amount: Balance) -> Balance {
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

	/// Pays up to `budget` eligible requests after `cursor`, walking [`Queue`] in round order
	/// and stopping at the first request not yet eligible. Returns the steps taken and the
	/// cursor to resume from (`None` when the eligible requests are done).
	pub(crate) fn redeem_steps(
		batch: &mut Batch,
		cursor: Option<Cursor>,
		budget: u32,
	) -> (u32, Option<Cursor>) {
		let Some(price) = batch.price else { return (0, None) };
		let next_round = NextRound::<T>::get();
		let keys = match &cursor {
			Some(key) => Queue::<T>::iter_keys_from(key.to_vec()),
			None => Queue::<T>::iter_keys(),
		};
		let mut page: Vec<(RoundKey, T::AccountId)> = Vec::new();
		let mut done = true;
		for (round, who) in keys {
			if EpochIndex::from_be_bytes(round) >= next_round {
				break;
			}
			page.push((round, who));
			if page.len() as u32 >= budget {
				done = false;
				break;
			}
		}
		let steps = page.len() as u32;
		let mut last = None;
		for (round, who) in page {
			last = Some(Queue::<T>::hashed_key_for(round, &who));
			let Some(request) = Requests::<T>::get(&who) else {
				// The index and the requests agree (`try_state`): nothing to pay.
				continue;
			};
			let filled = match batch.fill {
				None => request.credits,
				Some((cap, need)) => Credits(math::pro_rata(request.credits.0, cap, need)),
			};
			let full = math::credits_to_cru(filled, price, Rounding::Down).unwrap_or(0);
			let (cru, credits) = if full <= batch.cap_left {
				(full, filled)
			} else {
				// The cap binds inside this request: it pays what is left of the cap and gives
				// up only the credits that buys, rounded up (never more than `filled`, whose
				// floored value is above the cap); the rest stays queued.
				let cru = batch.cap_left;
				let bought = math::cru_to_credits(cru, price, Rounding::Up).unwrap_or(filled);
				(cru, bought.min(filled))
			};
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
				Queue::<T>::remove(round, &who);
				RequestCount::<T>::mutate(|c| c.saturating_dec());
			} else {
				Requests::<T>::insert(&who, Request { credits: left, ..request });
			}
		}
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
			let cap =
				math::credits_to_cru(outstanding, price, Rounding::Down).unwrap_or(Balance::MAX);
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
	pub(crate) fn redemption_cap(
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

	/// The remint pool R = burned for credits − reminted − realized net burn.
	pub fn remint_pool() -> Balance {
		let s = Supply::<T>::get();
		s.burned_for_credits.saturating_sub(s.reminted).saturating_sub(s.realized_net_burn)
	}
}
