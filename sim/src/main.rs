//! `crucible-econ-sim`: run one scenario, or the full report.

use clap::{Parser, Subcommand};
use crucible_econ_sim::{
	report,
	runner::{self, Options, Run},
	scenario::{self, Scenario, Tweaks},
};
use sp_runtime::Permill;
use std::{fmt::Write as _, fs, path::PathBuf, time::Instant};

#[derive(Parser)]
#[command(name = "crucible-econ-sim", about = "Crucible's BME and lease market under stress")]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// The preset scenarios.
	List,
	/// One scenario: a CSV and a chart.
	Run {
		/// The scenario's name (see `list`).
		name: String,
		#[arg(long, default_value_t = 1)]
		seed: u64,
		/// Shorten the scenario to this many epochs (hours).
		#[arg(long)]
		epochs: Option<u32>,
		#[arg(long, default_value = "econ-out")]
		out: PathBuf,
	},
	/// Every scenario and sweep: CSVs, charts and report.md.
	Report {
		#[arg(long, default_value = "docs/econ")]
		out: PathBuf,
		/// Seeds per point of the volatility sweep.
		#[arg(long, default_value_t = 6)]
		seeds: u64,
	},
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
	match Cli::parse().command {
		Command::List => {
			for s in scenario::presets() {
				println!("{:28} {} ({} epochs)", s.name, s.title, s.epochs);
			}
		}
		Command::Run { name, seed, epochs, out } => {
			let mut s = scenario::by_name(&name).ok_or(format!("no scenario {name}"))?;
			if let Some(e) = epochs {
				s = s.shortened(e);
			}
			fs::create_dir_all(&out)?;
			let run = runner::run(&s, Options::new(seed));
			report::write_csv(&run, &out.join(format!("{name}.csv")))?;
			report::run_chart(&run, &out.join(format!("{name}.png")))?;
			println!("{}", report::summary_line(&run));
			run.invariants.clone().map_err(|e| format!("invariants: {e}"))?;
		}
		Command::Report { out, seeds } => full_report(&out, seeds)?,
	}
	Ok(())
}

use scenario::{PUSHES, PUSH_DEPTHS, PUSH_SEEDS};

fn timed(s: &Scenario, seed: u64) -> Run {
	let t = Instant::now();
	let run = runner::run(s, Options::new(seed));
	eprintln!("{:50} {:>6} epochs {:>7.1} s", s.title, s.epochs, t.elapsed().as_secs_f64());
	if let Err(e) = &run.invariants {
		panic!("{}: invariants broken: {e}", s.name);
	}
	run
}

fn pct(p: Permill) -> f64 {
	f64::from(p.deconstruct()) / 1e4
}

