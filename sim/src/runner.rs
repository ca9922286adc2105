//! The scenario runner: one block at a time, the market moves, feeders report, and at each
//! epoch's first block tenants buy credits and lease, providers redeem and sell, and the
//! attacker does its thing; the chain (the runtime's own pallets) does all the money. One row
//! per epoch, read from the chain after that epoch's boundary.

use crate::{
	chain::{self, who, Action, ChainParams, Driver, HookSet, DEVICES},
	model::{Demand, FeederKind, Market, Rng},
	scenario::{Attack, Scenario},
};
use crucible_primitives::{bme::Credits, currency::CRU, Balance, BlockNumber};
use crucible_runtime::AccountId;
use pallet_crucible_bme::math;

/// Blocks per simulated (hourly) epoch unless told otherwise.
pub const BLOCKS_PER_EPOCH: u32 = 20;
/// Honest providers.
pub const PROVIDERS: u8 = 4;

/// One epoch of a run. Amounts: CRU and USD as `f64`, converted from the chain's integers for
/// the report only; the integer counters are in [`Run::last`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
	pub epoch: u32,
	pub price: f64,
	pub fundamental: f64,
	pub twap: f64,
	pub redeem_price: f64,
	pub executed: bool,
	pub demand_usd: f64,
	pub served_usd: f64,
	pub purchased: f64,
	pub escrowed: f64,
	pub earned: f64,
	pub queued: f64,
	pub eligible: f64,
	pub credits_minted: f64,
	pub credits_redeemed: f64,
	pub take_rate_burned: f64,
	pub burned: f64,
	pub spread_burned: f64,
	pub reminted: f64,
	pub new_supply: f64,
	pub realized_net_burn: f64,
	pub emitted_providers: f64,
	pub emitted_treasury: f64,
	pub subnet_accrued: f64,
	pub withheld: f64,
	pub scheduled: f64,
	pub cap: f64,
	pub queue_requests: u32,
	pub remint_pool: f64,
	/// CRU paid to redemptions beyond what their credits burned on average when minted.
	pub drag: f64,
	/// Cumulative net change of CRU issuance, % of genesis issuance.
	pub net_supply_pct: f64,
	/// Cumulative hard envelope: scheduled emission + the new-supply cap, % of genesis.
	pub envelope_pct: f64,
	/// Cumulative scheduled emission (a token without burn-and-mint), % of genesis.
	pub baseline_pct: f64,
	/// The attacker's cumulative profit, USD.
	pub attacker_profit: f64,
	/// The attacker's CRU above its reserves (its position, marked at `price` in
	/// `attacker_profit`).
	pub attacker_cru: f64,
}

/// A finished run.
#[derive(Clone, Debug)]
pub struct Run {
	pub scenario: Scenario,
	pub seed: u64,
	/// CRU issuance at genesis.
	pub genesis: f64,
	pub rows: Vec<Row>,
	/// The attacker's profit at the end, USD (for a push: against the run without it).
	pub attacker_profit: f64,
	/// The attacker's profit in CRU (CRU received − CRU spent).
	pub attacker_profit_cru: f64,
	/// The attacker's CRU above its reserves at the end, and the market price it is marked at.
	pub attacker_cru: f64,
	pub end_price: f64,
	/// For a push: what the attacker's CRU at the end would gain valued at this run's end price
	/// instead of the run without the push's (not counted in `attacker_profit`).
	pub attacker_revaluation: f64,
	/// Attack round trips completed (a refunded mint ends its round).
	pub attacks: u32,
	/// Leases the attacker's tenant account took from the attacker (an attack that never
	/// leased did not run).
	pub attacker_leases: u32,
	/// Of which the mint was refunded (the oracle could not price at settlement).
	pub refunded: u32,
	/// Credits (USD) the attacker's redemptions were paid for by the end.
	pub attacker_redeemed: f64,
	/// USD the attacker paid into the pool for CRU and received from it for CRU, over the run
	/// (its trades: an attack that traded nothing did not run).
	pub attacker_bought_usd: f64,
	pub attacker_sold_usd: f64,
	/// What the redeem price's look-back cost redeemers: 1 − (CRU paid per credit at the
	/// chain's rule) / (CRU the same credits fetch at max(TWAP, median)), over the run.
	pub lookback_cost: f64,
	/// Remint drag of the whole run: CRU paid per credit redeemed over CRU burned per credit
	/// minted, minus one.
	pub drag_ratio: f64,
	/// Redemption waits after a run: (pro rata, FIFO) credit-weighted mean and worst wait in
	/// epochs.
	pub waits: Option<Waits>,
	/// The calls and blocks of the run, when recorded.
	pub log: Option<Vec<Action>>,
	/// Snapshots after each epoch's boundary, when recorded.
	pub snapshots: Vec<chain::Snapshot>,
	/// The BME's and the market's try-state checks at the end.
	pub invariants: Result<(), String>,
}

impl Run {
	/// The net change of CRU issuance per epoch over the second half of the run (after the
	/// averages the caps use have filled), and the subnet pot's accrual per epoch over the
	/// same epochs (issuance too, once the subnets draw it).
	pub fn net_cru_per_epoch(&self) -> (f64, f64) {
		let n = self.rows.len();
		if n < 2 {
			return (0.0, 0.0);
		}
		let (mid, last) = (&self.rows[n / 2], &self.rows[n - 1]);
		let epochs = (n - 1 - n / 2).max(1) as f64;
		let net = (last.net_supply_pct - mid.net_supply_pct) / 100.0 * self.genesis / epochs;
		let pot = self.rows[n / 2 + 1..].iter().map(|r| r.subnet_accrued).sum::<f64>() / epochs;
		(net, pot)
	}
}

