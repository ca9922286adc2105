//! The named scenarios: each a market, a demand path, an oracle set-up and at most one
//! attacker, run with fixed seeds.

use crate::model::{DemandParams, FeederKind, OracleSetup, PriceParams, Shock};
use crucible_primitives::BlockNumber;
use sp_runtime::Permill;

/// What the attacker does.
#[derive(Clone, Debug, PartialEq)]
pub enum Attack {
	None,
	/// Watches the market; when the oracle's mint price is above the market price by more
	/// than `edge`, buys `budget` USD of CRU, mints credits at the stale price, leases its own
	/// GPU for one block, and redeems.
	LagArbitrage {
		budget: f64,
		edge: f64,
	},
	/// Holds `credits` USD of earned credits queued for one boundary and, in that boundary's
	/// last TWAP window, sells CRU into the pool to push the price down by `push`, buying it
	/// back after the boundary. Profit is measured against the same run without the push,
	/// hedged like the other attacks (the market's own move while it is short is taken out).
	BoundaryPush {
		credits: f64,
		push: f64,
		epoch: u32,
	},
	/// Pushes the pool price up by `push` (buying CRU) for a whole TWAP window and the mint's
	/// settlement, mints `credits` USD of credits from its CRU at the pushed price, sells the
	/// pushed CRU back, leases to itself through its second account and redeems over the
	/// following boundaries. Measured like the boundary push, against the same run without
	/// the push.
	MintPush {
		credits: f64,
		push: f64,
		epoch: u32,
	},
	/// `colluders` of the five feeders report the price `bias` high while the attacker mints
	/// `budget` USD of credits, then `bias` low until its redemption is paid; repeated.
	Collusion {
		colluders: usize,
		bias: f64,
		budget: f64,
	},
	/// Leases its own GPUs for `volume` USD per epoch and redeems everything, to farm the
	/// providers' emission.
	Farmer {
		volume: f64,
	},
}

impl Attack {
	pub fn is_attack(&self) -> bool {
		!matches!(self, Attack::None)
	}
}

/// Overrides of the chain's market and emission parameters (for the frontier maps).
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct Tweaks {
	pub spread: Option<Permill>,
	pub take_rate: Option<Permill>,
	pub provider_cap_k: Option<Permill>,
	/// Blocks a mint waits to settle (0: in the call, as before the lag-arbitrage finding).
	pub mint_delay: Option<BlockNumber>,
}

/// A redemption run: from `epoch` on, providers redeem everything they hold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
	pub epoch: u32,
}

/// One scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
	/// Short name (file names, CLI).
	pub name: String,
	/// What it shows.
	pub title: String,
	/// Epochs (hours) simulated.
	pub epochs: u32,
	pub price: PriceParams,
	pub demand: DemandParams,
	pub oracle: OracleSetup,
	/// Share of their earned credits providers keep unredeemed each epoch (their float).
	pub float: f64,
	pub run: Option<Run>,
	pub attack: Attack,
	pub tweaks: Tweaks,
	/// Drawn on the main supply chart.
	pub stress: bool,
	/// Blocks per (hourly) epoch, when not the simulator's [`crate::runner::BLOCKS_PER_EPOCH`]
	/// (600: production's six-second blocks).
	pub blocks_per_epoch: Option<u32>,
}

impl Scenario {
	fn base(name: &str, title: &str, epochs: u32) -> Self {
		Scenario {
			name: name.into(),
			title: title.into(),
			epochs,
			price: PriceParams::default(),
			demand: DemandParams::default(),
			oracle: OracleSetup::default(),
			float: 0.2,
			run: None,
			attack: Attack::None,
			tweaks: Tweaks::default(),
			stress: false,
			blocks_per_epoch: None,
		}
	}

