//! The world outside the chain: the CRU/USD market price, tenants' demand and the feeders'
//! view of the price. Plain seeded models in `f64`: they decide *what* agents do; every amount
//! of money is then computed by the runtime's own code, in integers.

use crucible_primitives::BlockNumber;
use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Hours in a year: one model epoch is one hour, as on the production chain.
pub const EPOCHS_PER_YEAR: f64 = 8_760.0;

/// A seeded random source (ChaCha8: the same seed gives the same run on every machine).
pub struct Rng(ChaCha8Rng);

impl Rng {
	/// A generator for `seed`, on `stream` (independent streams for independent parts).
	pub fn new(seed: u64, stream: u64) -> Self {
		let mut r = ChaCha8Rng::seed_from_u64(seed);
		r.set_stream(stream);
		Rng(r)
	}

	/// Uniform in [0, 1).
	pub fn uniform(&mut self) -> f64 {
		(self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
	}

	/// Standard normal (Box–Muller).
	pub fn normal(&mut self) -> f64 {
		let u1 = 1.0 - self.uniform(); // (0, 1]
		let u2 = self.uniform();
		(-2.0 * u1.ln()).sqrt() * (2.0 * core::f64::consts::PI * u2).cos()
	}
}

/// A scheduled move of the fundamental price: multiply it by `factor` over `blocks` blocks
/// from `epoch` on (geometrically, the same factor each block).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shock {
	pub epoch: u32,
	pub factor: f64,
	pub blocks: u32,
}

/// The CRU/USD price process.
#[derive(Clone, Debug, PartialEq)]
pub struct PriceParams {
	/// Starting price, USD per CRU.
	pub initial: f64,
	/// Yearly drift of the log price (before the Itô correction).
	pub drift: f64,
	/// Yearly volatility.
	pub volatility: f64,
	/// Expected jumps per year.
	pub jumps_per_year: f64,
	/// Mean of a jump's log size.
	pub jump_mean: f64,
	/// Standard deviation of a jump's log size.
	pub jump_sd: f64,
	/// Scheduled moves (crashes, bear markets).
	pub shocks: Vec<Shock>,
	/// Depth of the CRU/USD pool, USD on each side at the fundamental price: flows move the
	/// price as in a constant-product pool of this depth (its USD side grows with the square
	/// root of the price's impact, [`Market::depth`]).
	pub pool_depth: f64,
	/// Blocks for half of a flow's price impact to be arbitraged away.
	pub impact_half_life: f64,
}

impl Default for PriceParams {
	fn default() -> Self {
		PriceParams {
			initial: 1.0,
			drift: 0.0,
			volatility: 0.8,
			jumps_per_year: 0.0,
			jump_mean: 0.0,
			jump_sd: 0.0,
			shocks: Vec::new(),
			pool_depth: 5_000_000.0,
			impact_half_life: 200.0,
		}
	}
}

/// The market price: a fundamental (geometric Brownian motion with jumps and scheduled shocks)
/// times a transient impact of trades against the pool.
pub struct Market {
	params: PriceParams,
	blocks_per_epoch: u32,
	rng: Rng,
	fundamental: f64,
	/// Log of the impact multiplier (decays to zero).
	impact: f64,
	/// Log of the extra impact on venue 0 alone, for markets of several venues: a trade
	/// there that arbitrage has not yet carried to the others (decays like `impact`).
	venue_impact: f64,
	block: u64,
}

impl Market {
	/// A market for `params`, with `blocks_per_epoch` blocks per (hourly) epoch.
	pub fn new(params: PriceParams, blocks_per_epoch: u32, seed: u64) -> Self {
		let fundamental = params.initial;
		Market {
			params,
			blocks_per_epoch,
			rng: Rng::new(seed, 1),
			fundamental,
			impact: 0.0,
			venue_impact: 0.0,
			block: 0,
		}
	}

	/// The price now, USD per CRU.
	pub fn price(&self) -> f64 {
		self.fundamental * self.impact.exp()
	}

	/// The price on venue 0: the market price plus what arbitrage has not yet carried from a
	/// trade on that venue alone ([`Market::trade_on_venue`]).
	pub fn venue_price(&self) -> f64 {
		self.price() * self.venue_impact.exp()
	}