/// Waiting times of redemption requests (epochs from request to fill).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Waits {
	pub pro_rata_mean: f64,
	pub pro_rata_max: f64,
	pub fifo_mean: f64,
	pub fifo_max: f64,
	/// Mean wait of the first half of requesters (by time) / of the second half.
	pub pro_rata_first_vs_last: (f64, f64),
	pub fifo_first_vs_last: (f64, f64),
}

/// Options of one run.
#[derive(Clone, Copy, Debug)]
pub struct Options {
	pub seed: u64,
	pub blocks_per_epoch: u32,
	/// Record the calls and the per-epoch snapshots (equivalence test).
	pub record: bool,
	pub hooks: HookSet,
	/// For a boundary push: the same round trip without the push (the counterfactual).
	pub suppress_attack: bool,
}

impl Options {
	pub fn new(seed: u64) -> Self {
		Options {
			seed,
			blocks_per_epoch: BLOCKS_PER_EPOCH,
			record: false,
			hooks: HookSet::Economic,
			suppress_attack: false,
		}
	}
}

/// The accounts a snapshot covers.
pub fn tracked_accounts() -> Vec<AccountId> {
	let mut v = vec![who::market(), who::tenant(), who::attacker(), who::attacker_tenant()];
	v.extend((0..PROVIDERS).map(who::provider));
	v.push(crucible_runtime::genesis_config_presets::treasury_account());
	v
}

/// The chain parameters of `s`.
pub fn chain_params(s: &Scenario, blocks_per_epoch: u32) -> ChainParams {
	let mut p = ChainParams::production(blocks_per_epoch);
	p.providers = PROVIDERS;
	p.feeders = s.oracle.feeders.len() as u8;
	p.attacker = true;
	if let Some(v) = s.tweaks.spread {
		p.market.spread = v;
	}
	if let Some(v) = s.tweaks.take_rate {
		p.market.take_rate = v;
	}
	if let Some(v) = s.tweaks.provider_cap_k {
		p.emission.provider_cap_k = v;
	}
	if let Some(v) = s.tweaks.mint_delay {
		p.market.mint_delay = v;
	}
	if let Some(v) = s.oracle.staleness {
		p.oracle.staleness = v;
	}
	p
}

/// USD → the integer plancks a model amount of CRU is, floored.
fn plancks(cru: f64) -> Balance {
	(cru.max(0.0) * CRU as f64) as Balance
}

/// The steepest a mint push raises the price per block.
const RAMP: f64 = 1.007;

/// The attacker's books.
#[derive(Default)]
struct Book {
	spent_usd: f64,
	received_usd: f64,
	spent_cru: Balance,
	received_cru: Balance,
	rounds: u32,
	/// Rounds whose mint was refunded.
	refunded: u32,
	/// Leases to itself (through its second account).
	leases: u32,
	/// Micro-credits it queued for redemption.
	requested: u128,
	/// USD the CRU it held gained or lost with the fundamental price's moves (not with the
	/// impact of its own trades or its decay).
	market_pnl: f64,
	/// Its CRU above the reserve, the price and the fundamental price after its last move.
	held_cru: f64,
	held_at: f64,
	held_fundamental: f64,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Phase {
	Idle,
	/// Minting phase of a collusion round: feeders skew up until `until`.
	SkewUp {
		until: BlockNumber,
	},
	/// Minted; the mint settles in the given block or, while the oracle cannot price, later
	/// (then it leases).
	Minting {
		at: BlockNumber,
	},
	/// Leased to itself until the given block.
	Leased {
		until: BlockNumber,
	},
	/// Redeeming; waiting to be paid.
	Redeeming,
}

struct Sim<'a> {
	s: &'a Scenario,
	o: Options,
	d: Driver,
	market: Market,
	demand: Demand,
	feed_rng: Rng,
	/// Market prices by block (for lagged feeds).
	history: Vec<f64>,
	/// Venue 0's prices by block (for the feeds that read it, with several venues).
	venue_history: Vec<f64>,
	/// Mint push: the log impact its purchases still hold up, and whether it minted.
	push_log: f64,
	mint_pushed: bool,
	/// CRU paid per boundary to redemptions at the chain's rule and at max(TWAP, median)
	/// (the rule before the look-back), summed.
	lookback: (f64, f64),
	e: u32,
	/// CRU each provider keeps (bonds are held; this is the free part at registration).
	reserve: Vec<Balance>,
	attacker_reserve: Balance,
	/// CRU the attacker's tenant account keeps (order deposits and fees).
	tenant_reserve: Balance,
	book: Book,
	phase: Phase,
	/// Collusion: the skew feeders report now (fraction).
	skew: f64,
	/// Boundary push: CRU sold into the pool to push, to buy back.
	pushed_cru: f64,
	rows: Vec<Row>,
	snapshots: Vec<chain::Snapshot>,
	demand_now: (f64, f64),
	/// Tenants: the epoch's demand (USD) not yet bought, the CRU bought and not yet minted,
	/// and the block their mint settles (they lease then).
	tenant_wants: f64,
	tenant_cru: Balance,
	tenant_settles: Option<BlockNumber>,
	cum: Cum,
	/// Blocks a mint waits to settle.
	delay: BlockNumber,
	/// Redemption requests after a run starts: (who, epoch requested, credits).
	run_requests: Vec<(u8, u32, u128)>,
	run_boundaries: Vec<(u32, u128)>,
}

