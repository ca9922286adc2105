//! The simulator in `make test`: short seeded runs of every attack (the attacker must not
//! profit), the runner's accounting, and the equivalence of a simulated run with a replay of
//! its calls through the runtime's full block hooks.

use crucible_econ_sim::{
	chain::{self, Action, Driver, HookSet},
	report,
	runner::{self, Options, Run},
	scenario::{self, Scenario, Tweaks},
};
use sp_runtime::Permill;

fn run(s: &Scenario, seed: u64) -> Run {
	let r = runner::run(s, Options::new(seed));
	assert_eq!(r.invariants, Ok(()), "{}: the BME's and the market's try-state checks", s.name);
	assert_eq!(r.rows.len() as u32, s.epochs, "{}: one row per epoch", s.name);
	r
}

fn assert_no_profit(r: &Run) {
	assert!(r.attacks > 0, "{}: the attacker never completed a round", r.scenario.name);
	// Leasing to itself through its second account (the market refuses a bid on one's own
	// order): an attack that never leased did not run.
	assert!(r.attacker_leases > 0, "{}: the attacker never leased", r.scenario.name);
	assert!(
		r.attacker_profit <= 0.0,
		"{}: attacker profit {:+.2} USD over {} rounds",
		r.scenario.name,
		r.attacker_profit,
		r.attacks
	);
}

// ---- attacks: profit <= 0 ----

#[test]
fn lag_arbitrage_does_not_pay() {
	for seed in 1..=2 {
		let r = run(&scenario::lag_arbitrage().shortened(96), seed);
		assert_no_profit(&r);
		// It pays the spread and the take-rate on every round trip, at least.
		assert!(r.attacker_profit < -0.05 * 20_000.0 * f64::from(r.attacks));
	}
}

fn mean_push_profit(depth: f64) -> f64 {
	let runs: Vec<Run> =
		(1..=6).map(|seed| run(&scenario::boundary_push(depth, 0.02), seed)).collect();
	assert!(runs.iter().all(|r| r.attacks > 0), "{depth}: a push completed in every run");
	assert!(runs.iter().all(|r| r.attacker_leases > 0), "{depth}: every run leased");
	runs.iter().map(|r| r.attacker_profit).sum::<f64>() / runs.len() as f64
}

#[test]
fn boundary_push_does_not_pay_on_average_from_a_1m_to_a_20m_pool() {
	// One seed is one price path, and the push's result moves with it: over six the mean is
	// a loss. (A $50k pool, a quarter of the redemption, is left out: there the push's sale
	// trips the breaker and the comparison measures which boundaries were deferred.)
	for depth in [1_000_000.0, 5_000_000.0, 20_000_000.0] {
		let mean = mean_push_profit(depth);
		assert!(mean <= 0.0, "{depth}: mean push profit {mean:+.2} USD");
	}
}

/// A finding (README, "The economics, under stress"), pinned until the next issue's longer
/// look-back redemption price closes it: with the outlier-tolerant oracle (one feed may be
/// dropped without tripping), a 2% push into a $250k pool gains on average over six seeds
/// (+$51.64 when measured; it lost under the old 3% span rule, which the push's sale tripped).
#[test]
fn finding_a_2pct_push_into_a_250k_pool_pays_today() {
	assert!(mean_push_profit(250_000.0) > 0.0);
}

#[test]
fn colluding_feeders_do_not_profit() {
	// Inside `max_deviation` (1.5%) no honest feed is dropped: 2 colluders of 5 do not move the
	// median, 3 move it by their skew, and the round trip still loses the spread and take-rate.
	for colluders in [2, 3] {
		let r = run(&scenario::collusion(colluders, 0.014).shortened(120), 1);
		assert_no_profit(&r);
	}
	// Beyond it, the honest feeds (or the colluders') are dropped, more than `max_outliers`
	// (1) of them: the breaker trips and no round ever completes (a denial of service, not a
	// profit).
	for colluders in [2, 3] {
		let r = run(&scenario::collusion(colluders, 0.025).shortened(120), 1);
		assert_eq!(r.attacks, 0, "{}: a round completed", r.scenario.name);
		// The breaker stops every round before its lease.
		assert_eq!(r.attacker_leases, 0, "{}", r.scenario.name);
		assert!(r.attacker_profit <= 0.0);
	}
}

#[test]
fn self_lease_farming_does_not_pay() {
	for k in [500_000, 900_000] {
		let tweaks = Tweaks { provider_cap_k: Some(Permill::from_parts(k)), ..Default::default() };
		let r = run(&scenario::farmer(5_000.0, tweaks).shortened(72), 1);
		assert_no_profit(&r);
	}
}