	/// The pool's USD side now: `pool_depth` at the fundamental price, times the square root
	/// of the impact (a constant-product pool holding x CRU and y USD at price y / x keeps
	/// x y fixed, so y moves with the square root of the price). Trades fill against it, so
	/// a sale bought straight back returns the pool to where it was.
	pub fn depth(&self) -> f64 {
		self.params.pool_depth * (self.impact / 2.0).exp()
	}

	/// Venue 0's USD side now ([`Market::depth`] at [`Market::venue_price`]).
	pub fn venue_depth(&self) -> f64 {
		self.params.pool_depth * ((self.impact + self.venue_impact) / 2.0).exp()
	}

	/// The share of a trade's impact still there after one block.
	pub fn decay_per_block(&self) -> f64 {
		0.5f64.powf(1.0 / self.params.impact_half_life.max(1e-9))
	}

	/// The fundamental price (without trading impact).
	pub fn fundamental(&self) -> f64 {
		self.fundamental
	}

	/// Advances one block.
	pub fn step(&mut self) {
		let p = &self.params;
		let dt = 1.0 / (EPOCHS_PER_YEAR * f64::from(self.blocks_per_epoch));
		let mut log_return = (p.drift - p.volatility * p.volatility / 2.0) * dt
			+ p.volatility * dt.sqrt() * self.rng.normal();
		if p.jumps_per_year > 0.0 && self.rng.uniform() < p.jumps_per_year * dt {
			log_return += p.jump_mean + p.jump_sd * self.rng.normal();
		}
		for shock in &p.shocks {
			let start = u64::from(shock.epoch) * u64::from(self.blocks_per_epoch);
			if self.block >= start && self.block < start + u64::from(shock.blocks.max(1)) {
				log_return += shock.factor.ln() / f64::from(shock.blocks.max(1));
			}
		}
		self.fundamental *= log_return.exp();
		let decay = 0.5f64.powf(1.0 / p.impact_half_life.max(1e-9));
		self.impact *= decay;
		self.venue_impact *= decay;
		self.block += 1;
	}

	/// Someone buys CRU for `usd` (positive) or sells CRU worth `usd` at the current price
	/// (negative) against the pool. Returns the average price the trade fills at: a
	/// constant-product pool whose USD side is Y ([`Market::depth`]) fills a buy at
	/// P (Y + usd) / Y and a sale at P Y / (Y + |usd|), and leaves the price at
	/// P ((Y + usd) / Y)^2 or P (Y / (Y + |usd|))^2.
	pub fn trade(&mut self, usd: f64) -> f64 {
		let (price, y) = (self.price(), self.depth());
		Self::fill(y, price, usd, &mut self.impact)
	}

	/// The same trade against venue 0's pool alone (of the same depth): it moves only the
	/// feeds that read venue 0, until arbitrage carries it over.
	pub fn trade_on_venue(&mut self, usd: f64) -> f64 {
		let (price, y) = (self.venue_price(), self.venue_depth());
		Self::fill(y, price, usd, &mut self.venue_impact)
	}

	fn fill(y: f64, price: f64, usd: f64, impact: &mut f64) -> f64 {
		if y <= 0.0 || usd == 0.0 {
			return price;
		}
		let r = (y + usd.abs()) / y;
		if usd > 0.0 {
			*impact += 2.0 * r.ln();
			price * r
		} else {
			*impact -= 2.0 * r.ln();
			price / r
		}
	}
}

/// Tenants' demand: USD of compute bought per epoch.
#[derive(Clone, Debug, PartialEq)]
pub struct DemandParams {
	/// USD per epoch at the start.
	pub initial: f64,
	/// Yearly growth of the log demand.
	pub trend: f64,
	/// Per-epoch noise (standard deviation of the log).
	pub noise: f64,
	/// No demand from this epoch on (a demand stop), if set.
	pub stop_at: Option<u32>,
}

impl Default for DemandParams {
	fn default() -> Self {
		DemandParams { initial: 5_000.0, trend: 0.0, noise: 0.1, stop_at: None }
	}
}

/// Demand of each epoch.
pub struct Demand {
	params: DemandParams,
	rng: Rng,
}

impl Demand {
	pub fn new(params: DemandParams, seed: u64) -> Self {
		Demand { params, rng: Rng::new(seed, 2) }
	}

