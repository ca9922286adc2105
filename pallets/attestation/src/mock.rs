//! A test runtime: System and the attestation pallet, with a registry and a lease market
//! mocked in thread-local state.

use crate as pallet_attestation;
use crucible_primitives::{
	attestation::{AttestationKey, AttestationParams},
	leases::{FaultKind, LeaseFaults},
	providers::{
		AttestationView, DeviceId, DeviceState, DeviceUse, DeviceView, GpuClass, GpuModelId,
		LeaseId, ProviderRegistry, ProviderStatus, Reputation, ReputationCounters, ReputationEvent,
		SlashReason, Slashing,
	},
	AccountId, Balance, BlockNumber,
};
use frame_support::{derive_impl, parameter_types, traits::Hooks};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::{traits::IdentityLookup, BuildStorage, DispatchError, DispatchResult, Weight};
use std::{cell::RefCell, collections::BTreeMap};

type Block = frame_system::mocking::MockBlock<Test>;
/// The test runtime's extrinsic (no signature, no extension: authorization is the pallet's).
pub type Extrinsic = frame_system::mocking::MockUncheckedExtrinsic<Test>;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Attestation: pallet_attestation,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = IdentityLookup<AccountId>;
}

/// The CPU test model: 1 TOPS peak.
pub const CPU: GpuModelId = 9;
/// An H100-like model: 1,979 TOPS.
pub const H100: GpuModelId = 1;

/// A mocked provider.
#[derive(Clone)]
pub struct MockProvider {
	pub view: AttestationView,
	pub devices: Vec<DeviceView>,
}

/// A census or fraud fault the mocked market was asked to apply.
pub type Fault = (AccountId, Option<Vec<DeviceId>>, FaultKind);
/// A slash the mocked registry applied: (who, amount taken, beneficiary, reason).
pub type SlashRecord = (AccountId, Balance, Option<AccountId>, SlashReason);

thread_local! {
	pub static PROVIDERS: RefCell<BTreeMap<AccountId, MockProvider>> = const { RefCell::new(BTreeMap::new()) };
	pub static LEASES: RefCell<BTreeMap<LeaseId, BlockNumber>> = const { RefCell::new(BTreeMap::new()) };
	pub static FAULTS: RefCell<Vec<Fault>> = const { RefCell::new(Vec::new()) };
	pub static REPUTATION: RefCell<Vec<(AccountId, ReputationEvent)>> = const { RefCell::new(Vec::new()) };
	pub static ATTESTATION_REQUIRED: RefCell<bool> = const { RefCell::new(true) };
	pub static SLASHES: RefCell<Vec<SlashRecord>> = const { RefCell::new(Vec::new()) };
	pub static ALLOW_PRIVATE: RefCell<bool> = const { RefCell::new(true) };
}

/// The mocked slashing: lowers the provider's held bond, bounded by it, and logs the slash.
pub struct Slash;

impl Slashing<AccountId> for Slash {
	fn slash(
		who: &AccountId,
		amount: Balance,
		beneficiary: Option<&AccountId>,
		reason: SlashReason,
	) -> Result<Balance, DispatchError> {
		let taken = PROVIDERS.with(|p| {
			let mut p = p.borrow_mut();
			let held =
				&mut p.get_mut(who).ok_or(DispatchError::Other("no provider"))?.view.bond_held;
			let taken = amount.min(*held);
			*held -= taken;
			Ok::<_, DispatchError>(taken)
		})?;
		SLASHES.with(|s| s.borrow_mut().push((who.clone(), taken, beneficiary.cloned(), reason)));
		Ok(taken)
	}
	fn slash_weight() -> Weight {
		Weight::zero()
	}
}

/// The mocked reputation counters: a log of events.
pub struct Rep;

impl Reputation<AccountId> for Rep {
	fn record(who: &AccountId, event: ReputationEvent) {
		REPUTATION.with(|r| r.borrow_mut().push((who.clone(), event)));
	}
	fn reputation(_: &AccountId) -> Option<ReputationCounters> {
		None
	}
	fn record_weight() -> Weight {
		Weight::zero()
	}
}

/// The mocked registry.
pub struct Registry;

