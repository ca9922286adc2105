//! [`CheckFeeder`]: a price feed from an account that is not a registered feeder never enters
//! the transaction pool or a block.

use crate::{pallet::*, WeightInfo};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use frame_support::{
	dispatch::DispatchInfo,
	pallet_prelude::TransactionSource,
	traits::{Get, IsSubType},
	weights::Weight,
	DefaultNoBound,
};
use scale_info::TypeInfo;
use sp_runtime::{
	impl_tx_ext_default,
	traits::{DispatchInfoOf, Dispatchable, Implication, TransactionExtension, ValidateResult},
	transaction_validity::{
		InvalidTransaction, TransactionLongevity, TransactionPriority, ValidTransaction,
	},
};

/// Priority of a registered feeder's feed: above any fee-paying transaction, so a full pool
/// cannot starve the oracle.
pub const FEED_PRIORITY: TransactionPriority = TransactionPriority::MAX / 4;

/// Blocks a feed stays valid in the pool: a feed older than this is not worth including.
pub const FEED_LONGEVITY: TransactionLongevity = 5;

/// Refuses `bme.submit_price` signed by an account that is not a registered feeder
/// (`InvalidTransaction::BadSigner`), before the pool takes it. A feeder's feed gets
/// [`FEED_PRIORITY`], provides `(b"crucible/feed", feeder)` (one pending feed per feeder) and
/// lives [`FEED_LONGEVITY`] blocks. Every other call passes untouched, at no weight.
#[derive(Encode, Decode, DecodeWithMemTracking, DefaultNoBound, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckFeeder<T>(PhantomData<T>);

impl<T> CheckFeeder<T> {
	/// The extension (it carries no data).
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> core::fmt::Debug for CheckFeeder<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckFeeder")
	}
}

impl<T> CheckFeeder<T>
where
	T: Config + Send + Sync,
	<T as frame_system::Config>::RuntimeCall: IsSubType<Call<T>>,
{
	fn is_feed(call: &<T as frame_system::Config>::RuntimeCall) -> bool {
		matches!(call.is_sub_type(), Some(Call::submit_price { .. }))
	}
}

impl<T> TransactionExtension<<T as frame_system::Config>::RuntimeCall> for CheckFeeder<T>
where
	T: Config + Send + Sync,
	<T as frame_system::Config>::RuntimeCall:
		IsSubType<Call<T>> + Dispatchable<Info = DispatchInfo>,
{
	const IDENTIFIER: &'static str = "CheckFeeder";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		if Self::is_feed(call) {
			T::WeightInfo::check_feeder(T::MaxFeeders::get())
		} else {
			Weight::zero()
		}
	}

	fn validate(
		&self,
		origin: <T as frame_system::Config>::RuntimeOrigin,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		use frame_support::traits::OriginTrait;
		if !Self::is_feed(call) {
			return Ok((ValidTransaction::default(), (), origin));
		}
		// Not signed: the call itself refuses it (`BadOrigin`).
		let Some(who) = origin.as_signer() else {
			return Ok((ValidTransaction::default(), (), origin));
		};
		if !Feeders::<T>::get().iter().any(|r| &r.who == who) {
			return Err(InvalidTransaction::BadSigner.into());
		}
		let valid = ValidTransaction {
			priority: FEED_PRIORITY,
			provides: alloc::vec![(b"crucible/feed", who).encode()],
			longevity: FEED_LONGEVITY,
			..Default::default()
		};
		Ok((valid, (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