	/// USD of compute tenants buy in `epoch`.
	pub fn usd(&mut self, epoch: u32) -> f64 {
		let p = &self.params;
		let z = self.rng.normal();
		if p.stop_at.is_some_and(|s| epoch >= s) || p.initial <= 0.0 {
			return 0.0;
		}
		let t = f64::from(epoch) / EPOCHS_PER_YEAR;
		p.initial * (p.trend * t + p.noise * z - p.noise * p.noise / 2.0).exp()
	}
}

/// How one feeder behaves.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FeederKind {
	/// Reports the market price `lag` blocks old, with multiplicative noise.
	Honest { lag: u32, noise: f64 },
	/// Never reports.
	Silent,
	/// Colludes with the attacker: reports what the attacker asks (see `runner`).
	Colluding { lag: u32 },
}

/// The five feeders of a scenario, and windows in which every feeder transaction is censored.
#[derive(Clone, Debug, PartialEq)]
pub struct OracleSetup {
	pub feeders: Vec<FeederKind>,
	/// Trading venues the feeders read: feeder i reads venue i mod `venues`. With one, every
	/// feed reads the pool an attacker trades in; with more, an attacker's push moves only
	/// the feeds of venue 0.
	pub venues: u8,
	/// (first epoch, epochs) during which no feed lands.
	pub censored: Vec<(u32, u32)>,
	/// Blocks a feed stays fresh, when not the simulator's three.
	pub staleness: Option<BlockNumber>,
	/// Each feeder posts every this many blocks (1: every block), feeder i at blocks
	/// `i * post_every / feeders` into the cycle.
	pub post_every: u32,
}

impl Default for OracleSetup {
	/// Five honest feeders, lagging 0 to 2 blocks, with 0.1–0.3% noise.
	fn default() -> Self {
		use FeederKind::Honest;
		OracleSetup {
			feeders: vec![
				Honest { lag: 0, noise: 0.001 },
				Honest { lag: 1, noise: 0.002 },
				Honest { lag: 1, noise: 0.002 },
				Honest { lag: 2, noise: 0.003 },
				Honest { lag: 2, noise: 0.003 },
			],
			censored: Vec::new(),
			venues: 1,
			staleness: None,
			post_every: 1,
		}
	}
}

impl OracleSetup {
	/// Whether feeds are censored in `epoch`.
	pub fn censored_in(&self, epoch: u32) -> bool {
		self.censored.iter().any(|(from, n)| epoch >= *from && epoch < from + n)
	}

	/// Whether feeder `i` posts in block `n`.
	pub fn posts(&self, i: usize, n: BlockNumber) -> bool {
		let every = self.post_every.max(1);
		let offset = i as u32 * every / (self.feeders.len() as u32).max(1);
		(n + every - offset % every).is_multiple_of(every)
	}
}

/// E[1/P] x E[P] for a lognormal price with log-variance `v`: e^v (> 1: Jensen's inequality).
pub fn lognormal_inverse_gap(v: f64) -> f64 {
	v.exp()
}

#[cfg(test)]
mod tests {
	use super::*;

	fn mean(xs: &[f64]) -> f64 {
		xs.iter().sum::<f64>() / xs.len() as f64
	}

	#[test]
	fn same_seed_same_path_other_seed_other_path() {
		let path = |seed| {
			let mut m = Market::new(PriceParams::default(), 20, seed);
			(0..500)
				.map(|_| {
					m.step();
					m.price()
				})
				.collect::<Vec<_>>()
		};
		assert_eq!(path(7), path(7));
		assert_ne!(path(7), path(8));
	}

	#[test]
	fn normal_has_zero_mean_and_unit_variance() {
		let mut r = Rng::new(1, 0);
		let xs: Vec<f64> = (0..200_000).map(|_| r.normal()).collect();
		let m = mean(&xs);
		let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / xs.len() as f64;
		assert!(m.abs() < 0.01, "mean {m}");
		assert!((v - 1.0).abs() < 0.01, "variance {v}");
	}

