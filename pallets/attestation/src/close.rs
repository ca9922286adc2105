//! The close of a round, a cursor over the registry's providers, and standing as the market
//! reads it.

use crate::{
	pallet::*,
	round,
	types::{CloseState, RoundRecord},
};
use crucible_primitives::{
	attestation::{AttestationParams, AttestationStanding, Outcome},
	leases::{FaultKind, LeaseFaults},
	providers::{
		DeviceId, DeviceState, DeviceUse, ProviderRegistry, ProviderStatus, Reputation,
		ReputationEvent,
	},
	AccountId, BlockNumber,
};
use frame_support::traits::Get;

impl<T: Config> Pallet<T> {
	/// One step of the open round's close at `now`, over up to `limit` providers. Returns the
	/// providers visited and the device bound (for the weight), or `None` when no close is due.
	pub(crate) fn close_step(now: BlockNumber, limit: u32) -> Option<(u32, u32)> {
		let index = OpenRound::<T>::get()?;
		let record = Rounds::<T>::get(index)?;
		if now < record.close_at {
			return None;
		}
		let mut state = CloseCursor::<T>::get()
			.filter(|s| s.round == index)
			.unwrap_or(CloseState { round: index, last: None, counts: Default::default() });
		let params = Params::<T>::get();
		let providers = T::Registry::providers_after(state.last.as_ref(), limit);
		let visited = providers.len() as u32;
		for provider in providers.iter() {
			Self::close_provider(index, &record, &params, provider, &mut state);
		}
		if let Some(last) = providers.last() {
			state.last = Some(last.clone());
		}
		if visited < limit {
			let c = state.counts;
			CloseCursor::<T>::kill();
			OpenRound::<T>::kill();
			RoundResults::<T>::insert(index, c);
			Self::deposit_event(Event::RoundClosed {
				round: index,
				passed: c.passed,
				vetoed: c.vetoed,
				unverified: c.unverified,
				proven: c.proven,
				uncommitted: c.uncommitted,
			});
		} else {
			CloseCursor::<T>::put(state);
		}
		Some((visited, T::MaxDevices::get()))
	}