	/// The same scenario over `epochs` epochs, with every scheduled event scaled to fit.
	pub fn shortened(mut self, epochs: u32) -> Self {
		let scale = |e: u32| (u64::from(e) * u64::from(epochs) / u64::from(self.epochs)) as u32;
		for s in &mut self.price.shocks {
			s.epoch = scale(s.epoch);
			s.blocks = s.blocks.min(epochs.max(1) * 4);
		}
		if let Some(r) = &mut self.run {
			r.epoch = scale(r.epoch);
		}
		if let Some(stop) = &mut self.demand.stop_at {
			*stop = scale(*stop);
		}
		if let Attack::BoundaryPush { epoch, .. } | Attack::MintPush { epoch, .. } =
			&mut self.attack
		{
			*epoch = scale(*epoch).max(3);
		}
		self.oracle.censored =
			self.oracle.censored.iter().map(|(e, n)| (scale(*e), (*n).min(epochs / 4))).collect();
		self.epochs = epochs;
		self
	}
}

/// Hours in a (365-day) year and in a 30-day month.
const YEAR: u32 = 8_760;
const MONTH: u32 = 720;

/// Scenario 1: Steady growth: demand doubling over the year, a mildly rising price.
pub fn steady_growth() -> Scenario {
	let mut s = Scenario::base("steady-growth", "1. Steady growth (demand x2 a year)", YEAR);
	s.demand.trend = 2f64.ln();
	s.price.drift = 0.2;
	s.stress = true;
	s
}

/// Scenario 2: Zero demand: nobody leases; emission is all there is.
pub fn zero_demand() -> Scenario {
	let mut s = Scenario::base("zero-demand", "2. Zero demand", YEAR);
	s.demand.initial = 0.0;
	s.stress = true;
	s
}

/// Scenario 3: A −80% crash over three hours a month in; providers hold 90% of their credits until
/// then, and then run for the exit.
pub fn crash_run() -> Scenario {
	let mut s = Scenario::base("crash-run", "3. -80% crash + redemption run", 3 * MONTH);
	s.price.shocks = vec![Shock { epoch: MONTH, factor: 0.2, blocks: 60 }];
	s.float = 0.9;
	s.run = Some(Run { epoch: MONTH });
	s.stress = true;
	s
}

/// Scenario 3b: The same crash with demand gone for good from the crash on: no burns refill the
/// remint pool, so once it is spent redemptions wait for the scheduled emission alone.
pub fn crash_demand_collapse() -> Scenario {
	let mut s = crash_run();
	s.name = "crash-demand-collapse".into();
	s.title = "3b. -80% crash, demand gone, redemption run".into();
	s.demand.stop_at = Some(MONTH);
	s
}

/// Scenario 4: Two years of bear market, −90%, with flat USD demand (Helium's 2024–26 path).
pub fn bear_market() -> Scenario {
	let mut s = Scenario::base("bear-market", "4. Two-year -90% bear, flat USD demand", 2 * YEAR);
	s.price.drift = 0.1f64.ln() / 2.0 + 0.8 * 0.8 / 2.0;
	s.stress = true;
	s
}

/// Scenario 5: Lag arbitrage: an attacker that mints whenever the oracle's price is above the market
/// (a stale price in a falling market), leases to itself for a block and redeems; a 100%
/// volatile market without jumps.
pub fn lag_arbitrage() -> Scenario {
	let mut s =
		Scenario::base("lag-arbitrage", "5. Lag arbitrage (mint stale, self-lease, redeem)", MONTH);
	s.price.volatility = 1.0;
	s.attack = Attack::LagArbitrage { budget: 20_000.0, edge: 0.0 };
	s
}

/// Scenario 5c: The lag arbitrage of scenario 5 on production timing: 600-block epochs (a
/// 300-block TWAP window), feeds fresh for 50 blocks, each feeder posting every 10 blocks
/// (staggered), mints settling 10 blocks after the request. Three days.
pub fn oracle_production() -> Scenario {
	let mut s = lag_arbitrage();
	s.name = "oracle-production".into();
	s.title = "5c. Lag arbitrage, production oracle timing (staleness 50, feeds every 10)".into();
	s.epochs = 72;
	s.blocks_per_epoch = Some(600);
	s.oracle.staleness = Some(50);
	s.oracle.post_every = 10;
	s.tweaks.mint_delay = Some(10);
	s
}