	#[test]
	fn gbm_is_a_martingale_with_the_stated_volatility() {
		// One year of hourly epochs at 4 blocks each, 400 paths: E[P_T] = P_0 and the
		// standard deviation of log(P_T) is the volatility.
		let (mut ends, mut logs) = (Vec::new(), Vec::new());
		for seed in 0..400 {
			let params = PriceParams { volatility: 0.6, ..Default::default() };
			let mut m = Market::new(params, 4, seed);
			for _ in 0..(EPOCHS_PER_YEAR as u32 * 4) {
				m.step();
			}
			ends.push(m.price());
			logs.push(m.price().ln());
		}
		let m = mean(&ends);
		assert!((m - 1.0).abs() < 0.1, "E[P_T] = {m}");
		let lm = mean(&logs);
		let sd = (logs.iter().map(|x| (x - lm) * (x - lm)).sum::<f64>() / logs.len() as f64).sqrt();
		assert!((sd - 0.6).abs() < 0.06, "sd of log P_T = {sd}");
		// Jensen: E[1/P_T] > 1/E[P_T], by about e^(sigma^2 T).
		let inv = mean(&ends.iter().map(|p| 1.0 / p).collect::<Vec<_>>());
		assert!(inv > 1.0 / m);
		assert!((inv * m / lognormal_inverse_gap(0.36) - 1.0).abs() < 0.15, "{}", inv * m);
	}

	#[test]
	fn a_shock_moves_the_price_by_its_factor_over_its_blocks() {
		let params = PriceParams {
			volatility: 0.0,
			shocks: vec![Shock { epoch: 2, factor: 0.2, blocks: 10 }],
			..Default::default()
		};
		let mut m = Market::new(params, 10, 1);
		for _ in 0..20 {
			m.step();
		}
		assert!((m.price() - 1.0).abs() < 1e-12);
		for _ in 0..5 {
			m.step();
		}
		assert!((m.price() - 0.2f64.sqrt()).abs() < 1e-9);
		for _ in 0..100 {
			m.step();
		}
		assert!((m.price() - 0.2).abs() < 1e-9);
	}

	#[test]
	fn impact_of_a_pool_trade_and_its_decay() {
		let params = PriceParams {
			volatility: 0.0,
			pool_depth: 1_000_000.0,
			impact_half_life: 10.0,
			..Default::default()
		};
		let mut m = Market::new(params, 10, 1);
		// Selling into a pool as deep as the sale fills at half the price and quarters it.
		assert!((m.trade(-1_000_000.0) - 0.5).abs() < 1e-12);
		assert!((m.price() - 0.25).abs() < 1e-12);
		for _ in 0..10 {
			m.step();
		}
		assert!((m.price() - 0.5).abs() < 1e-9);
		// A buy fills above the price it starts from; the pool's USD side is now the square
		// root of the impact smaller.
		let before = m.price();
		assert!((m.depth() - 1_000_000.0 * 0.5f64.sqrt()).abs() < 1e-6);
		let paid = m.trade(1_000.0);
		assert!(paid > before && m.price() > paid);
		// Sold straight back (no arbitrage in between), the CRU returns the pool to where it
		// was and the seller its money: a constant-product pool charges a round trip nothing
		// but its fees (none here), whichever way it runs.
		let cru = 1_000.0 / paid;
		let back = m.trade(-cru * m.price()) * cru;
		assert!((back - 1_000.0).abs() < 1e-6, "{back}");
		assert!((m.price() - before).abs() < 1e-12);
		let sold = 20_000.0 / m.price();
		let got = m.trade(-20_000.0) * sold;
		let y = m.depth();
		let cost = y * sold * m.price() / (y - sold * m.price());
		let refill = m.trade(cost);
		assert!((refill * sold - cost).abs() < 1e-6 && (cost - got).abs() < 1e-6, "{cost} {got}");
		assert!((m.price() - before).abs() < 1e-12);
		// With arbitrage between the legs (from a pool at the fundamental price, so that the
		// arbitrage works against the buy alone), the round trip loses.
		for _ in 0..400 {
			m.step();
		}
		assert!((m.price() - 1.0).abs() < 1e-9);
		let paid = m.trade(1_000.0);
		m.step();
		let cru = 1_000.0 / paid;
		let back = m.trade(-cru * m.price()) * cru;
		assert!(back < 1_000.0);
	}

	#[test]
	fn demand_follows_its_trend_and_stops_when_told() {
		let params =
			DemandParams { initial: 1_000.0, trend: 1.0, noise: 0.0, stop_at: Some(20_000) };
		let mut d = Demand::new(params, 3);
		assert!((d.usd(0) - 1_000.0).abs() < 1e-9);
		assert!((d.usd(8_760) - 1_000.0 * 1f64.exp()).abs() < 1e-6);
		assert_eq!(d.usd(20_000), 0.0);
	}
}
