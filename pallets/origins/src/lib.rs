//! # Crucible governance origins
//!
//! CRU holders govern Crucible through OpenGov (`pallet-referenda` and
//! `pallet-conviction-voting`). Each referendum track dispatches its proposal with an origin of
//! its own, so that a pallet can say exactly which track may change it: the root track
//! dispatches as `Root`, every other track as one of this pallet's [`Origin`]s.
//!
//! ## Terms
//! - *Track*: a referendum class with its own deposit, periods and approval curves (the
//!   runtime's `governance::tracks`). A track maps one-to-one to an origin.
//! - *Track timing*: whether the tracks run on their production periods (days) or on the fast
//!   periods used by development chains (blocks). Set once, at genesis, in [`Timing`]; there is
//!   no call to change it, so no referendum can shorten the periods of a live network.
//!
//! ## Adding a track
//! Add a variant to [`Origin`] (and an `EnsureOrigin` for it with [`decl_ensure_origins`]), then
//! one entry to the runtime's track table. Nothing else changes.
//!
//! This pallet has no calls, events or errors.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[frame_support::pallet]
pub mod pallet {
	use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
	use frame_support::pallet_prelude::*;
	use scale_info::TypeInfo;

	#[pallet::config]
	pub trait Config: frame_system::Config {}

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// The origins of the governance tracks other than root.
	#[derive(
		PartialEq, Eq, Clone, MaxEncodedLen, Encode, Decode, DecodeWithMemTracking, TypeInfo, Debug,
	)]
	#[pallet::origin]
	pub enum Origin {
		/// General administration of the network: the validator set and other parameters that
		/// have no track of their own.
		GeneralAdmin,
		/// Spends from the treasury, up to the treasurer's limit.
		Treasurer,
		/// The price oracle: its feeders and parameters.
		OracleAdmin,
		/// The compute market: the GPU catalogue, provider bonds and periods, suspending and
		/// reinstating providers.
		MarketAdmin,
	}

	/// Which periods the referendum tracks run on.
	#[derive(
		PartialEq,
		Eq,
		Clone,
		Copy,
		Default,
		MaxEncodedLen,
		Encode,
		Decode,
		DecodeWithMemTracking,
		TypeInfo,
		Debug,
		serde::Serialize,
		serde::Deserialize,
	)]
	#[serde(rename_all = "camelCase")]
	pub enum TrackTiming {
		/// The tracks' own periods, in days: what a public network runs on.
		#[default]
		Production,
		/// Periods of a few blocks, so that a referendum is decided and enacted within
		/// minutes. For development and local test networks only.
		Fast,
	}

	/// The track timing of this chain, fixed at genesis.
	#[pallet::storage]
	pub type Timing<T> = StorageValue<_, TrackTiming, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The track timing of this chain.
		pub timing: TrackTiming,
		#[serde(skip)]
		pub _config: core::marker::PhantomData<T>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			Timing::<T>::put(self.timing);
		}
	}

	impl<T: Config> Pallet<T> {
		/// The track timing of this chain.
		pub fn timing() -> TrackTiming {
			Timing::<T>::get()
		}
	}

	/// Declares, for each named [`Origin`] variant, a unit struct of the same name that
	/// implements `EnsureOrigin` for it.
	#[macro_export]
	macro_rules! decl_ensure_origins {
		( $( $name:ident ),* $(,)? ) => {
			$(
				#[doc = concat!("Ensures the origin is the `", stringify!($name), "` track.")]
				pub struct $name;
				impl<O: Into<Result<$crate::Origin, O>> + From<$crate::Origin>>
					frame_support::traits::EnsureOrigin<O> for $name
				{
					type Success = ();
					fn try_origin(o: O) -> Result<Self::Success, O> {
						o.into().and_then(|o| match o {
							$crate::Origin::$name => Ok(()),
							r => Err(O::from(r)),
						})
					}
					#[cfg(feature = "runtime-benchmarks")]
					fn try_successful_origin() -> Result<O, ()> {
						Ok(O::from($crate::Origin::$name))
					}
				}
			)*
		};
	}

	decl_ensure_origins!(GeneralAdmin, Treasurer, OracleAdmin, MarketAdmin);
}

#[cfg(test)]
mod tests {
	use super::*;
	use frame_support::{derive_impl, traits::EnsureOrigin};

	type Block = frame_system::mocking::MockBlock<Test>;

	frame_support::construct_runtime!(
		pub enum Test {
			System: frame_system,
			Origins: pallet,
		}
	);

	#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
	impl frame_system::Config for Test {
		type Block = Block;
	}

	impl Config for Test {}

	fn ext(timing: TrackTiming) -> sp_io::TestExternalities {
		let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
		GenesisConfig::<Test> { timing, _config: Default::default() }
			.assimilate_storage(&mut storage)
			.unwrap();
		storage.into()
	}

	use sp_runtime::BuildStorage;

	#[test]
	fn each_ensure_accepts_only_its_own_origin() {
		let admin: RuntimeOrigin = Origin::GeneralAdmin.into();
		let treasurer: RuntimeOrigin = Origin::Treasurer.into();
		assert!(GeneralAdmin::try_origin(admin.clone()).is_ok());
		assert!(GeneralAdmin::try_origin(treasurer.clone()).is_err());
		assert!(Treasurer::try_origin(treasurer).is_ok());
		assert!(Treasurer::try_origin(admin).is_err());
		assert!(GeneralAdmin::try_origin(RuntimeOrigin::root()).is_err());
		assert!(Treasurer::try_origin(RuntimeOrigin::signed(1)).is_err());
		let oracle: RuntimeOrigin = Origin::OracleAdmin.into();
		assert!(OracleAdmin::try_origin(oracle.clone()).is_ok());
		assert!(GeneralAdmin::try_origin(oracle.clone()).is_err());
		let market: RuntimeOrigin = Origin::MarketAdmin.into();
		assert!(MarketAdmin::try_origin(market.clone()).is_ok());
		assert!(MarketAdmin::try_origin(oracle).is_err());
		assert!(OracleAdmin::try_origin(market).is_err());
		assert!(MarketAdmin::try_origin(RuntimeOrigin::root()).is_err());
	}

	#[test]
	fn timing_is_set_at_genesis_and_defaults_to_production() {
		ext(TrackTiming::Fast)
			.execute_with(|| assert_eq!(Pallet::<Test>::timing(), TrackTiming::Fast));
		ext(TrackTiming::default())
			.execute_with(|| assert_eq!(Pallet::<Test>::timing(), TrackTiming::Production));
		sp_io::TestExternalities::default()
			.execute_with(|| assert_eq!(Pallet::<Test>::timing(), TrackTiming::Production));
	}
}
