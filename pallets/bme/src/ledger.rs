//! The credit ledger: accounts and escrows, and the [`CreditLedger`] and [`SubnetEmission`]
//! impls other pallets use.

use crate::{pallet::*, types::*, CreditLedger, SubnetEmission, WeightInfo};
use crucible_primitives::{
	bme::{Credits, EscrowId, Payment},
	Balance, BlockNumber,
};
use frame_support::{pallet_prelude::*, traits::fungible::Mutate};
use sp_runtime::traits::{Saturating, UniqueSaturatedInto};

impl<T: Config> Pallet<T> {
	pub(crate) fn now() -> BlockNumber {
		frame_system::Pallet::<T>::block_number().unique_saturated_into()
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

	/// Takes `amount` out of escrow `id` (removing it when empty); returns its owner.
	pub(crate) fn take_from_escrow(
		id: EscrowId,
		amount: Credits,
	) -> Result<T::AccountId, DispatchError> {
		let mut escrow = Escrows::<T>::get(id).ok_or(Error::<T>::EscrowNotFound)?;
		escrow.amount = escrow.amount.checked_sub(amount).ok_or(Error::<T>::InsufficientEscrow)?;
		let owner = escrow.owner.clone();
		if escrow.amount.is_zero() {
			Escrows::<T>::remove(id);
		} else {
			Escrows::<T>::insert(id, escrow);
		}
		Ok(owner)
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
				Escrow { amount: e.amount.checked_add(amount).ok_or(Error::<T>::Overflow)?, ..e }
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