/// Scenario 5b: The same attacker in a market with sudden −10% jumps (one a week on average),
/// acting only when the stale price covers the spread and the take-rate: a jump inside one
/// block is ahead of every feed. This paid while mints settled in the call; the mint's
/// settlement delay closed it (the README's findings).
pub fn lag_arbitrage_jumps() -> Scenario {
	let mut s =
		Scenario::base("lag-arbitrage-jumps", "5b. Lag arbitrage on -10% one-block jumps", MONTH);
	s.price.jumps_per_year = 52.0;
	s.price.jump_mean = -0.1;
	s.price.jump_sd = 0.03;
	s.attack = Attack::LagArbitrage { budget: 20_000.0, edge: 0.06 };
	s
}

/// Arbitrage's half-life in the push scenarios, in the simulator's blocks: the 200 blocks of
/// six seconds (20 minutes) that the production-timing scenario (5c) runs with, where a
/// simulator block of a 20-block epoch stands for 30 of them. The default 200 simulator
/// blocks (10 hours) would leave a push's impact in the pool for most of a day.
pub const PUSH_IMPACT_HALF_LIFE: f64 = 200.0 * 20.0 / 600.0;

/// Scenario 6: Boundary push: a large redeemer pushes the price down in the last TWAP window
/// before its boundary, against a pool of `depth` USD whose impact arbitrage takes back with
/// production's half-life ([`PUSH_IMPACT_HALF_LIFE`]).
pub fn boundary_push(depth: f64, push: f64) -> Scenario {
	let mut s = Scenario::base(
		&format!("boundary-push-{}k-{}pct", (depth / 1e3) as u64, (push * 100.0).round() as u64),
		&format!("6. Boundary push {:.0}% vs a ${:.0}k pool", push * 100.0, depth / 1e3),
		120,
	);
	s.price.pool_depth = depth;
	s.price.impact_half_life = PUSH_IMPACT_HALF_LIFE;
	s.attack = Attack::BoundaryPush { credits: 200_000.0, push, epoch: 48 };
	s
}

/// Scenario 6b: the boundary push against feeders spread over `venues` trading venues (feeder
/// i reads venue i mod `venues`), the push made in venue 0 alone.
pub fn boundary_push_venues(depth: f64, push: f64, venues: u8) -> Scenario {
	let mut s = boundary_push(depth, push);
	s.name = format!("{}-{venues}venues", s.name);
	s.title = format!("{}, feeds from {venues} venues", s.title);
	s.oracle.venues = venues;
	s
}

/// Scenario 6c: Mint push: a minter pushes the pool price up by `push` for a window, mints
/// $200k of credits at the pushed price, reverts, self-leases and redeems; against a pool of
/// `depth` USD (production's arbitrage half-life, [`PUSH_IMPACT_HALF_LIFE`]), its feeders
/// reading `venues` venues.
pub fn mint_push(depth: f64, push: f64, venues: u8) -> Scenario {
	let mut s = Scenario::base(
		&format!(
			"mint-push-{}k-{}pct-{venues}v",
			(depth / 1e3) as u64,
			(push * 100.0).round() as u64
		),
		&format!(
			"6c. Mint push {:.0}% vs a ${:.0}k pool, feeds from {venues} venue(s)",
			push * 100.0,
			depth / 1e3
		),
		120,
	);
	s.price.pool_depth = depth;
	s.price.impact_half_life = PUSH_IMPACT_HALF_LIFE;
	s.oracle.venues = venues;
	s.attack = Attack::MintPush { credits: 200_000.0, push, epoch: 48 };
	s
}

/// Break-even demand: flat demand of `demand` USD an hour at a flat $1/CRU for two weeks,
/// providers redeeming everything each epoch.
pub fn break_even(demand: f64) -> Scenario {
	let mut s = Scenario::base(
		&format!("break-even-{}", demand as u64),
		&format!("Break-even: ${demand:.0} an hour, flat price"),
		2 * 168,
	);
	s.price.volatility = 0.0;
	s.demand.initial = demand;
	s.demand.noise = 0.0;
	s.float = 0.0;
	s
}

