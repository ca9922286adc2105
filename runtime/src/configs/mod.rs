//! Configuration of every pallet in the runtime.
//!
//! Where CRU goes: transaction fees and tips, dust of reaped accounts, and slashed referendum
//! deposits all go to the treasury account; nothing is burned silently. The treasury itself
//! burns nothing (`Burn = 0`) and is never reaped (its spends keep it alive), so what is
//! resolved to it is never dropped. Holders cannot burn CRU ([`CallFilter`]).

mod call_filter;

pub use call_filter::CallFilter;

use crate::{
	governance::{
		GeneralAdminOrRoot, MarketAdminOrRoot, OracleAdminOrRoot, TracksInfo, TreasuryRejecter,
		TreasurySpender,
	},
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Bme, Hash, Nonce, OriginCaller,
	PalletInfo, Preimage, Providers, Referenda, Runtime, RuntimeCall, RuntimeEvent,
	RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask, Scheduler, SessionKeys,
	System, Treasury, ValidatorSet, VERSION,
};
use crucible_primitives::{
	currency::{CRU, EXISTENTIAL_DEPOSIT, MICRO_CRU, MILLI_CRU},
	time::{DAYS, SLOT_DURATION},
};
use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{
		fungible::HoldConsideration,
		tokens::{imbalance::ResolveTo, UnityAssetBalanceConversion},
		AsEnsureOriginWithArg, ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, Contains,
		EqualPrivilegeOnly, LinearStoragePrice, VariantCountOf,
	},
	weights::{
		constants::{ExtrinsicBaseWeight, ParityDbWeight, WEIGHT_REF_TIME_PER_SECOND},
		ConstantMultiplier, Weight,
	},
	PalletId,
};
use frame_system::{
	limits::{BlockLength, BlockWeights},
	EnsureRoot, EnsureSigned,
};
use pallet_transaction_payment::{FungibleAdapter, Multiplier, TargetedFeeAdjustment};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::{
	traits::{Bounded, ConvertInto, IdentityLookup, OpaqueKeys},
	FixedPointNumber, Perbill, Perquintill,
};
use sp_version::RuntimeVersion;

/// Most validators the chain can have (also the Aura and GRANDPA authority bound).
pub const MAX_VALIDATORS: u32 = 32;

/// Deposit for storing `items` items of `bytes` bytes in total.
pub const fn deposit(items: u32, bytes: u32) -> Balance {
	items as Balance * CRU + (bytes as Balance) * 10 * MILLI_CRU
}

/// Normal extrinsics may fill 75% of a block; the rest is for operational ones.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// Two seconds of compute per 6-second block.
	pub RuntimeBlockWeights: BlockWeights = BlockWeights::with_sensible_defaults(
		Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX),
		NORMAL_DISPATCH_RATIO,
	);
	/// 5 MiB blocks, of which normal extrinsics may fill 75%.
	pub RuntimeBlockLength: BlockLength = BlockLength::builder()
		.max_length(5 * 1024 * 1024)
		.modify_max_length_for_class(DispatchClass::Normal, |max| *max = NORMAL_DISPATCH_RATIO * *max)
		.build();
	/// The generic Substrate address format.
	pub const SS58Prefix: u16 = 42;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node stores its state in ParityDB.
	type DbWeight = ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	/// Refuses `balances.burn`, `session.purge_keys` and a non-root cancel of a root-track
	/// referendum to every origin but root.
	type BaseCallFilter = CallFilter;
}

impl pallet_timestamp::Config for Runtime {
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = pallet_timestamp::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// The treasury account, where fees, tips and dust go.
	pub TreasuryAccount: AccountId = Treasury::account_id();
}

/// Sends CRU that would otherwise vanish (fees, tips, dust) to the treasury.
pub type ToTreasury = ResolveTo<pallet_treasury::TreasuryAccountId<Runtime>, Balances>;

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ConstU32<50>;
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ToTreasury;
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = pallet_balances::weights::SubstrateWeight<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

/// Converts weight to a fee: one `ExtrinsicBaseWeight` of compute costs 1 milli-CRU, rounded
/// down. Proof size is not charged separately (a solochain has no PoV limit).
pub struct WeightToFee;
impl frame_support::weights::WeightToFee for WeightToFee {
	type Balance = Balance;
	fn weight_to_fee(weight: &Weight) -> Balance {
		let base = Balance::from(ExtrinsicBaseWeight::get().ref_time()).max(1);
		Balance::from(weight.ref_time()).saturating_mul(MILLI_CRU) / base
	}
}