#[derive(Default, Clone, Copy)]
struct Cum {
	scheduled: f64,
	credits_minted: u128,
	burned_to_pool: u128,
	credits_redeemed: u128,
	paid: u128,
}

/// Epochs between commits of the externality's overlay into its backend: removed keys stay
/// in the overlay until then, and storage iteration walks over them.
const COMMIT_EVERY: u32 = 24;

/// Runs `s` with `o`.
pub fn run(s: &Scenario, o: Options) -> Run {
	let o = Options { blocks_per_epoch: s.blocks_per_epoch.unwrap_or(o.blocks_per_epoch), ..o };
	let params = chain_params(s, o.blocks_per_epoch);
	let mut ext = chain::genesis(&params);
	let mut sim = Sim::new(s, o);
	ext.execute_with(|| sim.start());
	let mut epoch = 0;
	while epoch < s.epochs {
		let to = (epoch + COMMIT_EVERY).min(s.epochs);
		ext.execute_with(|| sim.blocks_until((to + 1) * o.blocks_per_epoch));
		ext.commit_all().expect("the in-memory backend commits");
		epoch = to;
	}
	let mut out = ext.execute_with(|| sim.finish());
	if let Attack::BoundaryPush { .. } | Attack::MintPush { .. } = s.attack {
		if !o.suppress_attack {
			let base = run(s, Options { suppress_attack: true, record: false, ..o });
			// The attacker's wealth against the same market without the push, both marked at
			// the price of the market without it: the pusher holds an inventory (2M CRU), and
			// valued at each run's own end price a difference of the pool's impact at the end
			// (the honest flows' own, after a boundary the push changed) would count some
			// 0.1% of it, a paper gain or loss that selling into the pool would not realise.
			out.attacker_revaluation = out.attacker_cru * (out.end_price - base.end_price);
			out.attacker_profit -= base.attacker_profit + out.attacker_revaluation;
			out.attacker_profit_cru -= base.attacker_profit_cru;
			for (r, b) in out.rows.iter_mut().zip(&base.rows) {
				r.attacker_profit -= b.attacker_profit + r.attacker_cru * (r.price - b.price);
			}
		}
	}
	out
}

impl<'a> Sim<'a> {
	fn new(s: &'a Scenario, o: Options) -> Self {
		Sim {
			s,
			o,
			d: Driver::new(o.hooks, o.record),
			market: Market::new(s.price.clone(), o.blocks_per_epoch, o.seed),
			demand: Demand::new(s.demand.clone(), o.seed),
			feed_rng: Rng::new(o.seed, 3),
			history: Vec::new(),
			venue_history: Vec::new(),
			push_log: 0.0,
			mint_pushed: false,
			lookback: (0.0, 0.0),
			e: o.blocks_per_epoch,
			reserve: Vec::new(),
			attacker_reserve: 0,
			tenant_reserve: 0,
			book: Book::default(),
			phase: Phase::Idle,
			skew: 0.0,
			pushed_cru: 0.0,
			rows: Vec::new(),
			snapshots: Vec::new(),
			demand_now: (0.0, 0.0),
			tenant_wants: 0.0,
			tenant_cru: 0,
			tenant_settles: None,
			cum: Cum::default(),
			run_requests: Vec::new(),
			run_boundaries: Vec::new(),
			delay: 0,
		}
	}

	/// Block 1: providers (and the attacker, as a provider) register; feeders start.
	fn start(&mut self) {
		self.delay = chain::mint_delay();
		assert!(self.delay + 2 < self.e, "mints settle within the epoch, leases run after");
		self.d.next_block();
		self.history.push(self.market.price());
		self.venue_history.push(self.market.venue_price());
		for i in 0..PROVIDERS {
			self.d.register_provider(&who::provider(i), i + 1).expect("provider registers");
			self.reserve.push(chain::free(&who::provider(i)));
		}
		self.d.register_provider(&who::attacker(), 200).expect("attacker registers");
		self.attacker_reserve = chain::free(&who::attacker());
		self.tenant_reserve = chain::free(&who::attacker_tenant());
		if let Attack::BoundaryPush { .. } | Attack::MintPush { .. } = self.s.attack {
			// The pusher's inventory: CRU bought long before (not counted as a cost: it is
			// the same with and without the push).
			let inventory = plancks(2_000_000.0);
			self.d.transfer(&who::market(), &who::attacker(), inventory).expect("funded");
			self.attacker_reserve += inventory;
		}
		self.feed();
	}

	/// Runs blocks up to `last`. Chain epoch 0 is a warm-up (the oracle needs a clean TWAP
	/// window); model epoch k is chain epoch k + 1.
	fn blocks_until(&mut self, last: BlockNumber) {
		while self.d.now < last {
			self.d.next_block();
			self.market.step();
			self.history.push(self.market.price());
			self.venue_history.push(self.market.venue_price());
			let n = self.d.now;
			let epoch = n / self.e;
			if n.is_multiple_of(self.e) && epoch >= 2 {
				self.record(epoch - 2);
			}
			if n.is_multiple_of(self.e) && epoch >= 1 && epoch <= self.s.epochs {
				self.epoch_actions(epoch - 1);
			}
			if epoch >= 1 && epoch <= self.s.epochs {
				self.tenant_mint(n, epoch - 1);
			}
			if self.book.held_fundamental > 0.0 {
				let moved = self.market.fundamental() / self.book.held_fundamental - 1.0;
				self.book.market_pnl += self.book.held_cru * self.book.held_at * moved;
			}
			self.attack(epoch.saturating_sub(1), n);
			self.book.held_cru = self.spare_cru();
			self.book.held_at = self.market.price();
			self.book.held_fundamental = self.market.fundamental();
			self.feed();
		}
	}