impl ProviderRegistry<AccountId> for Registry {
	fn status(who: &AccountId) -> Option<ProviderStatus> {
		PROVIDERS.with(|p| p.borrow().get(who).map(|p| p.view.status))
	}
	fn devices(who: &AccountId) -> Vec<DeviceView> {
		PROVIDERS.with(|p| p.borrow().get(who).map(|p| p.devices.clone()).unwrap_or_default())
	}
	fn model(model: GpuModelId) -> Option<(u32, GpuClass)> {
		Self::int8_tops(model).map(|_| (80_000, GpuClass::Datacenter))
	}
	fn free_devices(_: GpuModelId) -> u32 {
		0
	}
	fn free_devices_in(_: GpuModelId, _: &[u8]) -> u32 {
		0
	}
	fn in_region(_: &AccountId, _: &[u8]) -> bool {
		true
	}
	fn bonded(who: &AccountId) -> bool {
		Self::status(who).is_some()
	}
	fn in_use() -> (u32, u32) {
		(0, 0)
	}
	fn reserve(_: &AccountId, _: &[DeviceId], _: DeviceUse) -> DispatchResult {
		Ok(())
	}
	fn rebind(_: &AccountId, _: &[DeviceId], _: DeviceUse, _: DeviceUse) -> DispatchResult {
		Ok(())
	}
	fn release(_: &AccountId, _: &[DeviceId], _: DeviceUse) -> DispatchResult {
		Ok(())
	}
	fn release_bound(_: &AccountId, _: DeviceUse) -> u32 {
		0
	}
	fn device_update_weight() -> Weight {
		Weight::zero()
	}
	fn attestation_view(who: &AccountId) -> Option<AttestationView> {
		PROVIDERS.with(|p| p.borrow().get(who).map(|p| p.view.clone()))
	}
	fn int8_tops(model: GpuModelId) -> Option<u32> {
		match model {
			CPU => Some(1),
			H100 => Some(1_979),
			_ => None,
		}
	}
	fn providers_after(after: Option<&AccountId>, limit: u32) -> Vec<AccountId> {
		PROVIDERS.with(|p| {
			p.borrow()
				.keys()
				.filter(|k| after.is_none_or(|a| *k > a))
				.take(limit as usize)
				.cloned()
				.collect()
		})
	}
	fn allow_private_endpoints() -> bool {
		ALLOW_PRIVATE.with(|a| *a.borrow())
	}
	fn suspend(who: &AccountId, _: &[u8]) -> DispatchResult {
		PROVIDERS.with(|p| match p.borrow_mut().get_mut(who) {
			Some(p) if p.view.status == ProviderStatus::Active => {
				p.view.status = ProviderStatus::Suspended;
				Ok(())
			}
			_ => Err(DispatchError::Other("not active")),
		})
	}
	fn attestation_view_weight() -> Weight {
		Weight::zero()
	}
	fn providers_after_weight(_: u32) -> Weight {
		Weight::zero()
	}
	fn suspend_weight() -> Weight {
		Weight::zero()
	}
}

/// The mocked lease market: lease starts only.
pub struct Leases;

impl LeaseFaults<AccountId> for Leases {
	fn lease_started(lease: LeaseId) -> Option<BlockNumber> {
		LEASES.with(|l| l.borrow().get(&lease).copied())
	}
	fn fault_leases(
		provider: &AccountId,
		devices: Option<&[DeviceId]>,
		kind: FaultKind,
	) -> Result<(u32, Balance), DispatchError> {
		FAULTS.with(|f| f.borrow_mut().push((provider.clone(), devices.map(|d| d.to_vec()), kind)));
		Ok((1, 7))
	}
	fn attestation_required() -> bool {
		ATTESTATION_REQUIRED.with(|r| *r.borrow())
	}
	fn lease_started_weight() -> Weight {
		Weight::zero()
	}
	fn fault_leases_weight(_: u32) -> Weight {
		Weight::zero()
	}
}

parameter_types! {
	pub const MaxDevices: u32 = 16;
	pub const MaxModels: u32 = 16;
	pub const ClosePerBlock: u32 = 2;
	pub const PrunePerBlock: u32 = 3;
	pub const OcwProvidersPerRun: u32 = 32;
}

impl<LocalCall> frame_system::offchain::CreateTransactionBase<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extrinsic = Extrinsic;
	type RuntimeCall = RuntimeCall;
}