fn full_report(out: &std::path::Path, seeds: u64) -> Result<(), Box<dyn std::error::Error>> {
	fs::create_dir_all(out)?;
	let mut md = String::new();
	writeln!(md, "# Crucible economics report\n")?;
	writeln!(
		md,
		"Made by `make econ-report` (`crucible-econ-sim report`): the runtime's own BME and \
		 lease-market code under seeded scenarios (seed 1 unless noted). Net supply, envelope \
		 and baseline are cumulative, in % of genesis issuance; attacker profit in USD.\n"
	)?;
	writeln!(
		md,
		"| scenario | epochs | net supply | envelope | no-BME baseline | boundaries executed | \
		 attacker profit |\n|---|---|---|---|---|---|---|"
	)?;
	let mut runs = Vec::new();
	for s in scenario::presets() {
		let run = timed(&s, 1);
		report::write_csv(&run, &out.join(format!("{}.csv", s.name)))?;
		report::run_chart(&run, &out.join(format!("{}.png", s.name)))?;
		writeln!(md, "{}", report::summary_line(&run))?;
		runs.push(run);
	}
	// Every run on the supply chart: stress runs thick, attack runs thin.
	let stress: Vec<&Run> = runs.iter().collect();
	let parts = runs.iter().find(|r| r.scenario.name == "bear-market").ok_or("bear-market")?;
	report::supply_chart(&stress, parts, &out.join("supply.png"))?;

	if let Some(w) = runs.iter().find_map(|r| r.waits) {
		writeln!(md, "\n## Redemption run after the crash: pro rata (the chain) vs FIFO\n")?;
		writeln!(
			md,
			"The same credits per boundary (the chain's caps), filled pro rata as the chain \
			 does, or first come first served. Waits in epochs (hours) until a request is 99% \
			 filled.\n\n| | mean wait | worst wait | first half of requesters | second half |\n\
			 |---|---|---|---|---|\n| pro rata | {:.1} | {:.0} | {:.1} | {:.1} |\n| FIFO | {:.1} | \
			 {:.0} | {:.1} | {:.1} |",
			w.pro_rata_mean,
			w.pro_rata_max,
			w.pro_rata_first_vs_last.0,
			w.pro_rata_first_vs_last.1,
			w.fifo_mean,
			w.fifo_max,
			w.fifo_first_vs_last.0,
			w.fifo_first_vs_last.1
		)?;
	}

	if let Some(crash) = runs.iter().find(|r| r.scenario.name == "crash-run") {
		writeln!(md, "\n## The redeem price's look-back in the crash\n")?;
		writeln!(
			md,
			"Redemptions pay at the highest of the TWAP, the median and the previous boundary's \
			 TWAP. Over the crash-and-run scenario, the same redeemed credits would have fetched \
			 {:.2}% more CRU at max(TWAP, median), the rule before the look-back: what honest \
			 redeemers pay for the look-back (it bounds a push inside one boundary's price; it \
			 does not close the push, README \"The boundary push\"). Each boundary's look-back costs at \
			 most `max_twap_move` (15%): a larger move defers the boundary.",
			100.0 * crash.lookback_cost / (1.0 - crash.lookback_cost)
		)?;
	}

	writeln!(md, "\n## 6. Boundary push against pool depth\n")?;
	writeln!(
		md,
		"A redeemer with $200k of queued credits pushes the pool price down in the last TWAP \
		 window, and buys back after the boundary. Profit against the same run without the \
		 push, hedged (the market's own move while it is short is taken out), both runs' CRU \
		 marked at the end price of the run without the push, over seeds 1 to {PUSH_SEEDS}; \
		 arbitrage takes back a push's impact with production's 20-minute half-life (6a has \
		 the grid at a 10-hour one). `make test` runs this grid: every mean loses, and no seed \
		 gains but in the 1% pushes into pools too shallow for the push to cost its gain \
		 (README, \"The boundary push\", states which and why no look-back closes them). \
		 Rounds: the pushes, plus the mints setting them up that were refunded. CSV: \
		 `boundary-push-grid.csv`.\n\n| pool depth (USD) | push | mean profit (USD) | min .. \
		 max | rounds (refunded) |\n|---|---|---|---|---|"
	)?;
	let mut csv = String::from("depth_usd,push,seed,profit_usd,rounds,refunded\n");
	for depth in PUSH_DEPTHS {
		for push in PUSHES {
			let runs: Vec<Run> = (1..=PUSH_SEEDS)
				.map(|seed| timed(&scenario::boundary_push(depth, push), seed))
				.collect();
			for r in &runs {
				writeln!(
					csv,
					"{depth},{push},{},{:.2},{},{}",
					r.seed, r.attacker_profit, r.attacks, r.refunded
				)?;
			}
			writeln!(md, "{}", push_line(depth, push, &runs))?;
		}
	}
	fs::write(out.join("boundary-push-grid.csv"), csv)?;

	writeln!(md, "\n## 6a. The push grid against arbitrage's speed\n")?;
	writeln!(
		md,
		"The grid above runs with production's arbitrage half-life (200 blocks of six seconds, \
		 20 minutes; {:.2} of the simulator's blocks). With the simulator's default, 200 of \
		 its blocks (10 hours), a push's impact stays in the pool for most of a day, so a push \
		 costs a few percent of what it does in production; the same grid then: mean profit \
		 (USD) and the seeds of {PUSH_SEEDS} that gain. CSV: \
		 `boundary-push-grid-slow-arbitrage.csv`.\n\n| pool depth (USD) | 1% | 2% | 3% | 4% \
		 | 5% |\n|---|---|---|---|---|---|",
		scenario::PUSH_IMPACT_HALF_LIFE
	)?;
	let mut csv = String::from("depth_usd,push,seed,profit_usd\n");
	for depth in PUSH_DEPTHS {
		let mut line = format!("| {depth:.0} |");
		for push in PUSHES {
			let mut s = scenario::boundary_push(depth, push);
			s.price.impact_half_life = 200.0;
			let runs: Vec<Run> = (1..=PUSH_SEEDS).map(|seed| timed(&s, seed)).collect();
			for r in &runs {
				writeln!(csv, "{depth},{push},{},{:.2}", r.seed, r.attacker_profit)?;
			}
			let mean = runs.iter().map(|r| r.attacker_profit).sum::<f64>() / runs.len() as f64;
			let gain = runs.iter().filter(|r| r.attacker_profit > 0.0).count();
			write!(line, " {mean:+.2} ({gain}) |")?;
		}
		writeln!(md, "{line}")?;
	}
	fs::write(out.join("boundary-push-grid-slow-arbitrage.csv"), csv)?;

	writeln!(md, "\n## 6b. Pushes with feeders on several venues, and the mint-side push\n")?;
	writeln!(
		md,
		"Feeders reading three venues (feeder i reads venue i mod 3), the push made in one; \
		 and the mint-side push: the pool pushed up for a TWAP window and the mint's \
		 settlement, $200k of credits minted at the pushed price, the push sold back, the \
		 credits leased to oneself and redeemed. Seeds 1 to {PUSH_SEEDS}. CSV: \
		 `push-venues.csv`.\n\n| attack | pool depth (USD) | push | mean profit (USD) | min .. \
		 max | rounds (refunded) |\n|---|---|---|---|---|---|"
	)?;
	let mut csv = String::from("attack,venues,depth_usd,push,seed,profit_usd,rounds,refunded\n");
	let cells: [(&str, u8, f64, f64); 8] = [
		("boundary push, 3 venues", 3, 250_000.0, 0.05),
		("boundary push, 3 venues", 3, 50_000.0, 0.05),
		("mint push, 1 venue", 1, 250_000.0, 0.08),
		("mint push, 1 venue", 1, 1_000_000.0, 0.08),
		("mint push, 1 venue", 1, 250_000.0, 0.12),
		("mint push, 1 venue", 1, 50_000.0, 0.12),
		("mint push, 3 venues", 3, 250_000.0, 0.1),
		("mint push, 3 venues", 3, 50_000.0, 0.12),
	];
	for (name, venues, depth, push) in cells {
		let s = if name.starts_with("boundary") {
			scenario::boundary_push_venues(depth, push, venues)
		} else {
			scenario::mint_push(depth, push, venues)
		};
		let runs: Vec<Run> = (1..=PUSH_SEEDS).map(|seed| timed(&s, seed)).collect();
		for r in &runs {
			writeln!(
				csv,
				"{name},{venues},{depth},{push},{},{:.2},{},{}",
				r.seed, r.attacker_profit, r.attacks, r.refunded
			)?;
		}
		if runs.iter().all(|r| r.attacks == 0) {
			// Measured against a run that minted and paid its round trip, the relative
			// figure would count the round trip it never made (the sim's tests check its
			// own books lose).
			writeln!(
				md,
				"| {name} | {depth:.0} | {:.0}% | no round: the breaker tripped, no mint \
				 settled; the push lost its slippage | — | 0 (0) |",
				push * 100.0
			)?;
		} else {
			writeln!(md, "| {name} {}", push_line(depth, push, &runs))?;
		}
	}
	fs::write(out.join("push-venues.csv"), csv)?;

	writeln!(md, "\n## 7b. Feeder collusion: liveness and profit over the skew\n")?;
	writeln!(
		md,
		"2 or 3 of 5 feeders report the price skewed by the given amount while the attacker \
		 mints, and against it while it redeems. Inside `max_deviation` (1.5%) nothing is \
		 dropped; beyond it more than `max_outliers` (1) feeds are dropped and the breaker \
		 trips: a denial of service that lasts until governance removes the colluders (a \
		 bound the README states), not a profit. Half a month each. CSV: \
		 `collusion-sweep.csv`.\n\n| colluders | skew | boundaries executed | attacker profit \
		 (USD) | rounds |\n|---|---|---|---|---|"
	)?;
	let mut csv = String::from("colluders,skew,executed_share,profit_usd,rounds\n");
	for colluders in [2, 3] {
		for skew in [0.010, 0.014, 0.020, 0.0225, 0.025, 0.0275, 0.031] {
			let r = timed(&scenario::collusion(colluders, skew), 1);
			let executed =
				r.rows.iter().filter(|x| x.executed).count() as f64 / r.rows.len().max(1) as f64;
			writeln!(
				csv,
				"{colluders},{skew},{executed:.4},{:.2},{}",
				r.attacker_profit, r.attacks
			)?;
			writeln!(
				md,
				"| {colluders} | {:.2}% | {:.1}% | {:+.2} | {} |",
				skew * 100.0,
				executed * 100.0,
				r.attacker_profit,
				r.attacks
			)?;
		}
	}
	fs::write(out.join("collusion-sweep.csv"), csv)?;

	writeln!(md, "\n## Break-even demand\n")?;
	writeln!(
		md,
		"Flat demand at a flat $1/CRU (no volatility) for two weeks: the net supply change per \
		 epoch against demand. By arithmetic the BME burns for good the spread (0.5%) and the \
		 take-rate (5%) of what tenants spend, so it balances the 100 CRU an epoch of emission \
		 at about $100 / 0.055 = $1,818 an hour, once the subnets draw their 30% as it \
		 accrues. Until a subnet draws it the pot's share is not issued, and the providers' \
		 share is capped at k (0.5) x 5.5% of the volume, so the chain alone balances lower. \
		 Second week's averages. CSV: `break-even.csv`.\n\n| demand (USD an hour) | net \
		 supply change (CRU an epoch) | with the subnet pot drawn |\n|---|---|---|"
	)?;
	let mut csv = String::from("demand_usd_per_hour,net_cru_per_epoch,with_pot_drawn\n");
	let mut points = Vec::new();
	for demand in [500.0, 750.0, 1_000.0, 1_500.0, 1_800.0, 2_000.0, 2_500.0, 5_000.0] {
		let r = timed(&scenario::break_even(demand), 1);
		let (net, pot) = r.net_cru_per_epoch();
		points.push((demand, net, net + pot));
		writeln!(csv, "{demand},{net:.4},{:.4}", net + pot)?;
		writeln!(md, "| {demand:.0} | {net:+.2} | {:+.2} |", net + pot)?;
	}
	fs::write(out.join("break-even.csv"), csv)?;
	let zero = |f: fn(&(f64, f64, f64)) -> f64| {
		points.windows(2).find(|w| f(&w[0]) > 0.0 && f(&w[1]) <= 0.0).map(|w| {
			let (d0, n0, d1, n1) = (w[0].0, f(&w[0]), w[1].0, f(&w[1]));
			d0 + (d1 - d0) * n0 / (n0 - n1)
		})
	};
	if let (Some(chain), Some(drawn)) = (zero(|p| p.1), zero(|p| p.2)) {
		writeln!(
			md,
			"\nMeasured break-even (linear between the points around zero): ${chain:.0} an hour \
			 with the pot undrawn, ${drawn:.0} an hour with it drawn."
		)?;
	}

	writeln!(md, "\n## 8. Self-lease farmer: profit over spread, take-rate and k\n")?;
	writeln!(
		md,
		"The farmer leases $5,000 an epoch to itself beside $5,000 of honest demand, for two \
		 weeks, and redeems everything. CSV: `farmer-grid.csv`.\n\n| spread | take-rate | k | \
		 profit (USD) | per $ leased |\n|---|---|---|---|---|"
	)?;
	let mut csv = String::from("spread,take_rate,k,profit_usd,profit_per_usd_leased\n");
	for (spread, take) in [(5_000, 50_000), (5_000, 10_000), (20_000, 10_000), (1_000, 5_000)] {
		for k in [250_000, 500_000, 900_000, 990_000] {
			let tweaks = Tweaks {
				spread: Some(Permill::from_parts(spread)),
				take_rate: Some(Permill::from_parts(take)),
				provider_cap_k: Some(Permill::from_parts(k)),
				..Default::default()
			};
			let run = timed(&scenario::farmer(5_000.0, tweaks), 1);
			let leased = 5_000.0 * f64::from(run.attacks.max(1));
			writeln!(
				md,
				"| {:.1}% | {:.1}% | {:.2} | {:+.2} | {:+.5} |",
				pct(tweaks.spread.unwrap_or_default()),
				pct(tweaks.take_rate.unwrap_or_default()),
				f64::from(k) / 1e6,
				run.attacker_profit,
				run.attacker_profit / leased
			)?;
			writeln!(
				csv,
				"{},{},{},{},{}",
				f64::from(spread) / 1e6,
				f64::from(take) / 1e6,
				f64::from(k) / 1e6,
				run.attacker_profit,
				run.attacker_profit / leased
			)?;
		}
	}
	fs::write(out.join("farmer-grid.csv"), csv)?;

	writeln!(md, "\n## 8b. The farmer alone: the cap-binding regime\n")?;
	writeln!(
		md,
		"No honest demand at all: the farmer's own lease is the epoch's whole earned volume, so \
		 the provider cap (k x (spread + take-rate) x the smaller of the 7-day average and the \
		 epoch's volume) binds below the providers' 50 CRU of the emission. Two weeks, \
		 production spread and take-rate. CSV: `farmer-alone-grid.csv`.\n\n| leased per epoch (USD) | k | profit (USD) | per $ \
		 leased |\n|---|---|---|---|"
	)?;
	let mut csv = String::from("volume_usd,k,profit_usd,profit_per_usd_leased\n");
	for volume in [100.0, 500.0, 1_000.0, 5_000.0] {
		for k in [500_000, 900_000, 990_000] {
			let tweaks =
				Tweaks { provider_cap_k: Some(Permill::from_parts(k)), ..Default::default() };
			let run = timed(&scenario::farmer_alone(volume, tweaks), 1);
			let leased = volume * f64::from(run.attacks.max(1));
			let k = f64::from(k) / 1e6;
			writeln!(
				md,
				"| {volume:.0} | {k:.2} | {:+.2} | {:+.5} |",
				run.attacker_profit,
				run.attacker_profit / leased
			)?;
			writeln!(csv, "{volume},{k},{},{}", run.attacker_profit, run.attacker_profit / leased)?;
		}
	}
	fs::write(out.join("farmer-alone-grid.csv"), csv)?;

	writeln!(md, "\n## 9. Remint drag over volatility\n")?;
	writeln!(
		md,
		"Flat USD demand; providers keep 99% of their credits each epoch (a mean holding time \
		 of 100 hours). Drag = CRU paid per credit redeemed / CRU burned per credit minted − 1; \
		 Jensen's estimate for a lognormal price held h years: e^(σ²h) − 1. {seeds} seeds per \
		 row, 1,500 epochs. CSV: `volatility-sweep.csv` (a line per run).\n\n| σ (yearly) | drag, mean | sd | e^(σ²h) − 1 | net supply, \
		 mean |\n|---|---|---|---|---|"
	)?;
	let mut csv = String::from("sigma,seed,drag,net_supply_pct\n");
	for sigma in [0.25, 0.5, 1.0, 1.5] {
		let s = scenario::volatility(sigma, 0.99, 1_500);
		let runs: Vec<Run> = (1..=seeds).map(|seed| timed(&s, seed)).collect();
		for r in &runs {
			let net = r.rows.last().map_or(0.0, |x| x.net_supply_pct);
			writeln!(csv, "{sigma},{},{},{net}", r.seed, r.drag_ratio)?;
		}
		let drags: Vec<f64> = runs.iter().map(|r| r.drag_ratio).collect();
		let mean = drags.iter().sum::<f64>() / drags.len() as f64;
		let sd = (drags.iter().map(|d| (d - mean).powi(2)).sum::<f64>()
			/ (drags.len().max(2) - 1) as f64)
			.sqrt();
		let h = 100.0 / 8_760.0;
		let net = runs.iter().filter_map(|r| r.rows.last()).map(|r| r.net_supply_pct).sum::<f64>()
			/ runs.len() as f64;
		writeln!(
			md,
			"| {:.0}% | {:+.4}% | {:.4}% | {:+.4}% | {:+.4}% |",
			sigma * 100.0,
			mean * 100.0,
			sd * 100.0,
			((sigma * sigma * h).exp() - 1.0) * 100.0,
			net
		)?;
	}
	fs::write(out.join("volatility-sweep.csv"), csv)?;
	fs::write(out.join("report.md"), md)?;
	eprintln!("wrote {}", out.display());
	Ok(())
}

/// A row of the push tables: depth, push, mean, range and rounds over `runs`.
fn push_line(depth: f64, push: f64, runs: &[Run]) -> String {
	let profits: Vec<f64> = runs.iter().map(|r| r.attacker_profit).collect();
	let mean = profits.iter().sum::<f64>() / profits.len().max(1) as f64;
	let (lo, hi) =
		profits.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(*p), h.max(*p)));
	format!(
		"| {depth:.0} | {:.0}% | {mean:+.2} | {lo:+.0} .. {hi:+.0} | {} ({}) |",
		push * 100.0,
		runs.iter().map(|r| r.attacks).sum::<u32>(),
		runs.iter().map(|r| r.refunded).sum::<u32>()
	)
}