	fn finish(&mut self) -> Run {
		let invariants = chain::check_invariants().map_err(|e| format!("{e:?}"));
		let (profit, profit_cru) = self.profit();
		let waits = self.s.run.map(|_| self.waits());
		let c = self.cum;
		let drag_ratio = if c.credits_redeemed > 0 && c.burned_to_pool > 0 {
			(c.paid as f64 / c.credits_redeemed as f64)
				/ (c.burned_to_pool as f64 / c.credits_minted as f64)
				- 1.0
		} else {
			0.0
		};
		Run {
			scenario: self.s.clone(),
			seed: self.o.seed,
			genesis: chain::cru(chain::genesis_issuance()),
			rows: core::mem::take(&mut self.rows),
			attacker_profit: profit,
			attacker_profit_cru: profit_cru,
			attacker_cru: self.spare_cru(),
			end_price: self.market.price(),
			attacker_revaluation: 0.0,
			attacks: self.book.rounds,
			attacker_leases: self.book.leases,
			refunded: self.book.refunded,
			lookback_cost: if self.lookback.1 > 0.0 {
				1.0 - self.lookback.0 / self.lookback.1
			} else {
				0.0
			},
			attacker_redeemed: self.book.requested.saturating_sub(chain::queued(&who::attacker()).0)
				as f64 / 1e6,
			attacker_bought_usd: self.book.spent_usd,
			attacker_sold_usd: self.book.received_usd,
			drag_ratio,
			waits,
			log: self.d.log.take(),
			snapshots: core::mem::take(&mut self.snapshots),
			invariants,
		}
	}

	/// Feeders report (their feeds count from the next block).
	fn feed(&mut self) {
		let n = self.d.now;
		let epoch = (n / self.e).saturating_sub(1);
		if self.s.oracle.censored_in(epoch) {
			return;
		}
		let feeders = self.s.oracle.feeders.clone();
		let venues = self.s.oracle.venues.max(1) as usize;
		for (i, f) in feeders.iter().enumerate() {
			if !self.s.oracle.posts(i, n) {
				continue;
			}
			// With one venue every feeder reads the pool the attacker trades in (`history`).
			let series =
				if venues > 1 && i % venues == 0 { &self.venue_history } else { &self.history };
			let at = |lag: u32| series[series.len().saturating_sub(1 + lag as usize)];
			let price = match *f {
				FeederKind::Silent => continue,
				FeederKind::Honest { lag, noise } => {
					at(lag) * (1.0 + noise * self.feed_rng.normal())
				}
				FeederKind::Colluding { lag } => at(lag) * (1.0 + self.skew),
			};
			// A feeder that already fed this block, or a zero price, is refused: nothing to do.
			let _ = self.d.submit_price(&who::feeder(i as u8), price);
		}
	}

	/// Providers redeem and sell, tenants buy CRU and mint, at the first block of `epoch`.
	fn epoch_actions(&mut self, epoch: u32) {
		let price = self.market.price();
		let run = self.s.run.is_some_and(|r| epoch >= r.epoch);
		// Providers: redeem what they do not keep as float; sell what they were paid.
		for i in 0..PROVIDERS {
			let p = who::provider(i);
			let earned = chain::credits(&p).earned.0;
			let keep = if run { 0.0 } else { self.s.float };
			let amount = earned - (earned as f64 * keep) as u128;
			if self.d.redeem(&p, Credits(amount)).is_ok() && self.s.run.is_some() && run {
				self.run_requests.push((i, epoch, amount));
			}
			let spare = chain::free(&p).saturating_sub(self.reserve[i as usize]);
			if spare > CRU && self.d.transfer(&p, &who::market(), spare).is_ok() {
				self.market.trade(-chain::cru(spare) * price);
			}
		}
		// Tenants: the epoch's demand, bought and minted by `tenant_mint`.
		let want = self.demand.usd(epoch);
		self.tenant_wants = want;
		self.tenant_cru = 0;
		self.tenant_settles = None;
		self.demand_now = (want, 0.0);
	}

	/// Tenants buy CRU for the epoch's demand and mint, from the epoch's first block, and
	/// again in each later block while the oracle gives no mint price or the mint is refused
	/// (a tenant that needs compute comes back; the breaker does not make it go away), as
	/// long as the mint settles with blocks left to lease. They lease once it settled.
	fn tenant_mint(&mut self, n: BlockNumber, epoch: u32) {
		if self.tenant_settles == Some(n) {
			self.tenant_settles = None;
			self.tenant_leases(epoch, self.e - 1 - n % self.e);
			return;
		}
		if self.tenant_settles.is_some() || n % self.e + self.delay + 2 > self.e {
			return;
		}
		if self.tenant_cru == 0 && self.tenant_wants > 0.0 {
			let Some(mint_price) = chain::price_view().mint_price else { return };
			let cru = self.tenant_wants / chain::from_price(mint_price);
			if self.d.transfer(&who::market(), &who::tenant(), plancks(cru)).is_ok() {
				let price = self.market.price();
				self.market.trade(cru * price);
				self.tenant_cru = plancks(cru);
				self.tenant_wants = 0.0;
			}
		}
		if self.tenant_cru > 0 && self.d.mint(&who::tenant(), self.tenant_cru).is_ok() {
			self.tenant_cru = 0;
			self.tenant_settles = Some(n + self.delay);
		}
	}