/// The finding this simulator made (README, "Findings"): a price jump inside one block, larger
/// than spread + take-rate, is ahead of every feed; minting at the stale price, leasing to
/// oneself and redeeming after the jump paid (+$2,675 over 4 rounds) while mints settled in the
/// call. Mints now settle `mint_delay` blocks later at the lower of the quote and the price
/// then, and the same attack loses.
#[test]
fn lag_arbitrage_on_one_block_jumps_does_not_pay() {
	for seed in 1..=2 {
		let r = run(&scenario::lag_arbitrage_jumps().shortened(120), seed);
		assert_no_profit(&r);
	}
}

/// The same jumps with mints settling in the call (`mint_delay` 0): the attack pays, so the
/// test above is not vacuous.
#[test]
fn without_the_mint_delay_lag_arbitrage_on_jumps_pays() {
	let s = Scenario {
		tweaks: Tweaks { mint_delay: Some(0), ..Default::default() },
		..scenario::lag_arbitrage_jumps().shortened(120)
	};
	let r = run(&s, 1);
	assert!(r.attacker_leases > 0, "the attack leased");
	assert!(r.attacks > 0 && r.attacker_profit > 0.0, "{:+.2}", r.attacker_profit);
}

// ---- the runner ----

#[test]
fn same_seed_same_run_other_seed_other_run() {
	let s = scenario::steady_growth().shortened(30);
	let (a, b, c) = (run(&s, 5), run(&s, 5), run(&s, 6));
	assert_eq!(a.rows, b.rows);
	assert_ne!(a.rows, c.rows);
}

#[test]
fn zero_demand_mints_nothing_and_withholds_the_providers_emission() {
	let r = run(&scenario::zero_demand().shortened(48), 1);
	for row in &r.rows {
		assert_eq!(
			(row.credits_minted, row.burned, row.reminted, row.new_supply),
			(0., 0., 0., 0.)
		);
		// Nobody earned: the providers' cap is zero; their share and the subnets' above the
		// pot cap are withheld; the treasury's 20% is all that is minted.
		assert_eq!(row.emitted_providers, 0.0);
		assert!((row.emitted_treasury - 0.2 * row.scheduled).abs() < 1e-6);
	}
	let last = r.rows.last().unwrap();
	assert!(last.net_supply_pct > 0.0 && last.net_supply_pct < last.baseline_pct);
}

#[test]
fn demand_burns_more_than_the_schedule_emits() {
	let r = run(&scenario::steady_growth().shortened(96), 1);
	let last = r.rows.last().unwrap();
	assert!(last.net_supply_pct < 0.0, "net {}", last.net_supply_pct);
	// Every epoch's new supply is within its schedule, the net change within the envelope.
	for row in &r.rows {
		assert!(row.new_supply <= row.scheduled + 1e-9);
		assert!(row.net_supply_pct <= row.envelope_pct);
	}
	assert!(r.rows.iter().map(|x| x.served_usd).sum::<f64>() > 0.0);
}

#[test]
fn censored_feeds_defer_boundaries_and_withhold_their_emission() {
	let r = run(&scenario::feeder_outage().shortened(96), 1);
	let censored: Vec<_> = r.rows.iter().filter(|x| !x.executed).collect();
	assert!(!censored.is_empty(), "a day without feeds defers boundaries");
	for row in censored {
		assert_eq!(row.withheld, row.scheduled);
		assert_eq!(row.emitted_treasury + row.emitted_providers + row.reminted, 0.0);
	}
	// One silent feeder of five does not stop the oracle outside the outage (24 epochs, and
	// a clean TWAP window after it).
	let deferred = r.rows.iter().filter(|x| !x.executed).count();
	assert!(deferred <= 24 + 1, "{deferred} boundaries deferred");
}

#[test]
fn a_run_after_a_crash_is_paid_pro_rata_under_the_cap() {
	let r = run(&scenario::crash_run().shortened(120), 1);
	let w = r.waits.expect("a run records its waits");
	// FIFO serves the first requesters first; the chain's pro rata does not rank them, so
	// they wait longer under it (in this short run, past its end).
	assert!(w.fifo_first_vs_last.0.is_finite(), "{w:?}");
	assert!(w.fifo_first_vs_last.0 < w.pro_rata_first_vs_last.0, "{w:?}");
	assert!(w.fifo_first_vs_last.0 <= w.fifo_first_vs_last.1);
	assert!(r.rows.iter().any(|x| x.queue_requests > 0 && x.queued > 0.0));
	for row in &r.rows {
		assert!(row.reminted + row.new_supply <= row.cap + 1e-9);
	}
}

