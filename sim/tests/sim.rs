//! The simulator in `make test`: seeded runs of every attack (the attacker must not
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
	assert_attack_ran(r);
	assert!(
		r.attacker_profit <= 0.0,
		"{}: attacker profit {:+.2} USD over {} rounds",
		r.scenario.name,
		r.attacker_profit,
		r.attacks
	);
}

/// The attack did what its scenario says: it completed rounds, leased to itself through its
/// second account (the market refuses a bid on one's own order), traded in the pool what each
/// round buys and sells, and was paid for redemptions.
fn assert_attack_ran(r: &Run) {
	let name = &r.scenario.name;
	assert!(r.attacks > 0, "{name}: the attacker never completed a round");
	assert!(r.attacker_leases > 0, "{name}: the attacker never leased");
	assert!(r.attacker_redeemed > 0.0, "{name}: the attacker was paid for no redemption");
	assert!(r.attacker_sold_usd > 0.0, "{name}: the attacker sold nothing");
	let bought = r.attacker_bought_usd;
	match r.scenario.attack {
		// Each round buys its budget (a round whose mint was refused sells it back).
		scenario::Attack::LagArbitrage { budget, .. }
		| scenario::Attack::Collusion { budget, .. } => assert!(
			bought >= budget * f64::from(r.attacks),
			"{name}: bought ${bought:.0} in {} rounds of ${budget:.0}",
			r.attacks
		),
		// A mint of `volume` each epoch it leased in.
		scenario::Attack::Farmer { volume } => assert!(
			bought >= volume * f64::from(r.attacker_leases),
			"{name}: bought ${bought:.0} for {} leases of ${volume:.0}",
			r.attacker_leases
		),
		// The position it pushes for, leased and redeemed in full (less the take-rate).
		scenario::Attack::BoundaryPush { credits, .. }
		| scenario::Attack::MintPush { credits, .. } => {
			assert!(bought > 0.0, "{name}: the attacker bought nothing");
			assert!(
				r.attacker_redeemed >= 0.8 * credits,
				"{name}: redeemed ${:.0} of ${credits:.0}",
				r.attacker_redeemed
			);
		}
		scenario::Attack::None => panic!("{name}: no attack"),
	}
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

/// The push grid: every cell (five pool depths x pushes of 1% to 5%), seeds 1 to `PUSH_SEEDS`,
/// each attack checked to have run (leased, pushed, bought back, been paid). Two workers (the
/// machines have two cores); each cell's runs are independent chains.
fn push_grid() -> Vec<(f64, f64, Vec<Run>)> {
	use scenario::{PUSHES, PUSH_DEPTHS, PUSH_SEEDS};
	let cells: Vec<(f64, f64)> =
		PUSH_DEPTHS.iter().flat_map(|d| PUSHES.iter().map(move |p| (*d, *p))).collect();
	let results: Vec<(f64, f64, Vec<Run>)> = std::thread::scope(|scope| {
		let halves: Vec<_> = cells
			.chunks(cells.len().div_ceil(2))
			.map(|chunk| {
				scope.spawn(move || {
					chunk
						.iter()
						.map(|&(depth, push)| {
							let s = scenario::boundary_push(depth, push);
							(depth, push, (1..=PUSH_SEEDS).map(|seed| run(&s, seed)).collect())
						})
						.collect::<Vec<_>>()
				})
			})
			.collect();
		halves.into_iter().flat_map(|h| h.join().expect("a push worker")).collect()
	});
	for (_, _, runs) in &results {
		runs.iter().for_each(assert_attack_ran);
	}
	results
}

/// The cells of a push grid that paid: each seed that gained, each cell whose mean did not
/// lose.
fn paying_pushes(grid: &[(f64, f64, Vec<Run>)]) -> Vec<String> {
	let mut paid = Vec::new();
	for (depth, push, runs) in grid {
		for r in runs.iter().filter(|r| r.attacker_profit > 0.0) {
			paid.push(format!(
				"{depth} x {push}: seed {} {:+.2} (inventory revalued {:+.2})",
				r.seed, r.attacker_profit, r.attacker_revaluation
			));
		}
		let mean = runs.iter().map(|r| r.attacker_profit).sum::<f64>() / runs.len() as f64;
		if mean >= 0.0 {
			paid.push(format!("{depth} x {push}: mean {mean:+.2}"));
		}
	}
	paid
}

/// The push grid in `make test`, every cell and seed: the mean loses in every cell; no seed
/// gains in any cell beyond `max_deviation` (the breaker defers the target boundary, and the
/// tenants it refuses meanwhile come back: README, "The boundary push") or in a pool deep
/// enough that the push's cost exceeds its gain (depth >= 4 x cap / (push x f), f the share
/// of the impact arbitraged in the window); in the shallower cells of a push inside
/// `max_deviation`, where a seed may gain when the TWAP has risen since the previous boundary,
/// no seed gains more than the push on two capped fills (the target boundary's, and the
/// next's, whose floor is the pushed TWAP: 2 x push x `cap_floor` at the end price). The strict form, no gain anywhere, is the ignored test below: it lists the
/// seeds that pay.
#[test]
fn boundary_pushes_lose_on_average_and_gain_only_below_their_cost_bound() {
	let cap = chain::cru(pallet_crucible_bme::MarketParams::standard().cap_floor);
	let max_deviation = 0.015;
	// The simulator's window (10 blocks) against the push scenarios' arbitrage half-life.
	let f = 1.0 - 0.5f64.powf(10.0 / scenario::PUSH_IMPACT_HALF_LIFE);
	let under_bound =
		|depth: f64, push: f64| push <= max_deviation && depth < 4.0 * cap / (push * f);
	let grid = push_grid();
	let mut paid = Vec::new();
	for (depth, push, runs) in &grid {
		let mean = runs.iter().map(|r| r.attacker_profit).sum::<f64>() / runs.len() as f64;
		if mean >= 0.0 {
			paid.push(format!("{depth} x {push}: mean {mean:+.2}"));
		}
		for r in runs {
			let allowed =
				if under_bound(*depth, *push) { 2.0 * push * cap * r.end_price } else { 0.0 };
			if r.attacker_profit > allowed {
				paid.push(format!(
					"{depth} x {push}: seed {} {:+.2} (allowed {allowed:.2})",
					r.seed, r.attacker_profit
				));
			}
		}
	}
	assert!(paid.is_empty(), "pushes that paid: {paid:#?}");
	// The bound spares only the 1% pushes into pools below some $6M.
	let spared = grid.iter().filter(|(d, p, _)| under_bound(*d, *p)).count();
	assert_eq!(spared, 4, "cells under the cost bound");
}

/// Every cell of the push grid, six seeds each: no seed gains and the mean loses. It fails
/// today, on single seeds of 1% pushes (README, "The boundary push", has the figures and
/// why no look-back closes them): inside `max_deviation` in a rising market a push lowers the
/// target boundary's price towards the previous TWAP, which a floor from past prices cannot
/// stop, and gains up to the push on its capped fills where the pool is shallower than
/// about 4 x cap / (push x f).
#[test]
#[ignore = "open finding (README, 'The boundary push'): 1% pushes gain on single seeds; run \
            with --ignored"]
fn no_boundary_push_pays_in_any_cell_of_the_grid() {
	let paid = paying_pushes(&push_grid());
	assert!(paid.is_empty(), "pushes that paid: {paid:#?}");
}

/// Feeders reading three venues (two of five read the pushed pool): the push moves two feeds,
/// both are dropped, more than `max_outliers`, and the breaker trips and defers the boundary,
/// as in the single-venue push beyond `max_deviation`; the push does not pay.
#[test]
fn a_boundary_push_into_one_of_three_venues_does_not_pay() {
	for (depth, push) in [(250_000.0, 0.05), (50_000.0, 0.05)] {
		let r = run(&scenario::boundary_push_venues(depth, push, 3), 1);
		assert_no_profit(&r);
	}
}

/// A push beyond `max_deviation` (1.5%) spreads the lagged feeds, more than `max_outliers` are
/// dropped, the breaker trips and the target boundary is deferred; the tenants whose mints it
/// refuses meanwhile come back once it prices (their demand is not lost), and the push loses.
/// With arbitrage taking back a push's impact at a 10-hour half-life (the simulator's default,
/// not production's 20 minutes) it paid at $50k: README, "The boundary push".
#[test]
fn a_boundary_push_beyond_max_deviation_defers_the_boundary_and_does_not_pay() {
	for (depth, push) in [(50_000.0, 0.04), (1_000_000.0, 0.05)] {
		for seed in 1..=2 {
			let s = scenario::boundary_push(depth, push);
			let r = run(&s, seed);
			let base = runner::run(&s, Options { suppress_attack: true, ..Options::new(seed) });
			let target =
				|r: &Run| r.rows.iter().find(|row| row.epoch == 48).map(|row| row.executed);
			assert_eq!(target(&base), Some(true), "{}: executes without the push", s.name);
			assert_eq!(target(&r), Some(false), "{}: the push defers it", s.name);
			assert_no_profit(&r);
		}
	}
}

/// The mint-side push against feeders on three venues: the two feeds of the pushed venue are
/// dropped, more than `max_outliers`, so the breaker trips while the push lasts: the mint is
/// refused, no round trip completes, and the push costs the attacker its slippage.
#[test]
fn a_mint_push_into_one_of_three_venues_does_not_pay() {
	for seed in 1..=2 {
		let s = scenario::mint_push(250_000.0, 0.1, 3);
		let r = run(&s, seed);
		assert_eq!(r.attacker_leases, 0, "{}: no mint settled, nothing leased", s.name);
		assert!(r.attacker_bought_usd > 0.0 && r.attacker_sold_usd > 0.0, "{}: pushed", s.name);
		// Measured against a run that did mint and pay its round trip, the push "gains" the
		// round trip it never made; on its own it lost the push's slippage.
		let base = runner::run(&s, Options { suppress_attack: true, ..Options::new(seed) });
		let own = r.attacker_profit + base.attacker_profit;
		assert!(own <= 0.0, "{}: {own:+.2} on its own", s.name);
	}
}

/// An open finding (README, "the mint-side push"), pinned for the attestation-independent
/// oracle work: with every feeder reading the one pool the attacker trades in, an 8% push held
/// for a TWAP window and the mint's settlement buys credits worth 8% more than the CRU, and the
/// round trip gains (+$8,248 on average at $250k over six seeds, report §6b). The look-back on redemptions
/// does not reach it; feeds from several venues do (the test above).
#[test]
fn finding_a_mint_push_against_a_single_venue_pays() {
	let r = run(&scenario::mint_push(250_000.0, 0.08, 1), 1);
	assert_attack_ran(&r);
	assert!(r.attacker_profit > 0.0, "{:+.2}", r.attacker_profit);
}

/// Liveness over the collusion skew (the report's §7b, five days each): the share of
/// boundaries executed with 2 and 3 of 5 feeders colluding, from inside `max_deviation` (1.5%)
/// to 3.1%. Inside it the colluders drop no honest feed and most boundaries run; from 2% on
/// more than `max_outliers` feeds are dropped and the breaker holds nearly every boundary (a
/// denial of service until governance removes them, not a profit).
#[test]
fn colluders_inside_the_deviation_bound_do_not_stop_the_boundaries() {
	// (skew, least and most share executed, for 2 and for 3 colluders).
	let sweep = [
		(0.010, [0.95, 0.70], [1.0, 1.0]),
		(0.014, [0.50, 0.10], [1.0, 1.0]),
		(0.020, [0.0, 0.0], [0.10, 0.10]),
		(0.025, [0.0, 0.0], [0.05, 0.05]),
		(0.031, [0.0, 0.0], [0.05, 0.05]),
	];
	for (i, colluders) in [2, 3].into_iter().enumerate() {
		let mut last = 1.0;
		for (skew, least, most) in sweep {
			let r = run(&scenario::collusion(colluders, skew).shortened(120), 1);
			let share = r.rows.iter().filter(|x| x.executed).count() as f64 / r.rows.len() as f64;
			assert!(
				(least[i]..=most[i]).contains(&share),
				"{colluders} at {skew}: {share:.3} executed, expected {}..={}",
				least[i],
				most[i]
			);
			assert!(share <= last + 0.05, "{colluders} at {skew}: {share:.3} after {last:.3}");
			last = share;
		}
	}
}

#[test]
fn colluding_feeders_do_not_profit() {
	// Inside `max_deviation` (1.5%) no honest feed is dropped: 2 colluders of 5 do not move the
	// median, 3 move it by their skew, and the round trip still loses the spread and take-rate.
	for (colluders, skew) in [(2, 0.01), (2, 0.014), (3, 0.01)] {
		let r = run(&scenario::collusion(colluders, skew).shortened(120), 1);
		assert_no_profit(&r);
	}
	// 3 at 1.4%: their median and the honest feeds' noise and lag trip the breaker at most
	// boundaries (19% executed) and no round completes in five days; what it tried lost.
	let r = run(&scenario::collusion(3, 0.014).shortened(120), 1);
	assert!(r.attacker_bought_usd > 0.0, "it tried");
	assert!(r.attacker_profit <= 0.0, "{:+.2}", r.attacker_profit);
	// Beyond it, the honest feeds (or the colluders') are dropped, more than `max_outliers`
	// (1) of them: the breaker trips and no round ever completes (a denial of service, not a
	// profit).
	for colluders in [2, 3] {
		let r = run(&scenario::collusion(colluders, 0.025).shortened(120), 1);
		assert_eq!(r.attacks, 0, "{}: a round completed", r.scenario.name);
		// The breaker stops every round before its lease; each try bought its CRU and sold
		// it back.
		assert_eq!(r.attacker_leases, 0, "{}", r.scenario.name);
		assert!(r.attacker_bought_usd > 0.0, "{}: it tried", r.scenario.name);
		assert!(r.attacker_profit <= 0.0);
	}
}

/// The farmer alone (no honest demand): its own volume is the epoch's whole earned volume and
/// the cap binds, from $100 to $1,000 an epoch; it loses at least (1 - k) of the spread and
/// take-rate it pays on what it leases.
#[test]
fn self_lease_farming_does_not_pay_when_the_cap_binds() {
	for volume in [100.0, 1_000.0] {
		for k in [500_000, 900_000] {
			let tweaks =
				Tweaks { provider_cap_k: Some(Permill::from_parts(k)), ..Default::default() };
			let r = run(&scenario::farmer_alone(volume, tweaks).shortened(72), 1);
			assert_no_profit(&r);
			let leased = volume * f64::from(r.attacks);
			let bound = (1.0 - f64::from(k) / 1e6) * 0.055;
			assert!(
				r.attacker_profit / leased < -bound * 0.9,
				"{volume} {k}: {:+.5} per $ leased, the cap allows at most {:+.5}",
				r.attacker_profit / leased,
				-bound
			);
		}
	}
}

/// Production oracle timing (600-block epochs, feeds fresh for 50 blocks, each feeder posting
/// every 10, mints settling 10 blocks later): the price stays live, every boundary runs, and
/// the lag arbitrage in a 100% volatile market still loses.
#[test]
fn lag_arbitrage_on_production_oracle_timing_does_not_pay() {
	let r = run(&scenario::oracle_production().shortened(36), 1);
	assert_no_profit(&r);
	let executed = r.rows.iter().filter(|x| x.executed).count();
	assert_eq!(executed, r.rows.len(), "boundaries executed");
	assert_eq!(r.refunded, 0, "mints refunded for want of a price");
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
	assert_attack_ran(&r);
	assert!(r.attacker_profit > 0.0, "{:+.2}", r.attacker_profit);
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

/// No stress scenario leaves the hard envelope: new supply within each epoch's schedule, and the
/// net change within twice the schedule so far (emission plus new supply). Every stress
/// scenario at its full length (seed 1) and for up to 90 days (seed 2), on two workers.
#[test]
fn no_stress_scenario_leaves_the_hard_envelope() {
	let stress: Vec<Scenario> = scenario::presets().into_iter().filter(|s| s.stress).collect();
	assert!(stress.len() >= 6, "{} stress scenarios", stress.len());
	// Seed 1 at full length (the bear market is two years), seed 2 for up to 90 days; longest
	// first, taken in turn by two workers (the machines have two cores).
	let mut jobs: Vec<(Scenario, u64)> = stress
		.iter()
		.flat_map(|s| [(s.clone(), 1), (s.clone().shortened(s.epochs.min(90 * 24)), 2)])
		.collect();
	jobs.sort_by_key(|(s, _)| std::cmp::Reverse(s.epochs));
	let next = std::sync::atomic::AtomicUsize::new(0);
	std::thread::scope(|scope| {
		let workers: Vec<_> = (0..2)
			.map(|_| {
				scope.spawn(|| {
					while let Some((s, seed)) =
						jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
					{
						let (s, seed) = (s, *seed);
						let r = run(s, seed);
						assert_eq!(r.rows.len() as u32, s.epochs, "{}: the full length", s.name);
						for row in &r.rows {
							assert!(
								row.new_supply <= row.scheduled + 1e-9,
								"{} seed {seed}: epoch {}",
								s.name,
								row.epoch
							);
							assert!(
								row.net_supply_pct <= row.envelope_pct + 1e-9,
								"{} seed {seed}: epoch {}: {} > {}",
								s.name,
								row.epoch,
								row.net_supply_pct,
								row.envelope_pct
							);
						}
					}
				})
			})
			.collect();
		for w in workers {
			w.join().expect("an envelope worker");
		}
	});
}

/// After a crash with demand gone, redemptions drain the remint pool and then wait on the
/// scheduled emission: each boundary pays at most the pool left plus its schedule, and the
/// queue is still there at the end (the README's worked example states the bound).
#[test]
fn after_a_crash_with_demand_gone_redemptions_wait_for_the_schedule() {
	let r = run(&scenario::crash_demand_collapse().shortened(120), 1);
	let crash =
		r.rows.iter().position(|x| x.demand_usd == 0.0 && x.epoch > 0).expect("demand stops");
	let after = &r.rows[crash..];
	assert!(after.iter().all(|x| x.credits_minted == 0.0), "nothing minted after the stop");
	for pair in after.windows(2) {
		let (before, row) = (&pair[0], &pair[1]);
		assert!(row.new_supply <= row.scheduled + 1e-9);
		assert!(row.reminted <= before.remint_pool + 1e-6, "epoch {}", row.epoch);
	}
	let last = r.rows.last().unwrap();
	assert!(last.queued > 0.0, "the run's credits still wait at the end");
	assert!(last.remint_pool < after[0].remint_pool, "the pool was drawn down");
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
	// Tenants refused for want of a price come back: the epoch whose boundary ends the outage
	// waits in its first blocks for a clean TWAP window, and its demand is served in it or in
	// the next (before the tenants came back, it was lost: 51% of the two epochs served).
	let back = r.rows.iter().rposition(|x| !x.executed).expect("deferred") + 1;
	let two = &r.rows[back..back + 2];
	let (want, served) =
		two.iter().fold((0.0, 0.0), |(w, s), x| (w + x.demand_usd, s + x.served_usd));
	assert!(served >= 0.95 * want, "epochs {back} and the next: {served:.0} of {want:.0} served");
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
		// Every other column read from the chain (the rest are the model's own: price,
		// fundamental, demand, served, drag, envelope, baseline, attacker profit).
		let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
		assert!(same(row.twap, snap.twap.map_or(f64::NAN, chain::from_price)));
		assert!(same(row.redeem_price, summary.price.map_or(f64::NAN, chain::from_price)));
		assert_eq!(row.executed, summary.executed);
		assert_eq!(row.purchased, chain::usd(snap.totals.purchased));
		assert_eq!(row.escrowed, chain::usd(snap.totals.escrowed));
		assert_eq!(row.eligible, chain::usd(snap.totals.eligible));
		assert_eq!(row.credits_minted, chain::usd(summary.credits_minted));
		assert_eq!(row.take_rate_burned, chain::usd(summary.take_rate_burned));
		assert_eq!(row.emitted_treasury, chain::cru(summary.emitted_treasury));
		assert_eq!(row.subnet_accrued, chain::cru(summary.subnet_accrued));
		assert_eq!(row.scheduled, chain::cru(summary.scheduled_emission));
		assert_eq!(row.cap, chain::cru(summary.cap));
		assert_eq!(row.queue_requests, snap.requests);
		assert_eq!(row.remint_pool, chain::cru(snap.remint_pool));
		let genesis = ext.execute_with(chain::genesis_issuance);
		let net = 100.0 * (snap.issuance as f64 - genesis as f64) / genesis as f64;
		assert_eq!(row.net_supply_pct, net);
		// Issuance moved only by the counted flows.
		assert_eq!(snap.issuance as i128 - genesis as i128, snap.supply.net_change());
	}
	assert!(sim.rows.iter().any(|r| r.reminted > 0.0) && sim.attacks > 0);
}