/// The boundary-push grid: pool depths (USD) and pushes that `make test` and the report sweep,
/// each over seeds 1 to `PUSH_SEEDS` (one seed is one price path: a push's result moves
/// with it).
pub const PUSH_DEPTHS: [f64; 5] = [50_000.0, 250_000.0, 1_000_000.0, 5_000_000.0, 20_000_000.0];
pub const PUSHES: [f64; 5] = [0.01, 0.02, 0.03, 0.04, 0.05];
pub const PUSH_SEEDS: u64 = 6;

/// Scenario 7: Feeder collusion: `colluders` of five feeders skew the price by `bias` for a
/// mint-then-redeem round trip; or one feeder silent; or every feed censored for a day.
pub fn collusion(colluders: usize, bias: f64) -> Scenario {
	let mut s = Scenario::base(
		&format!("collusion-{colluders}of5"),
		&format!("7. {colluders} of 5 feeders collude ({:.1}%)", bias * 100.0),
		MONTH / 2,
	);
	for f in s.oracle.feeders.iter_mut().take(colluders) {
		let lag = match f {
			FeederKind::Honest { lag, .. } => *lag,
			_ => 0,
		};
		*f = FeederKind::Colluding { lag };
	}
	s.attack = Attack::Collusion { colluders, bias, budget: 20_000.0 };
	s
}

/// Scenario 7b: One feeder silent for the whole run, and every feed censored for a day.
pub fn feeder_outage() -> Scenario {
	let mut s =
		Scenario::base("feeder-outage", "7. One feeder silent; all feeds censored 24 h", MONTH);
	s.oracle.feeders[4] = FeederKind::Silent;
	s.oracle.censored = vec![(MONTH / 2, 24)];
	s.stress = true;
	s
}

/// Scenario 8: A self-lease emission farmer leasing `volume` USD an epoch to itself, under the given
/// parameter overrides.
pub fn farmer(volume: f64, tweaks: Tweaks) -> Scenario {
	let mut s = Scenario::base("farmer", "8. Self-lease emission farmer", 2 * 168);
	s.attack = Attack::Farmer { volume };
	s.tweaks = tweaks;
	s
}

/// Scenario 8b: The farmer alone: no honest demand at all, so the epoch's earned volume is the
/// farmer's own and the provider cap (k x (spread + take-rate) x the smaller of the 7-day
/// average and the epoch's volume) binds below the providers' half of the emission.
pub fn farmer_alone(volume: f64, tweaks: Tweaks) -> Scenario {
	let mut s = farmer(volume, tweaks);
	s.name = "farmer-alone".into();
	s.title = "8b. Self-lease farmer, no honest demand (the cap binds)".into();
	s.demand.initial = 0.0;
	s
}

/// Scenario 9: Flat USD demand at yearly volatility `sigma`, providers holding their credits `float`
/// (the mean holding time is 1 / (1 − float) epochs): the remint drag.
pub fn volatility(sigma: f64, float: f64, epochs: u32) -> Scenario {
	let mut s = Scenario::base(
		&format!("volatility-{}", (sigma * 100.0).round() as u64),
		&format!("9. Volatility {:.0}%/yr, float {float}", sigma * 100.0),
		epochs,
	);
	s.price.volatility = sigma;
	s.demand.noise = 0.0;
	s.float = float;
	s
}

/// Every preset, in the report's order (the sweeps of 6, 8 and 9 are built by the report).
pub fn presets() -> Vec<Scenario> {
	vec![
		steady_growth(),
		zero_demand(),
		crash_run(),
		crash_demand_collapse(),
		bear_market(),
		lag_arbitrage(),
		lag_arbitrage_jumps(),
		oracle_production(),
		boundary_push(5_000_000.0, 0.02),
		collusion(2, 0.025),
		collusion(3, 0.025),
		feeder_outage(),
		farmer(5_000.0, Tweaks::default()),
		farmer_alone(100.0, Tweaks::default()),
		volatility(1.0, 0.99, 2_000),
	]
}

/// The preset called `name`.
pub fn by_name(name: &str) -> Option<Scenario> {
	presets().into_iter().find(|s| s.name == name)
}