#[test]
fn csv_has_a_column_per_field_and_a_line_per_epoch() {
	let r = run(&scenario::steady_growth().shortened(5), 1);
	let dir = std::env::temp_dir().join(format!("econ-sim-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let path = dir.join("run.csv");
	report::write_csv(&r, &path).unwrap();
	let text = std::fs::read_to_string(&path).unwrap();
	let lines: Vec<&str> = text.lines().collect();
	assert_eq!(lines.len(), 6);
	let columns = report::CSV_HEADER.split(',').count();
	assert!(lines.iter().all(|l| l.split(',').count() == columns));
	report::run_chart(&r, &dir.join("run.png")).unwrap();
	let png = std::fs::read(dir.join("run.png")).unwrap();
	assert_eq!(&png[1..4], b"PNG");
	std::fs::remove_dir_all(&dir).unwrap();
}

// ---- the simulator's numbers are the pallets' ----

/// One sequence, two drivers: the simulator (economic hooks only, its own bookkeeping) and a
/// replay of its recorded calls on a fresh chain running every pallet's `on_initialize` and
/// `on_idle`, as a block does. Every BME counter, the issuance and each account's CRU,
/// credits and queue agree at every epoch boundary; and every CSV figure is the chain's summary
/// of that epoch.
#[test]
fn simulated_run_equals_a_replay_through_the_runtime() {
	let s = scenario::lag_arbitrage().shortened(24);
	let mut o = Options::new(3);
	o.record = true;
	let sim = runner::run(&s, o);
	let log = sim.log.clone().expect("recorded");
	assert!(log.iter().filter(|a| matches!(a, Action::Call(..))).count() > 1_000);

	let mut ext = chain::genesis(&runner::chain_params(&s, o.blocks_per_epoch));
	let e = o.blocks_per_epoch;
	let accounts = runner::tracked_accounts();
	let replayed: Vec<chain::Snapshot> = ext.execute_with(|| {
		let mut d = Driver::new(HookSet::All, false);
		let mut snaps = Vec::new();
		let mut i = 0;
		while i < log.len() {
			let j = log[i + 1..]
				.iter()
				.position(|a| matches!(a, Action::Block(_)))
				.map_or(log.len(), |p| i + 1 + p);
			let Action::Block(n) = log[i] else { panic!("a log starts with a block") };
			d.replay(&log[i..i + 1]);
			if n % e == 0 && n / e >= 2 && n / e - 2 < s.epochs {
				snaps.push(chain::snapshot(&accounts));
			}
			d.replay(&log[i + 1..j]);
			i = j;
		}
		snaps
	});
	assert_eq!(replayed.len(), sim.snapshots.len());
	for (a, b) in sim.snapshots.iter().zip(&replayed) {
		assert_eq!(a, b, "at block {}", a.block);
	}
	for (row, snap) in sim.rows.iter().zip(&sim.snapshots) {
		let summary = snap.last_summary.as_ref().expect("a boundary ran");
		assert_eq!(summary.epoch, row.epoch + 1);
		assert_eq!(row.burned, chain::cru(summary.flows.burned_for_credits));
		assert_eq!(row.spread_burned, chain::cru(summary.flows.spread_burned));
		assert_eq!(row.reminted, chain::cru(summary.flows.reminted));
		assert_eq!(row.new_supply, chain::cru(summary.flows.new_supply));
		assert_eq!(row.realized_net_burn, chain::cru(summary.flows.realized_net_burn));
		assert_eq!(row.emitted_providers, chain::cru(summary.emitted_providers));
		assert_eq!(row.withheld, chain::cru(summary.withheld));
		assert_eq!(row.credits_redeemed, chain::usd(summary.credits_redeemed));
		assert_eq!(row.queued, chain::usd(snap.totals.queued));
		assert_eq!(row.earned, chain::usd(snap.totals.earned));
		let genesis = ext.execute_with(chain::genesis_issuance);
		let net = 100.0 * (snap.issuance as f64 - genesis as f64) / genesis as f64;
		assert_eq!(row.net_supply_pct, net);
		// Issuance moved only by the counted flows.
		assert_eq!(snap.issuance as i128 - genesis as i128, snap.supply.net_change());
	}
	assert!(sim.rows.iter().any(|r| r.reminted > 0.0) && sim.attacks > 0);
}
