//! The chain the simulator drives: the Crucible runtime itself (`crucible_runtime::Runtime`,
//! native), in an in-memory externality. Every call goes through the runtime's dispatch as a
//! `RuntimeCall` with a signed origin, so pricing, minting, escrow payments with their
//! take-rate, redemptions, remint, caps and emission are the pallets' own code.
//!
//! Blocks run the economic hooks only (`Bme` then `Leases`, in the runtime's order); the other
//! pallets' hooks (consensus, governance) touch no money. The equivalence test replays a run
//! with every pallet's hooks to show that this changes nothing.

use codec::Encode;
use crucible_primitives::{
	bme::{CreditTotals, Credits, EpochSummary, Price, PriceView, SupplyFlows},
	currency::CRU,
	providers::{DeviceId, GpuModelId, OrderId},
	Balance, BlockNumber,
};
use crucible_runtime::{
	configs::RuntimeBlockWeights, AccountId, AllPalletsWithSystem, Balances, Bme, Leases, Runtime,
	RuntimeCall, RuntimeOrigin, System,
};
use frame_support::{
	traits::{fungible::Inspect, OnIdle, OnInitialize},
	weights::Weight,
};
use pallet_crucible_bme::{EmissionParams, MarketParams, OracleParams};
use pallet_crucible_leases::LeaseParams;
use pallet_crucible_providers::{GpuModel, ProviderParams};
use sp_runtime::{traits::Dispatchable, BuildStorage, DispatchResult};

/// The catalogue model every simulated device is (RTX 4090: the smallest bond).
pub const MODEL: GpuModelId = 6;

/// Who is who: fixed accounts, so that a run can be replayed.
pub mod who {
	use super::AccountId;

	fn account(tag: u8, i: u8) -> AccountId {
		let mut raw = [0u8; 32];
		raw[0] = tag;
		raw[1] = i;
		AccountId::new(raw)
	}
	/// CRU holders outside the protocol, and the pool: tenants buy CRU here, providers sell.
	pub fn market() -> AccountId {
		account(1, 0)
	}
	/// The tenants, as one account.
	pub fn tenant() -> AccountId {
		account(2, 0)
	}
	/// Feeder `i`.
	pub fn feeder(i: u8) -> AccountId {
		account(3, i)
	}
	/// Honest provider `i`.
	pub fn provider(i: u8) -> AccountId {
		account(4, i)
	}
	/// The attacker (a provider, tenant and redeemer at once).
	pub fn attacker() -> AccountId {
		account(5, 0)
	}
	/// The attacker's second account, the tenant of its leases to itself (the market refuses a
	/// provider's bid on its own account's order).
	pub fn attacker_tenant() -> AccountId {
		account(5, 1)
	}
}

/// CRU the market account holds at genesis (the float of holders and pools).
pub const MARKET_SUPPLY: Balance = 90_000_000 * CRU;
/// CRU the treasury holds at genesis.
pub const TREASURY_SUPPLY: Balance = 1_000_000 * CRU;
/// CRU each provider (and the attacker) starts with: bonds and fees.
pub const PROVIDER_FUNDS: Balance = 10_000 * CRU;
/// CRU each tenant account starts with: order deposits and fees.
pub const TENANT_FUNDS: Balance = 1_000 * CRU;
/// Devices each provider declares.
pub const DEVICES: u32 = 4;
/// Blocks a mint waits before it settles. The delay has to outlast the oracle's lag: the
/// simulated feeders report 0 to 2 blocks late and their feeds count from the next block, so
/// the median (3 of 5) has caught a jump 2 blocks after it; 3 keeps a block of margin.
pub const MINT_DELAY: BlockNumber = 3;

/// Chain parameters of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct ChainParams {
	pub blocks_per_epoch: BlockNumber,
	pub oracle: OracleParams,
	pub market: MarketParams,
	pub emission: EmissionParams,
	pub feeders: u8,
	pub providers: u8,
	pub attacker: bool,
}

impl ChainParams {
	/// Production parameters with epochs of `blocks_per_epoch` blocks: the TWAP window keeps
	/// its production share of the epoch (half), feeds stay fresh for three blocks, mints
	/// settle [`MINT_DELAY`] blocks after the request.
	pub fn production(blocks_per_epoch: BlockNumber) -> Self {
		ChainParams {
			blocks_per_epoch,
			oracle: OracleParams {
				twap_window: (blocks_per_epoch / 2).max(1),
				staleness: 3,
				..OracleParams::production()
			},
			market: MarketParams { mint_delay: MINT_DELAY, ..MarketParams::standard() },
			emission: EmissionParams {
				epoch_length: blocks_per_epoch,
				..EmissionParams::production()
			},
			feeders: 5,
			providers: 4,
			attacker: false,
		}
	}
}