	/// Tenants lease from every provider with the credits their mint bought (it settled in
	/// this block), until the epoch's last block.
	fn tenant_leases(&mut self, epoch: u32, blocks: BlockNumber) {
		let mut served = 0.0;
		let budget = chain::credits(&who::tenant()).purchased.0;
		let per = budget / u128::from(PROVIDERS) / u128::from(blocks);
		if per > 0 {
			for i in 0..PROVIDERS {
				let device = epoch % DEVICES;
				let leased =
					self.d.lease(&who::tenant(), &who::provider(i), device, Credits(per), blocks);
				if leased.is_ok() {
					served += chain::usd(Credits(per * u128::from(blocks)));
				}
			}
		}
		self.demand_now.1 = served;
	}

	/// The attacker's move in block `n` of model epoch `epoch`.
	fn attack(&mut self, epoch: u32, n: BlockNumber) {
		let a = who::attacker();
		match self.s.attack.clone() {
			Attack::None => {}
			Attack::LagArbitrage { budget, edge } => match self.phase {
				Phase::Idle => {
					let Some(mint) = chain::price_view().mint_price else { return };
					let stale = chain::from_price(mint) / self.market.price() - 1.0;
					if stale > edge && self.round_trip_start(budget) {
						self.phase = Phase::Minting { at: n + self.delay };
					}
				}
				_ => self.round_trip_continue(n),
			},
			Attack::Collusion { bias, budget, .. } => match self.phase {
				Phase::Idle => {
					if n % self.e == 1 {
						// Skew up for a whole TWAP window, then mint.
						self.skew = bias;
						let w =
							pallet_crucible_bme::OracleConfig::<crucible_runtime::Runtime>::get()
								.twap_window;
						self.phase = Phase::SkewUp { until: n + w + 2 };
					}
				}
				Phase::SkewUp { until } if n >= until => {
					if self.round_trip_start(budget) {
						self.phase = Phase::Minting { at: n + self.delay };
					} else {
						self.skew = 0.0;
						self.phase = Phase::Idle;
					}
				}
				Phase::SkewUp { .. } => {}
				Phase::Leased { until } if n > until => {
					self.skew = -bias;
					self.round_trip_continue(n);
				}
				_ => {
					self.round_trip_continue(n);
					if self.phase == Phase::Idle {
						self.skew = 0.0;
					}
				}
			},
			Attack::Farmer { volume } => {
				if n.is_multiple_of(self.e) {
					// Redeem everything earned, sell what was paid, then mint again.
					let earned = chain::credits(&a).earned;
					if self.d.redeem(&a, earned).is_ok() {
						self.book.requested += earned.0;
					}
					self.sell_all();
					self.buy_and_mint(volume);
				}
				if n % self.e == self.delay {
					// The mint settled: lease to itself (from its second account) until the
					// epoch's last block.
					let t = who::attacker_tenant();
					let credits = chain::credits(&t).purchased.0;
					let blocks = self.e - 1 - self.delay;
					let per = credits / u128::from(blocks);
					let device = epoch % DEVICES;
					if per > 0 && self.d.lease(&t, &a, device, Credits(per), blocks).is_ok() {
						self.book.rounds += 1;
						self.book.leases += 1;
					}
				}
			}
			Attack::MintPush { credits, push, epoch: target } => {
				let w = pallet_crucible_bme::OracleConfig::<crucible_runtime::Runtime>::get()
					.twap_window;
				let t = who::attacker_tenant();
				let start = (target + 1) * self.e + 1;
				// The ramp, then a whole TWAP window at the pushed price.
				let ramp = ((1.0 + push).ln() / RAMP.ln()).ceil() as u32;
				let mint_at = start + ramp + w + 2;
				let pushing = !self.o.suppress_attack;
				let window_end = mint_at + self.e;
				if !self.mint_pushed && n == window_end {
					// No mint settled within the epoch: the push is sold back, the attack over.
					self.release_push();
				}
				if pushing
					&& self.phase == Phase::Idle
					&& !self.mint_pushed
					&& n >= start && n < window_end
				{
					self.hold_push(push);
				}
				// Minted once, as soon as the oracle prices (in both runs), within an epoch.
				if n >= mint_at
					&& n < mint_at + self.e
					&& self.phase == Phase::Idle
					&& !self.mint_pushed
				{
					// From its inventory, through its second account (the tenant of its
					// lease): the same with and without the push.
					let cru = plancks(credits / self.market.price());
					if self.d.transfer(&a, &t, cru).is_ok() {
						if self.d.mint(&t, cru).is_ok() {
							self.mint_pushed = true;
							self.phase = Phase::Minting { at: n + self.delay };
						} else {
							let back = chain::free(&t).saturating_sub(self.tenant_reserve);
							let _ = self.d.transfer(&t, &a, back);
						}
					}
				}
				if let Phase::Minting { at } = self.phase {
					if n < at || chain::minting(&t) > 0 {
						// Held until the mint settles (at the lower of its quote and the
						// price then).
						if pushing {
							self.hold_push(push);
						}
					} else {
						self.release_push();
					}
				}
				if self.phase != Phase::Idle {
					self.round_trip_continue(n);
				}
			}
			Attack::BoundaryPush { credits, push, epoch: target } => {
				let w = pallet_crucible_bme::OracleConfig::<crucible_runtime::Runtime>::get()
					.twap_window;
				// Earned credits of `credits` USD (mint, lease to itself for a block) in the
				// day before, queued at the start of the target epoch, so that they are paid
				// at its boundary: the same with and without the push. The mint spends CRU
				// from its inventory (a $200k buy in the same block would move the pool enough
				// for the feeds to trip the breaker before the mint settles), and is tried
				// again each epoch until one settles (in a shallow pool honest demand alone
				// trips the breaker often).
				if epoch < target
					&& epoch + 24 >= target
					&& n % self.e == 1
					&& self.phase == Phase::Idle
				{
					// From its inventory, through its second account (the tenant of its lease).
					let t = who::attacker_tenant();
					let cru = plancks(credits / self.market.price());
					if self.d.transfer(&a, &t, cru).is_ok() {
						if self.d.mint(&t, cru).is_ok() {
							self.phase = Phase::Minting { at: n + self.delay };
						} else {
							let back = chain::free(&t).saturating_sub(self.tenant_reserve);
							let _ = self.d.transfer(&t, &a, back);
						}
					}
				}
				if let Phase::Minting { .. } = self.phase {
					// Leases once the mint settled (it redeems at the target epoch's start).
					self.round_trip_continue(n);
				}
				if epoch == target && n % self.e == 1 {
					let earned = chain::credits(&a).earned;
					if self.d.redeem(&a, earned).is_ok() {
						self.book.requested += earned.0;
						self.phase = Phase::Redeeming;
					}
				}
				let boundary = (target + 2) * self.e;
				if n + w == boundary && self.phase == Phase::Redeeming && !self.o.suppress_attack {
					// Sell CRU so that the pool price falls by `push`.
					let d = self.push_depth();
					let usd = d * ((1.0 / (1.0 - push)).sqrt() - 1.0);
					let cru = usd / self.push_price();
					if self.d.transfer(&a, &who::market(), plancks(cru)).is_ok() {
						self.book.received_usd += cru * self.push_trade(-usd);
						self.pushed_cru = cru;
					}
				}
				if n == boundary + 1 && self.pushed_cru > 0.0 {
					// Buy it back.
					// Buying `cru` back: the USD that fills it in the pool.
					let cru = self.pushed_cru;
					let (p, d) = (self.push_price(), self.push_depth());
					let usd = d * cru * p / (d - cru * p).max(1.0);
					if self.d.transfer(&who::market(), &a, plancks(cru)).is_ok() {
						self.push_trade(usd);
						self.book.spent_usd += usd;
						self.book.rounds += 1;
					}
					self.pushed_cru = 0.0;
				}
			}
		}
	}