impl<LocalCall> frame_system::offchain::CreateTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	type Extension = ();
	fn create_transaction(call: RuntimeCall, extension: ()) -> Extrinsic {
		Extrinsic::new_transaction(call, extension)
	}
}

impl<LocalCall> frame_system::offchain::CreateAuthorizedTransaction<LocalCall> for Test
where
	RuntimeCall: From<LocalCall>,
{
	fn create_extension() {}
}

impl pallet_attestation::Config for Test {
	type Registry = Registry;
	type Leases = Leases;
	type Reputation = Rep;
	type Slashing = Slash;
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	type MaxDevices = MaxDevices;
	type MaxModels = MaxModels;
	type ClosePerBlock = ClosePerBlock;
	type PrunePerBlock = PrunePerBlock;
	type OcwProvidersPerRun = OcwProvidersPerRun;
	type WeightInfo = ();
}

/// The account of a seed byte.
pub fn account(seed: u8) -> AccountId {
	AccountId::new([seed; 32])
}

/// The worker key of a seed byte.
pub fn worker(seed: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[seed; 32])
}

/// A validator's attestation key pair of a seed byte.
pub fn validator_pair(seed: u8) -> sr25519::Pair {
	sr25519::Pair::from_seed(&[0x80 | seed; 32])
}

/// A validator's attestation key of a seed byte.
pub fn validator_key(seed: u8) -> AttestationKey {
	AttestationKey::from(validator_pair(seed).public())
}

/// Registers provider `seed` (worker key `worker(seed)`) at block `at` with `devices`
/// (id, model, state, added at).
pub fn provider(
	seed: u8,
	at: BlockNumber,
	devices: &[(DeviceId, GpuModelId, DeviceState, BlockNumber)],
) {
	PROVIDERS.with(|p| {
		p.borrow_mut().insert(
			account(seed),
			MockProvider {
				view: AttestationView {
					worker_key: worker(seed).public(),
					endpoint: b"http://203.0.113.7:8844".to_vec(),
					registered_at: at,
					status: ProviderStatus::Active,
					bond_held: 1_000,
				},
				devices: devices
					.iter()
					.map(|(id, model, state, added_at)| DeviceView {
						id: *id,
						model: *model,
						bond: 100,
						state: *state,
						added_at: *added_at,
					})
					.collect(),
			},
		)
	});
}

/// Records that lease `lease` started at `at`.
pub fn lease(lease: LeaseId, at: BlockNumber) {
	LEASES.with(|l| l.borrow_mut().insert(lease, at));
}

/// Sets a provider's endpoint.
pub fn set_endpoint(seed: u8, url: &[u8]) {
	PROVIDERS
		.with(|p| p.borrow_mut().get_mut(&account(seed)).unwrap().view.endpoint = url.to_vec());
}

/// Sets a provider's status.
pub fn set_status(seed: u8, status: ProviderStatus) {
	PROVIDERS.with(|p| p.borrow_mut().get_mut(&account(seed)).unwrap().view.status = status);
}

/// The dev parameters with a calibration of the CPU model at 1 GOPS and `validators` keys.
pub fn new_test_ext(validators: u8) -> sp_io::TestExternalities {
	PROVIDERS.with(|p| p.borrow_mut().clear());
	LEASES.with(|l| l.borrow_mut().clear());
	FAULTS.with(|f| f.borrow_mut().clear());
	REPUTATION.with(|r| r.borrow_mut().clear());
	ATTESTATION_REQUIRED.with(|r| *r.borrow_mut() = true);
	SLASHES.with(|s| s.borrow_mut().clear());
	ALLOW_PRIVATE.with(|a| *a.borrow_mut() = true);
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_attestation::GenesisConfig::<Test> {
		params: Some(AttestationParams::dev()),
		calibrations: vec![(CPU, 1)],
		keys: (0..validators).map(|i| (account(100 + i), validator_key(i))).collect(),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(0));
	ext
}

/// Runs blocks up to `n` (each with a distinct parent hash), with `on_initialize`.
pub fn run_to(n: u64) {
	while System::block_number() < n {
		let next = System::block_number() + 1;
		let parent = H256::from_low_u64_be(next.wrapping_mul(0x9e37_79b9_7f4a_7c15));
		System::reset_events();
		System::initialize(&next, &parent, &Default::default());
		Attestation::on_initialize(next);
		Attestation::do_try_state().expect("invariants hold after every block");
	}
}