/// A fresh chain at block 0 with the accounts, feeders, catalogue and parameters of `params`.
pub fn genesis(params: &ChainParams) -> sp_io::TestExternalities {
	let mut balances = vec![
		(who::market(), MARKET_SUPPLY),
		// Order deposits (held while an order is open) and fees.
		(who::tenant(), TENANT_FUNDS),
		(crucible_runtime::genesis_config_presets::treasury_account(), TREASURY_SUPPLY),
	];
	balances.extend((0..params.feeders).map(|i| (who::feeder(i), 10 * CRU)));
	balances.extend((0..params.providers).map(|i| (who::provider(i), PROVIDER_FUNDS)));
	if params.attacker {
		balances.push((who::attacker(), PROVIDER_FUNDS));
		balances.push((who::attacker_tenant(), TENANT_FUNDS));
	}
	let mut storage = frame_system::GenesisConfig::<Runtime>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Runtime> { balances, ..Default::default() }
		.assimilate_storage(&mut storage)
		.unwrap();
	pallet_crucible_bme::GenesisConfig::<Runtime> {
		feeders: (0..params.feeders).map(who::feeder).collect(),
		oracle: params.oracle,
		market: params.market,
		emission: params.emission,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_crucible_providers::GenesisConfig::<Runtime> {
		catalogue: GpuModel::standard_catalogue(),
		params: ProviderParams::production(),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_crucible_leases::GenesisConfig::<Runtime> {
		params: LeaseParams::production(),
		_config: Default::default(),
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	storage.into()
}

/// Which hooks a block runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookSet {
	/// `Bme` and `Leases` (the simulator): their `on_initialize` and, at the end of the
	/// block, the lease sweep's `on_idle` (the BME has none).
	Economic,
	/// Every pallet's `on_initialize` and `on_idle`, as `Executive` runs them. (`on_finalize`
	/// is left out: timestamp's needs the block's inherent, and no pallet moves money in it.)
	All,
}

/// One step of a run, as recorded for replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
	/// A new block.
	Block(BlockNumber),
	/// A signed call (SCALE-encoded `RuntimeCall`).
	Call(AccountId, Vec<u8>),
}

/// The driver: block production, signed calls, an optional log of both.
pub struct Driver {
	pub now: BlockNumber,
	pub hooks: HookSet,
	pub log: Option<Vec<Action>>,
	/// What this block's `on_initialize` used (the calls here pay no fees and their weight is
	/// not counted, so `on_idle` gets the rest of the block).
	used: Weight,
}

impl Driver {
	pub fn new(hooks: HookSet, record: bool) -> Self {
		Driver { now: 0, hooks, log: record.then(Vec::new), used: Weight::zero() }
	}

	/// Finishes the current block (its `on_idle`) and starts the next one (its
	/// `on_initialize`).
	pub fn next_block(&mut self) {
		if self.now > 0 {
			self.finish_block();
		}
		self.now += 1;
		self.start_block(self.now);
	}

	fn finish_block(&mut self) {
		let n = self.now;
		let left = RuntimeBlockWeights::get().max_block.saturating_sub(self.used);
		match self.hooks {
			HookSet::Economic => {
				Leases::on_idle(n, left);
			}
			HookSet::All => {
				AllPalletsWithSystem::on_idle(n, left);
			}
		}
	}

	fn start_block(&mut self, n: BlockNumber) {
		if let Some(log) = &mut self.log {
			log.push(Action::Block(n));
		}
		System::set_block_number(n);
		// Events belong to their block; the chain drops them at the next.
		System::reset_events();
		self.used = match self.hooks {
			HookSet::Economic => Bme::on_initialize(n).saturating_add(Leases::on_initialize(n)),
			HookSet::All => AllPalletsWithSystem::on_initialize(n),
		};
	}

	/// Dispatches `call` signed by `signer` (no fees: the simulator prices compute, not
	/// blockspace).
	pub fn call(&mut self, signer: &AccountId, call: RuntimeCall) -> DispatchResult {
		if let Some(log) = &mut self.log {
			log.push(Action::Call(signer.clone(), call.encode()));
		}
		call.dispatch(RuntimeOrigin::signed(signer.clone())).map(|_| ()).map_err(|e| e.error)
	}

	/// Replays `actions` on the current externality.
	pub fn replay(&mut self, actions: &[Action]) -> Vec<(BlockNumber, DispatchResult)> {
		use codec::Decode;
		let mut results = Vec::new();
		for a in actions {
			match a {
				Action::Block(n) => {
					while self.now < *n {
						self.next_block();
					}
				}
				Action::Call(signer, raw) => {
					let call = RuntimeCall::decode(&mut &raw[..]).expect("recorded calls decode");
					results.push((self.now, self.call(signer, call)));
				}
			}
		}
		results
	}

	// ---- the calls agents make ----

	pub fn submit_price(&mut self, feeder: &AccountId, price: f64) -> DispatchResult {
		let call = pallet_crucible_bme::Call::submit_price { price: to_price(price) };
		self.call(feeder, call.into())
	}

	pub fn mint(&mut self, who: &AccountId, cru: Balance) -> DispatchResult {
		let call = pallet_crucible_bme::Call::mint_credits { cru, min_credits_out: Credits(0) };
		self.call(who, call.into())
	}

	pub fn redeem(&mut self, who: &AccountId, credits: Credits) -> DispatchResult {
		self.call(who, pallet_crucible_bme::Call::redeem { credits }.into())
	}

	pub fn transfer(
		&mut self,
		from: &AccountId,
		to: &AccountId,
		amount: Balance,
	) -> DispatchResult {
		let call =
			pallet_balances::Call::transfer_keep_alive { dest: to.clone().into(), value: amount };
		self.call(from, call.into())
	}

	/// Registers `who` as a provider with [`DEVICES`] devices of [`MODEL`].
	pub fn register_provider(&mut self, who: &AccountId, key: u8) -> DispatchResult {
		let call = pallet_crucible_providers::Call::register_provider {
			endpoint: format!("https://p{key}.example.net:8443").into_bytes(),
			region: b"eu-west".to_vec(),
			worker_key: sp_core::sr25519::Public::from_raw([key; 32]),
			metadata: Vec::new(),
		};
		self.call(who, call.into())?;
		let call = pallet_crucible_providers::Call::add_devices { model: MODEL, count: DEVICES };
		self.call(who, call.into())
	}

	/// A lease of one GPU of `provider`'s `device` for `blocks` blocks at `price` credits per
	/// block, paid from `tenant`'s purchased credits: order, bid and acceptance in this block.
	pub fn lease(
		&mut self,
		tenant: &AccountId,
		provider: &AccountId,
		device: DeviceId,
		price: Credits,
		blocks: BlockNumber,
	) -> Result<OrderId, sp_runtime::DispatchError> {
		let order = pallet_crucible_leases::NextId::<Runtime>::get();
		let request = pallet_crucible_leases::Request {
			models: vec![MODEL].try_into().expect("one model fits"),
			min_vram_mib: 0,
			gpus: 1,
			region: None,
		};
		let window = pallet_crucible_leases::Params::<Runtime>::get().min_bid_window;
		let escrow = Credits(price.0.saturating_mul(u128::from(blocks)));
		let call = pallet_crucible_leases::Call::create_order {
			request,
			max_price: price,
			duration: blocks,
			escrow,
			bid_window: window,
		};
		self.call(tenant, call.into())?;
		let devices = vec![device].try_into().expect("one device fits");
		let call = pallet_crucible_leases::Call::bid { order, price, devices };
		if let Err(e) = self.call(provider, call.into()) {
			self.call(tenant, pallet_crucible_leases::Call::cancel_order { order }.into())?;
			return Err(e);
		}
		let call = pallet_crucible_leases::Call::accept_bid { order, provider: provider.clone() };
		self.call(tenant, call.into())?;
		Ok(order)
	}
}

/// A model price (USD per CRU, `f64`) as the chain's fixed-point price (18 decimals, floored).
pub fn to_price(usd: f64) -> Price {
	Price::from_inner((usd.max(0.0) * 1e18) as u128)
}

/// A chain price as `f64` (for the models and the report only).
pub fn from_price(p: Price) -> f64 {
	p.into_inner() as f64 / 1e18
}

/// Plancks as CRU in `f64` (report only).
pub fn cru(plancks: Balance) -> f64 {
	plancks as f64 / CRU as f64
}

/// Micro-credits as USD in `f64` (report only).
pub fn usd(c: Credits) -> f64 {
	c.0 as f64 / 1e6
}

// ---- reading the chain ----

pub fn totals() -> CreditTotals {
	pallet_crucible_bme::Totals::<Runtime>::get()
}

pub fn supply() -> SupplyFlows {
	pallet_crucible_bme::Supply::<Runtime>::get()
}

pub fn summary(epoch: u32) -> Option<EpochSummary> {
	pallet_crucible_bme::Summaries::<Runtime>::get(epoch)
}

pub fn price_view() -> PriceView<AccountId> {
	Bme::price_view()
}

pub fn issuance() -> Balance {
	Balances::total_issuance()
}

pub fn genesis_issuance() -> Balance {
	pallet_crucible_bme::GenesisIssuance::<Runtime>::get()
}

pub fn free(who: &AccountId) -> Balance {
	Balances::balance(who)
}

/// CRU on hold for mints waiting to settle.
pub fn minting(who: &AccountId) -> Balance {
	pallet_crucible_bme::Pallet::<Runtime>::account_view(who.clone()).minting
}

/// The settlement delay of mints.
pub fn mint_delay() -> BlockNumber {
	pallet_crucible_bme::MarketConfig::<Runtime>::get().mint_delay
}

pub fn credits(who: &AccountId) -> pallet_crucible_bme::CreditAccount {
	pallet_crucible_bme::Accounts::<Runtime>::get(who)
}

pub fn queued(who: &AccountId) -> Credits {
	pallet_crucible_bme::Requests::<Runtime>::get(who).map_or(Credits(0), |r| r.credits)
}

pub fn requests() -> u32 {
	pallet_crucible_bme::RequestCount::<Runtime>::get()
}

pub fn subnet_pot() -> Balance {
	pallet_crucible_bme::SubnetPot::<Runtime>::get()
}

pub fn epoch_index() -> u32 {
	pallet_crucible_bme::Epoch::<Runtime>::get().index
}

pub fn remint_pool() -> Balance {
	Bme::remint_pool()
}

/// Everything the BME counts, and every simulated account's money: what the equivalence test
/// compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
	pub block: BlockNumber,
	pub totals: CreditTotals,
	pub supply: SupplyFlows,
	pub issuance: Balance,
	pub subnet_pot: Balance,
	pub requests: u32,
	pub epoch: u32,
	/// The TWAP `crucible_bmePrice` shows.
	pub twap: Option<Price>,
	/// The remint pool.
	pub remint_pool: Balance,
	pub last_summary: Option<EpochSummary>,
	pub accounts: Vec<(Balance, pallet_crucible_bme::CreditAccount, Credits)>,
}

