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

/// Seeds of each boundary-push sweep point (one seed is one price path: the push's result
/// moves with it).
const PUSH_SEEDS: u64 = 6;

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
	let stress: Vec<&Run> = runs.iter().filter(|r| r.scenario.stress).collect();
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

	writeln!(md, "\n## 6. Boundary push against pool depth\n")?;
	writeln!(
		md,
		"A redeemer with $200k of queued credits pushes the pool price down in the last TWAP \
		 window, and buys back after the boundary. Profit against the same run without the \
		 push, hedged (the market's own move while it is short is taken out), over seeds 1 \
		 to {PUSH_SEEDS}. Rounds: the pushes, plus the mints setting them up that were \
		 refunded.\n\n| pool depth (USD) | push | mean profit (USD) | min .. max | rounds \
		 (refunded) |\n|---|---|---|---|---|"
	)?;
	for depth in [50_000.0, 250_000.0, 1_000_000.0, 5_000_000.0, 20_000_000.0] {
		for push in [0.01, 0.02, 0.05] {
			let runs: Vec<Run> = (1..=PUSH_SEEDS)
				.map(|seed| timed(&scenario::boundary_push(depth, push), seed))
				.collect();
			let profits: Vec<f64> = runs.iter().map(|r| r.attacker_profit).collect();
			let mean = profits.iter().sum::<f64>() / profits.len() as f64;
			let (lo, hi) = profits
				.iter()
				.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| (l.min(*p), h.max(*p)));
			writeln!(
				md,
				"| {depth:.0} | {:.0}% | {mean:+.2} | {lo:+.0} .. {hi:+.0} | {} ({}) |",
				push * 100.0,
				runs.iter().map(|r| r.attacks).sum::<u32>(),
				runs.iter().map(|r| r.refunded).sum::<u32>()
			)?;
		}
	}

	writeln!(md, "\n## 8. Self-lease farmer: profit over spread, take-rate and k\n")?;
	writeln!(
		md,
		"The farmer leases $5,000 an epoch to itself beside $5,000 of honest demand, for two \
		 weeks, and redeems everything.\n\n| spread | take-rate | k | profit (USD) | per $ \
		 leased |\n|---|---|---|---|---|"
	)?;
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
		}
	}

	writeln!(md, "\n## 9. Remint drag over volatility\n")?;
	writeln!(
		md,
		"Flat USD demand; providers keep 99% of their credits each epoch (a mean holding time \
		 of 100 hours). Drag = CRU paid per credit redeemed / CRU burned per credit minted − 1; \
		 Jensen's estimate for a lognormal price held h years: e^(σ²h) − 1. {seeds} seeds per \
		 row, 1,500 epochs.\n\n| σ (yearly) | drag, mean | sd | e^(σ²h) − 1 | net supply, \
		 mean |\n|---|---|---|---|---|"
	)?;
	for sigma in [0.25, 0.5, 1.0, 1.5] {
		let s = scenario::volatility(sigma, 0.99, 1_500);
		let runs: Vec<Run> = (1..=seeds).map(|seed| timed(&s, seed)).collect();
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
	fs::write(out.join("report.md"), md)?;
	eprintln!("wrote {}", out.display());
	Ok(())
}