	/// Decides each due device of `provider` in round `index`.
	fn close_provider(
		index: u64,
		record: &RoundRecord,
		params: &AttestationParams,
		provider: &AccountId,
		state: &mut CloseState<AccountId>,
	) {
		let Some(view) = T::Registry::attestation_view(provider) else { return };
		let commit = Commits::<T>::get(index, provider);
		let (mut passed, mut vetoed, mut unverified, mut carried, mut uncommitted) =
			(0, 0, 0, 0, 0);
		let mut committed_all_passed = commit.as_ref().is_some_and(|c| !c.devices.is_empty());
		let mut any_due = false;
		for device in T::Registry::devices(provider) {
			let share =
				round::expected_share(device.state, record.opened_at, T::Leases::lease_started);
			let mut rec = Standing::<T>::get(provider, device.id);
			if !round::is_due(
				view.registered_at,
				device.added_at,
				record.opened_at,
				share,
				record.leased_share,
			) {
				if share == crucible_primitives::attestation::Share::Leased
					&& record.leased_share.is_zero()
					&& rec.last.is_some()
				{
					// Off the census while leased: standing only from its next pass.
					rec.previous = rec.last.take();
					Standing::<T>::insert(provider, device.id, rec);
				}
				continue;
			}
			any_due = true;
			let entry =
				commit.as_ref().and_then(|c| c.devices.iter().find(|e| e.device == device.id));
			let previous = rec.last.map(|(_, o)| o);
			let outcome = if Proven::<T>::contains_key((index, provider.clone(), device.id)) {
				Outcome::Proven
			} else {
				let votes =
					Votes::<T>::get((index, provider.clone(), device.id)).unwrap_or_default();
				match entry {
					_ if votes.veto != 0 => Outcome::Vetoed,
					Some(e) => Outcome::tally(
						e.share,
						votes,
						record.validators,
						params.pass_quorum,
						previous,
					),
					None => Outcome::Uncommitted,
				}
			};
			match outcome {
				Outcome::Passed(_) => passed += 1,
				Outcome::Vetoed => vetoed += 1,
				Outcome::Unverified { carried: c } => {
					unverified += 1;
					carried += u32::from(c);
				}
				Outcome::Proven => state.counts.proven += 1,
				Outcome::Uncommitted => uncommitted += 1,
			}
			if entry.is_some() && !matches!(outcome, Outcome::Passed(_)) {
				committed_all_passed = false;
			}
			let leased = matches!(device.state, DeviceState::InUse(DeviceUse::Leased(_)));
			let served = matches!(outcome, Outcome::Passed(_) | Outcome::Unverified { .. });
			if leased && !served {
				rec.missed_leased = rec.missed_leased.saturating_add(1);
				Self::deposit_event(Event::LeaseMissedCensus {
					round: index,
					provider: provider.clone(),
					device: device.id,
					misses: rec.missed_leased,
				});
				if rec.missed_leased >= params.max_missed_leased
					&& T::Leases::attestation_required()
				{
					if let Err(e) = T::Leases::fault_leases(
						provider,
						Some(&[device.id]),
						FaultKind::Unreachable,
					) {
						log::warn!(target: "attestation", "census fault of {provider:?}/{}: {e:?}", device.id);
					}
					rec.missed_leased = 0;
				}
			} else if matches!(outcome, Outcome::Passed(_)) {
				rec.missed_leased = 0;
			}
			rec.previous = rec.last;
			rec.last = Some((index, outcome));
			Standing::<T>::insert(provider, device.id, rec);
		}
		state.counts.passed += passed;
		state.counts.vetoed += vetoed;
		state.counts.unverified += unverified;
		state.counts.uncommitted += uncommitted;
		if any_due {
			Self::deposit_event(Event::ProviderTallied {
				round: index,
				provider: provider.clone(),
				passed,
				vetoed,
				unverified,
				carried,
				uncommitted,
			});
		}
		if committed_all_passed {
			T::Reputation::record(provider, ReputationEvent::AttestationPassed);
		}
	}

	/// The outcome a device's standing is read from: the newest, unless its round is still
	/// closing (then the one before: standing changes apply when the close finishes).
	pub fn outcome_in_force(provider: &AccountId, device: DeviceId) -> Option<Outcome> {
		let rec = Standing::<T>::get(provider, device);
		let closing = CloseCursor::<T>::get().map(|s| s.round);
		match rec.last {
			Some((r, _)) if Some(r) == closing => rec.previous.map(|(_, o)| o),
			last => last.map(|(_, o)| o),
		}
	}
}

impl<T: Config> AttestationStanding<AccountId> for Pallet<T> {
	fn is_attested(provider: &AccountId, device: DeviceId) -> bool {
		T::Registry::status(provider) == Some(ProviderStatus::Active)
			&& Self::outcome_in_force(provider, device).is_some_and(|o| o.gives_standing())
	}

	fn last_failure(provider: &AccountId) -> Option<BlockNumber> {
		LastFailure::<T>::get(provider)
	}

	fn is_locked(provider: &AccountId, device: DeviceId) -> bool {
		LockedUntil::<T>::get(provider, device).is_some_and(|until| until >= Self::now())
	}

	fn provider_locked(provider: &AccountId) -> bool {
		ProviderLockedUntil::<T>::get(provider).is_some_and(|until| until >= Self::now())
	}

	fn on_devices_removed(provider: &AccountId, devices: &[DeviceId]) {
		for device in devices {
			Standing::<T>::remove(provider, device);
			LockedUntil::<T>::remove(provider, device);
		}
	}

	fn read_weight() -> frame_support::weights::Weight {
		// Standing, the close cursor and the provider's status: three bounded reads.
		T::DbWeight::get().reads(3).saturating_add(T::Registry::attestation_view_weight())
	}

	fn on_devices_removed_weight(n: u32) -> frame_support::weights::Weight {
		T::DbWeight::get().writes(2u64.saturating_mul(u64::from(n)))
	}
}