/// The snapshot of the current state over `accounts`.
pub fn snapshot(accounts: &[AccountId]) -> Snapshot {
	let epoch = epoch_index();
	Snapshot {
		block: System::block_number(),
		totals: totals(),
		supply: supply(),
		issuance: issuance(),
		subnet_pot: subnet_pot(),
		requests: requests(),
		epoch,
		twap: price_view().twap,
		remint_pool: remint_pool(),
		last_summary: epoch.checked_sub(1).and_then(summary),
		accounts: accounts
			.iter()
			.map(|a| (Balances::total_balance(a), credits(a), queued(a)))
			.collect(),
	}
}

/// The runtime's try-state checks of the BME and the market (conservation of credits, escrow
/// accounting, the remint pool): run at the end of every simulated run.
pub fn check_invariants() -> Result<(), sp_runtime::TryRuntimeError> {
	Bme::do_try_state()?;
	// Every account's pending-mint hold (pallet-balances' own records), not only those of
	// accounts with a pending mint, against the BME's running total.
	let reason: crucible_runtime::RuntimeHoldReason =
		pallet_crucible_bme::HoldReason::PendingMint.into();
	let held = pallet_balances::Holds::<crucible_runtime::Runtime>::iter_values()
		.flat_map(|holds| holds.into_iter())
		.filter(|h| h.id == reason)
		.fold(0u128, |acc, h| acc.saturating_add(h.amount));
	frame_support::ensure!(
		held == pallet_crucible_bme::MintHeld::<crucible_runtime::Runtime>::get(),
		"PendingMint holds differ from the BME's MintHeld"
	);
	Leases::do_try_state()
}