parameter_types! {
	/// 10 micro-CRU per byte of transaction.
	pub const TransactionByteFee: Balance = 10 * MICRO_CRU;
	/// Fees rise when blocks are more than a quarter full, and fall when less.
	pub const TargetBlockFullness: Perquintill = Perquintill::from_percent(25);
	pub AdjustmentVariable: Multiplier = Multiplier::saturating_from_rational(75, 1_000_000);
	pub MinimumMultiplier: Multiplier = Multiplier::saturating_from_rational(1, 10u128);
	pub MaximumMultiplier: Multiplier = Bounded::max_value();
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	/// Fees and tips go to the treasury.
	type OnChargeTransaction = FungibleAdapter<Balances, ToTreasury>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = WeightToFee;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = TargetedFeeAdjustment<
		Self,
		TargetBlockFullness,
		AdjustmentVariable,
		MinimumMultiplier,
		MaximumMultiplier,
	>;
	type WeightInfo = pallet_transaction_payment::weights::SubstrateWeight<Runtime>;
}

impl pallet_utility::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type PalletsOrigin = OriginCaller;
	type WeightInfo = pallet_utility::weights::SubstrateWeight<Runtime>;
}

// ---- Consensus and the validator set ----

/// Accounts that registered session keys with `session.set_keys`.
pub struct HasSessionKeys;
impl Contains<AccountId> for HasSessionKeys {
	fn contains(who: &AccountId) -> bool {
		pallet_session::NextKeys::<Runtime>::contains_key(who)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_crucible_validator_set::BenchmarkHelper<AccountId> for HasSessionKeys {
	fn register_session_keys(who: &AccountId) {
		use codec::Decode;
		let raw: [u8; 32] = *who.as_ref();
		let keys = SessionKeys {
			aura: AuraId::decode(&mut &raw[..]).expect("32 bytes; qed"),
			grandpa: sp_consensus_grandpa::AuthorityId::decode(&mut &raw[..])
				.expect("32 bytes; qed"),
		};
		pallet_session::NextKeys::<Runtime>::insert(who, keys);
	}
}

/// pallet-session's active validators, queued keys and key removal, for the validator set.
pub struct SessionKeysOf;
impl pallet_crucible_validator_set::SessionKeyManager<AccountId> for SessionKeysOf {
	fn in_session(who: &AccountId) -> bool {
		pallet_session::Validators::<Runtime>::get().contains(who)
			|| pallet_session::QueuedKeys::<Runtime>::get().iter().any(|(v, _)| v == who)
	}
	fn purge(who: &AccountId) -> frame_support::dispatch::DispatchResult {
		// The pallet's own call, not dispatched: the call filter refuses it to signed origins.
		pallet_session::Pallet::<Runtime>::purge_keys(RuntimeOrigin::signed(who.clone()))
	}
}

impl pallet_crucible_validator_set::Config for Runtime {
	type UpdateOrigin = GeneralAdminOrRoot;
	type HasSessionKeys = HasSessionKeys;
	type SessionKeys = SessionKeysOf;
	type MaxValidators = ConstU32<MAX_VALIDATORS>;
	type MinValidators = ConstU32<1>;
	type WeightInfo = pallet_crucible_validator_set::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = HasSessionKeys;
}

/// Sessions rotate every `SessionLength` blocks (fixed at genesis), from block 0.
pub type Sessions = pallet_session::PeriodicSessions<
	pallet_crucible_validator_set::SessionPeriod<Runtime>,
	ConstU32<0>,
>;

parameter_types! {
	/// Held from a validator's account by `session.set_keys`, returned by `session.purge_keys`.
	pub const SessionKeyDeposit: Balance = 10 * CRU;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = Sessions;
	type NextSessionRotation = Sessions;
	type SessionManager = ValidatorSet;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_VALIDATORS>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

// ---- Governance ----

parameter_types! {
	pub const TreasuryPalletId: PalletId = PalletId(*b"py/trsry");
	pub const SpendPeriod: BlockNumber = 6 * DAYS;
	/// The treasury never burns its funds.
	pub const TreasuryBurn: sp_runtime::Permill = sp_runtime::Permill::zero();
	pub const PayoutPeriod: BlockNumber = 30 * DAYS;
	pub const MaxApprovals: u32 = 100;
}

impl pallet_treasury::Config for Runtime {
	type PalletId = TreasuryPalletId;
	type Currency = Balances;
	type RejectOrigin = TreasuryRejecter;
	type RuntimeEvent = RuntimeEvent;
	type SpendPeriod = SpendPeriod;
	type Burn = TreasuryBurn;
	type BurnDestination = ();
	type SpendFunds = ();
	type MaxApprovals = MaxApprovals;
	type WeightInfo = pallet_treasury::weights::SubstrateWeight<Runtime>;
	type SpendOrigin = TreasurySpender;
	type AssetKind = ();
	type Beneficiary = AccountId;
	type BeneficiaryLookup = IdentityLookup<AccountId>;
	type Paymaster = PayFromTreasury;
	type BalanceConverter = UnityAssetBalanceConversion;
	type PayoutPeriod = PayoutPeriod;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = ();
	type BlockNumberProvider = System;
}

/// Pays treasury spends from the treasury account, keeping it alive: a spend that would take it
/// below the existential deposit fails (`PaymentFailed`, retryable with `payout`) instead of
/// reaping it. A reaped treasury would make `ToTreasury` drop every credit below the
/// existential deposit (dust, small fees, slashes) uncounted.
pub struct PayFromTreasury;
impl frame_support::traits::tokens::Pay for PayFromTreasury {
	type Balance = Balance;
	type Beneficiary = AccountId;
	type AssetKind = ();
	type Id = ();
	type Error = sp_runtime::DispatchError;
	fn pay(who: &AccountId, _: (), amount: Balance) -> Result<(), Self::Error> {
		use frame_support::traits::{fungible::Mutate, tokens::Preservation};
		<Balances as Mutate<AccountId>>::transfer(
			&TreasuryAccount::get(),
			who,
			amount,
			Preservation::Preserve,
		)?;
		Ok(())
	}
	fn check_payment(_: ()) -> frame_support::traits::tokens::PaymentStatus {
		frame_support::traits::tokens::PaymentStatus::Success
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_successful(_: &AccountId, _: (), amount: Balance) {
		use frame_support::traits::fungible::Mutate;
		<Balances as Mutate<AccountId>>::mint_into(
			&TreasuryAccount::get(),
			amount.saturating_add(EXISTENTIAL_DEPOSIT),
		)
		.expect("benchmark set-up mints");
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn ensure_concluded(_: ()) {}
}

parameter_types! {
	pub const PreimageBaseDeposit: Balance = deposit(2, 64);
	pub const PreimageByteDeposit: Balance = deposit(0, 1);
	pub const PreimageHoldReason: RuntimeHoldReason =
		RuntimeHoldReason::Preimage(pallet_preimage::HoldReason::Preimage);
}

impl pallet_preimage::Config for Runtime {
	type WeightInfo = pallet_preimage::weights::SubstrateWeight<Runtime>;
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type ManagerOrigin = EnsureRoot<AccountId>;
	type Consideration = HoldConsideration<
		AccountId,
		Balances,
		PreimageHoldReason,
		LinearStoragePrice<PreimageBaseDeposit, PreimageByteDeposit, Balance>,
	>;
}

parameter_types! {
	pub MaximumSchedulerWeight: Weight = Perbill::from_percent(80) *
		RuntimeBlockWeights::get().max_block;
}

impl pallet_scheduler::Config for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type RuntimeEvent = RuntimeEvent;
	type PalletsOrigin = OriginCaller;
	type RuntimeCall = RuntimeCall;
	type MaximumWeight = MaximumSchedulerWeight;
	type ScheduleOrigin = EnsureRoot<AccountId>;
	type MaxScheduledPerBlock = ConstU32<50>;
	type WeightInfo = pallet_scheduler::weights::SubstrateWeight<Runtime>;
	type OriginPrivilegeCmp = EqualPrivilegeOnly;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

parameter_types! {
	pub const VoteLockingPeriod: BlockNumber = 7 * DAYS;
}

impl pallet_conviction_voting::Config for Runtime {
	type WeightInfo = pallet_conviction_voting::weights::SubstrateWeight<Runtime>;
	type RuntimeEvent = RuntimeEvent;
	type Currency = Balances;
	type VoteLockingPeriod = VoteLockingPeriod;
	type MaxVotes = ConstU32<512>;
	type MaxTurnout =
		frame_support::traits::tokens::currency::ActiveIssuanceOf<Balances, Self::AccountId>;
	type Polls = Referenda;
	type BlockNumberProvider = System;
	type VotingHooks = ();
}

parameter_types! {
	pub const SubmissionDeposit: Balance = 10 * CRU;
	pub const UndecidingTimeout: BlockNumber = 14 * DAYS;
}

impl pallet_referenda::Config for Runtime {
	type WeightInfo = pallet_referenda::weights::SubstrateWeight<Self>;
	type RuntimeCall = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type Scheduler = Scheduler;
	type Currency = Balances;
	type SubmitOrigin = AsEnsureOriginWithArg<EnsureSigned<AccountId>>;
	type CancelOrigin = GeneralAdminOrRoot;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Slashed deposits go to the treasury.
	type Slash = Treasury;
	type Votes = pallet_conviction_voting::VotesOf<Runtime>;
	type Tally = pallet_conviction_voting::TallyOf<Runtime>;
	type SubmissionDeposit = SubmissionDeposit;
	type MaxQueued = ConstU32<100>;
	type UndecidingTimeout = UndecidingTimeout;
	type AlarmInterval = ConstU32<1>;
	type Tracks = TracksInfo;
	type Preimages = Preimage;
	type BlockNumberProvider = System;
}

impl pallet_crucible_origins::Config for Runtime {}

impl pallet_crucible_bme::Config for Runtime {
	type Currency = Balances;
	type OracleOrigin = OracleAdminOrRoot;
	type EconomicsOrigin = GeneralAdminOrRoot;
	type TreasuryAccount = TreasuryAccount;
	type MaxFeeders = ConstU32<16>;
	// Two hours of blocks.
	type MaxTwapWindow = ConstU32<1_200>;
	type BoundaryStepsPerBlock = ConstU32<64>;
	type RuntimeHoldReason = RuntimeHoldReason;
	// Mints settling in one block: 128 settlements are a few percent of a block.
	type MaxPendingMints = ConstU32<128>;
	type WeightInfo = pallet_crucible_bme::weights::SubstrateWeight<Runtime>;
}

impl pallet_crucible_providers::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type MarketOrigin = MarketAdminOrRoot;
	type TreasuryAccount = TreasuryAccount;
	// Eight hosts of eight GPUs.
	type MaxDevices = ConstU32<64>;
	type MaxModels = ConstU32<64>;
	type MinUnbondingPeriod = crate::governance::tracks::MinUnbondingPeriod;
	type WeightInfo = pallet_crucible_providers::weights::SubstrateWeight<Runtime>;
}

impl pallet_crucible_leases::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Ledger = Bme;
	type Registry = Providers;
	type Reputation = Providers;
	type Slashing = Providers;
	type MarketOrigin = MarketAdminOrRoot;
	// Until attestation reports faults through a trait.
	type FaultOrigin = MarketAdminOrRoot;
	type MaxModelsPerOrder = ConstU32<8>;
	// One host of eight GPUs.
	type MaxGpusPerOrder = ConstU32<8>;
	type MaxBidsPerOrder = ConstU32<16>;
	// The worst sweep task (an order window closing on 16 bids) weighs about 4.7 ms with its
	// database writes: eight in every block stay under 2% of the block.
	type SweepPerBlock = ConstU32<8>;
	type WeightInfo = pallet_crucible_leases::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = LeasesBenchmarkHelper;
}

/// Benchmark set-up of the lease market, through the real ledger and registry.
#[cfg(feature = "runtime-benchmarks")]
pub struct LeasesBenchmarkHelper;
#[cfg(feature = "runtime-benchmarks")]
impl pallet_crucible_leases::BenchmarkHelper<AccountId> for LeasesBenchmarkHelper {
	fn fund(who: &AccountId, credits: crucible_primitives::bme::Credits) {
		Bme::benchmark_fund(who, credits);
	}
	fn models(n: u32) -> alloc::vec::Vec<crucible_primitives::providers::GpuModelId> {
		Providers::benchmark_models(n)
	}
	fn provider(
		who: &AccountId,
		models: &[crucible_primitives::providers::GpuModelId],
		count: u32,
	) {
		Providers::benchmark_provider(who, models, count);
	}
	fn max_devices() -> u32 {
		use frame_support::traits::Get;
		<Runtime as pallet_crucible_providers::Config>::MaxDevices::get()
	}
}