	/// The price of the pool a push trades in: venue 0 with several venues, else the market.
	fn push_price(&self) -> f64 {
		if self.s.oracle.venues > 1 {
			self.market.venue_price()
		} else {
			self.market.price()
		}
	}

	/// The USD side of the pool a push trades in ([`Sim::push_price`]'s).
	fn push_depth(&self) -> f64 {
		if self.s.oracle.venues > 1 {
			self.market.venue_depth()
		} else {
			self.market.depth()
		}
	}

	/// A push's trade (USD, positive to buy CRU) in the pool of [`Sim::push_price`]; returns
	/// its average fill price.
	fn push_trade(&mut self, usd: f64) -> f64 {
		if self.s.oracle.venues > 1 {
			self.market.trade_on_venue(usd)
		} else {
			self.market.trade(usd)
		}
	}

	/// Mint push: tops its purchases up so that they hold the pool `push` above where it
	/// would be (arbitrage takes part of the impact each block), buying from the market.
	fn hold_push(&mut self, push: f64) {
		let a = who::attacker();
		self.push_log *= self.market.decay_per_block();
		// At most 0.7% a block: feeders lagging 0 to 2 blocks then stay within
		// `max_deviation` of their median, and the breaker does not trip on the ramp.
		let missing = ((1.0 + push).ln() - self.push_log).min(RAMP.ln());
		if missing <= 0.0 {
			return;
		}
		// A buy of `usd` in a pool whose USD side is D raises the log price by
		// 2 ln((D + usd) / D).
		let d = self.push_depth();
		let usd = d * ((missing / 2.0).exp() - 1.0);
		let fill = self.push_price() * (d + usd) / d;
		let cru = usd / fill;
		if self.d.transfer(&who::market(), &a, plancks(cru)).is_ok() {
			self.push_trade(usd);
			self.book.spent_usd += usd;
			self.pushed_cru += cru;
			self.push_log += missing;
		}
	}

	/// Mint push: sells what it bought to push.
	fn release_push(&mut self) {
		let a = who::attacker();
		let cru = self.pushed_cru;
		if cru <= 0.0 {
			return;
		}
		let usd = cru * self.push_price();
		if self.d.transfer(&a, &who::market(), plancks(cru)).is_ok() {
			self.book.received_usd += cru * self.push_trade(-usd);
		}
		self.pushed_cru = 0.0;
		self.push_log = 0.0;
	}

	/// Buys `usd` of CRU from the market and mints credits with it, on its second account
	/// (the tenant of its leases).
	fn buy_and_mint(&mut self, usd: f64) -> bool {
		let t = who::attacker_tenant();
		let fill = self.market.trade(usd);
		let cru = plancks(usd / fill);
		if self.d.transfer(&who::market(), &t, cru).is_err() {
			return false;
		}
		let minted = self.d.mint(&t, cru).is_ok();
		// What it paid for the CRU; what the mint did not burn is sold back later.
		self.book.spent_usd += usd;
		self.book.spent_cru += cru;
		minted
	}

	/// Buys CRU and mints (it leases its own GPU for one block once the mint settles). False
	/// when it cannot mint.
	fn round_trip_start(&mut self, usd: f64) -> bool {
		if !self.buy_and_mint(usd) {
			self.sell_all();
			return false;
		}
		true
	}

	/// Once the mint settled: lease to itself (its second account the tenant) for the
	/// shortest lease the market's minimum escrow allows (or, refunded, sell and go idle);
	/// after the lease: redeem; once paid, sell and go idle.
	fn round_trip_continue(&mut self, n: BlockNumber) {
		let (a, t) = (who::attacker(), who::attacker_tenant());
		match self.phase {
			// A mint the oracle could not price yet waits on hold: keep waiting.
			Phase::Minting { at } if n >= at && chain::minting(&t) == 0 => {
				let credits = chain::credits(&t).purchased;
				let device = (self.d.now / self.e) % DEVICES;
				// An escrow covers at least `min_bid_window` blocks at the price.
				let blocks = pallet_crucible_leases::Params::<crucible_runtime::Runtime>::get()
					.min_bid_window
					.max(1);
				let price = Credits(credits.0 / u128::from(blocks));
				if price.0 > 0 && self.d.lease(&t, &a, device, price, blocks).is_ok() {
					self.book.leases += 1;
					self.phase = Phase::Leased { until: n + blocks };
				} else {
					// Refunded (the oracle could not price at settlement): the round ends here,
					// having paid the market's round trip for the CRU.
					self.sell_all();
					self.book.rounds += 1;
					self.book.refunded += 1;
					self.phase = Phase::Idle;
				}
			}
			Phase::Leased { until } if n > until => {
				let earned = chain::credits(&a).earned;
				if self.d.redeem(&a, earned).is_ok() {
					self.book.requested += earned.0;
					self.phase = Phase::Redeeming;
				}
			}
			Phase::Redeeming if chain::queued(&a).0 == 0 => {
				self.sell_all();
				self.book.rounds += 1;
				self.phase = Phase::Idle;
			}
			_ => {}
		}
	}

	/// Sells every CRU above its reserves (both accounts) to the market.
	fn sell_all(&mut self) {
		let a = who::attacker();
		let t = who::attacker_tenant();
		let spare_t = chain::free(&t).saturating_sub(self.tenant_reserve);
		if spare_t > 0 {
			let _ = self.d.transfer(&t, &a, spare_t);
		}
		let spare = chain::free(&a).saturating_sub(self.attacker_reserve);
		if spare > 0 && self.d.transfer(&a, &who::market(), spare).is_ok() {
			let fill = self.market.trade(-chain::cru(spare) * self.market.price());
			self.book.received_usd += chain::cru(spare) * fill;
			self.book.received_cru += spare;
		}
	}

	/// The attacker's CRU above its reserves, on both accounts (free and on hold for a
	/// mint), in plancks (signed: a fee can take it below).
	fn spare(&self) -> f64 {
		let (a, t) = (who::attacker(), who::attacker_tenant());
		(chain::free(&a) + chain::minting(&a) + chain::free(&t) + chain::minting(&t)) as f64
			- (self.attacker_reserve + self.tenant_reserve) as f64
	}

	/// The attacker's CRU above its reserves, in CRU.
	fn spare_cru(&self) -> f64 {
		self.spare() / CRU as f64
	}

	/// The attacker's profit: received − spent, plus what it still holds at market value
	/// (CRU above its reserve, on hold or free; earned and queued credits at their redemption
	/// value now; purchased credits at face value, an upper bound since they only buy leases).
	/// In USD it is hedged: what the CRU it held gained or lost with the fundamental price
	/// during a round is not the BME's doing and is taken out (the impact of its own trades
	/// stays). A boundary push is hedged the same way (its short CRU while pushed included)
	/// and measured against the same run without the push.
	fn profit(&self) -> (f64, f64) {
		let (a, t) = (who::attacker(), who::attacker_tenant());
		let price = self.market.price();
		let spare = self.spare();
		let hedge = self.book.market_pnl;
		let (c, ct) = (chain::credits(&a), chain::credits(&t));
		let held = c.earned.0 + c.purchased.0 + ct.purchased.0 + chain::queued(&a).0;
		let held_usd = held as f64 / 1e6;
		let held_cru = held_usd / price;
		let cru = (self.book.received_cru as f64 - self.book.spent_cru as f64 + spare) / CRU as f64
			+ held_cru;
		let usd =
			self.book.received_usd - self.book.spent_usd + spare / CRU as f64 * price + held_usd
				- hedge;
		(usd, cru)
	}

	/// The row of model epoch `epoch` (its boundary ran in this block's hooks).
	fn record(&mut self, epoch: u32) {
		let Some(s) = chain::summary(epoch + 1) else { return };
		if let (true, Some(price)) = (s.executed && s.credits_redeemed.0 > 0, s.price) {
			// Before the look-back the boundary paid at max(TWAP, median): this block's
			// median and the TWAP it stored as the next boundary's reference.
			let oracle = pallet_crucible_bme::Oracle::<crucible_runtime::Runtime>::get();
			let today = oracle.reference.max(oracle.median).map_or(price, |p| p.min(price));
			let credits = chain::usd(s.credits_redeemed);
			self.lookback.0 += credits / chain::from_price(price);
			self.lookback.1 += credits / chain::from_price(today);
		}
		let t = chain::totals();
		let view = chain::price_view();
		let genesis = chain::genesis_issuance() as f64;
		let net = chain::issuance() as f64 - genesis;
		let f = &s.flows;
		let scheduled = chain::cru(s.scheduled_emission);
		self.cum.scheduled += scheduled;
		self.cum.credits_minted += s.credits_minted.0;
		self.cum.burned_to_pool += f.burned_for_credits;
		self.cum.credits_redeemed += s.credits_redeemed.0;
		let paid = f.reminted + f.new_supply;
		self.cum.paid += paid;
		// CRU a credit burned on average so far (mid price) x credits redeemed: the payout at
		// parity; the drag is what was paid beyond it.
		let parity = if self.cum.credits_minted > 0 {
			s.credits_redeemed.0 as f64 * self.cum.burned_to_pool as f64
				/ self.cum.credits_minted as f64
		} else {
			0.0
		};
		if self.s.run.is_some() && s.executed {
			self.run_boundaries.push((epoch, s.credits_redeemed.0));
		}
		let pct = |x: f64| 100.0 * x / genesis * CRU as f64;
		let (profit, _) = self.profit();
		let (want, served) = self.demand_now;
		self.rows.push(Row {
			epoch,
			price: self.market.price(),
			fundamental: self.market.fundamental(),
			twap: view.twap.map_or(f64::NAN, chain::from_price),
			redeem_price: s.price.map_or(f64::NAN, chain::from_price),
			executed: s.executed,
			demand_usd: want,
			served_usd: served,
			purchased: chain::usd(t.purchased),
			escrowed: chain::usd(t.escrowed),
			earned: chain::usd(t.earned),
			queued: chain::usd(t.queued),
			eligible: chain::usd(t.eligible),
			credits_minted: chain::usd(s.credits_minted),
			credits_redeemed: chain::usd(s.credits_redeemed),
			take_rate_burned: chain::usd(s.take_rate_burned),
			burned: chain::cru(f.burned_for_credits),
			spread_burned: chain::cru(f.spread_burned),
			reminted: chain::cru(f.reminted),
			new_supply: chain::cru(f.new_supply),
			realized_net_burn: chain::cru(f.realized_net_burn),
			emitted_providers: chain::cru(s.emitted_providers),
			emitted_treasury: chain::cru(s.emitted_treasury),
			subnet_accrued: chain::cru(s.subnet_accrued),
			withheld: chain::cru(s.withheld),
			scheduled,
			cap: chain::cru(s.cap),
			queue_requests: chain::requests(),
			remint_pool: chain::cru(chain::remint_pool()),
			drag: (paid as f64 - parity) / CRU as f64,
			net_supply_pct: 100.0 * net / genesis,
			envelope_pct: pct(2.0 * self.cum.scheduled),
			baseline_pct: pct(self.cum.scheduled),
			attacker_profit: profit,
			attacker_cru: self.spare_cru(),
		});
		if self.o.record {
			self.snapshots.push(chain::snapshot(&tracked_accounts()));
		}
	}

	/// Waits after a redemption run: the chain's pro-rata fills against FIFO fills of the same
	/// credits per boundary, in request order.
	fn waits(&self) -> Waits {
		let reqs = &self.run_requests;
		if reqs.is_empty() {
			return Waits::default();
		}
		// Pro rata: every eligible request is filled by the same share at a boundary; a
		// request is done (for this measure) at the boundary at which 99% of it is filled.
		// Each epoch's redemption is a request here (the chain tops up one per account), and
		// requests queued before the run are left out.
		let fill = |fifo: bool| -> Vec<f64> {
			let mut left: Vec<u128> = reqs.iter().map(|r| r.2).collect();
			let mut done = vec![f64::NAN; reqs.len()];
			for (b, credits) in &self.run_boundaries {
				// A request at the start of model epoch m may execute at that epoch's own
				// boundary (the TWAP window, half an epoch, starts after it): b == m.
				let eligible: Vec<usize> =
					(0..reqs.len()).filter(|&i| reqs[i].1 <= *b && left[i] > 0).collect();
				let total: u128 = eligible.iter().map(|&i| left[i]).sum();
				let mut budget = (*credits).min(total);
				for &i in &eligible {
					let take = if fifo {
						budget.min(left[i])
					} else {
						math::pro_rata(*credits, left[i], total).min(left[i])
					};
					left[i] -= take;
					if fifo {
						budget -= take;
					}
					if left[i] * 100 <= reqs[i].2 && done[i].is_nan() {
						done[i] = f64::from(b - reqs[i].1);
					}
				}
			}
			done
		};
		let stats = |d: &[f64]| {
			let w: Vec<(f64, f64)> = d
				.iter()
				.zip(reqs)
				.map(|(x, r)| (if x.is_nan() { f64::INFINITY } else { *x }, r.2 as f64))
				.collect();
			let total: f64 = w.iter().map(|x| x.1).sum();
			let mean = w.iter().map(|(x, c)| x * c).sum::<f64>() / total;
			let max = w.iter().map(|x| x.0).fold(0.0, f64::max);
			let half = w.len() / 2;
			let m =
				|xs: &[(f64, f64)]| xs.iter().map(|x| x.0).sum::<f64>() / xs.len().max(1) as f64;
			(mean, max, (m(&w[..half.max(1)]), m(&w[half..])))
		};
		let (pm, px, pfl) = stats(&fill(false));
		let (fm, fx, ffl) = stats(&fill(true));
		Waits {
			pro_rata_mean: pm,
			pro_rata_max: px,
			fifo_mean: fm,
			fifo_max: fx,
			pro_rata_first_vs_last: pfl,
			fifo_first_vs_last: ffl,
		}
	}
}
