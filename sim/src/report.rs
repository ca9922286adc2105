//! Outputs: a CSV per run, PNG charts (plotters on a bitmap, with DejaVu Sans compiled in: a
//! fresh machine has no system fonts), and the full report.

use crate::runner::{Row, Run};
use plotters::prelude::*;
use std::{fmt::Write as _, fs, io, path::Path};

/// The CSV header; one column per [`Row`] field, in order.
pub const CSV_HEADER: &str = "epoch,price_usd,fundamental_usd,twap_usd,redeem_price_usd,executed,\
demand_usd,served_usd,credits_purchased,credits_escrowed,credits_earned,credits_queued,\
credits_eligible,credits_minted,credits_redeemed,take_rate_burned,burned_cru,spread_burned_cru,\
reminted_cru,new_supply_cru,realized_net_burn_cru,emitted_providers_cru,emitted_treasury_cru,\
subnet_accrued_cru,withheld_cru,scheduled_emission_cru,cap_cru,queue_requests,remint_pool_cru,\
drag_cru,net_supply_change_pct,envelope_pct,no_bme_baseline_pct,attacker_profit_usd";

/// One CSV line for `r`.
pub fn csv_line(r: &Row) -> String {
	format!(
		"{},{:.6},{:.6},{:.6},{:.6},{},{:.2},{:.2},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},\
		 {:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{:.6},{},{:.6},{:.6},{:.6},\
		 {:.6},{:.6},{:.2}",
		r.epoch,
		r.price,
		r.fundamental,
		r.twap,
		r.redeem_price,
		r.executed as u8,
		r.demand_usd,
		r.served_usd,
		r.purchased,
		r.escrowed,
		r.earned,
		r.queued,
		r.eligible,
		r.credits_minted,
		r.credits_redeemed,
		r.take_rate_burned,
		r.burned,
		r.spread_burned,
		r.reminted,
		r.new_supply,
		r.realized_net_burn,
		r.emitted_providers,
		r.emitted_treasury,
		r.subnet_accrued,
		r.withheld,
		r.scheduled,
		r.cap,
		r.queue_requests,
		r.remint_pool,
		r.drag,
		r.net_supply_pct,
		r.envelope_pct,
		r.baseline_pct,
		r.attacker_profit,
	)
}

/// Writes `run` as CSV to `path`.
pub fn write_csv(run: &Run, path: &Path) -> io::Result<()> {
	let mut s = String::with_capacity(run.rows.len() * 300);
	s.push_str(CSV_HEADER);
	s.push('\n');
	for r in &run.rows {
		s.push_str(&csv_line(r));
		s.push('\n');
	}
	fs::write(path, s)
}

/// Registers the bundled font under plotters' "sans-serif" (once per process).
pub fn register_font() {
	static ONCE: std::sync::Once = std::sync::Once::new();
	ONCE.call_once(|| {
		plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
			.map_err(|_| ())
			.expect("DejaVu Sans is a valid font");
	});
}

type Error = Box<dyn std::error::Error>;

const COLORS: [RGBColor; 8] = [
	RGBColor(31, 119, 180),
	RGBColor(214, 39, 40),
	RGBColor(44, 160, 44),
	RGBColor(255, 127, 14),
	RGBColor(148, 103, 189),
	RGBColor(140, 86, 75),
	RGBColor(227, 119, 194),
	RGBColor(23, 190, 207),
];

fn days(r: &Row) -> f64 {
	f64::from(r.epoch + 1) / 24.0
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
	let (lo, hi) = values
		.filter(|v| v.is_finite())
		.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
	if !lo.is_finite() {
		return (-1.0, 1.0);
	}
	let pad = ((hi - lo) * 0.08).max(1e-6);
	(lo - pad, hi + pad)
}

/// The chart that matters: cumulative net supply change (% of genesis) of every run (stress
/// runs thick, attack runs thin), with the hard envelope and the no-BME baseline, the legend
/// beside the plot; underneath, the components of `parts` (cumulative emission, new supply,
/// remint, burn, and what was paid beyond mint-price parity).
pub fn supply_chart(stress: &[&Run], parts: &Run, path: &Path) -> Result<(), Error> {
	register_font();
	let root = BitMapBackend::new(path, (1800, 1100)).into_drawing_area();
	root.fill(&WHITE)?;
	let (top, bottom) = root.split_vertically(620);
	// The legend's column, right of the plot.
	const LEGEND: u32 = 520;
	let longest = stress.iter().max_by_key(|r| r.rows.len()).ok_or("no runs")?;
	let x_max = longest.rows.last().map_or(1.0, days);
	let mut all = Vec::new();
	for r in stress {
		all.extend(r.rows.iter().map(|x| x.net_supply_pct));
	}
	all.extend(longest.rows.iter().map(|x| x.envelope_pct));
	all.extend(longest.rows.iter().map(|x| x.baseline_pct));
	let (lo, hi) = range(all.into_iter());
	let mut chart = ChartBuilder::on(&top)
		.caption("Cumulative net CRU supply change, % of genesis issuance", ("sans-serif", 26))
		.margin(16)
		.margin_right(LEGEND)
		.x_label_area_size(40)
		.y_label_area_size(70)
		.build_cartesian_2d(0.0..x_max, lo..hi)?;
	chart
		.configure_mesh()
		.x_desc("days")
		.y_desc("% of genesis")
		.label_style(("sans-serif", 15))
		.draw()?;
	let envelope = RGBColor(0, 0, 0);
	chart
		.draw_series(LineSeries::new(
			longest.rows.iter().map(|r| (days(r), r.envelope_pct)),
			envelope.stroke_width(2),
		))?
		.label("hard envelope: scheduled emission + new-supply cap")
		.legend(move |(x, y)| {
			PathElement::new(vec![(x, y), (x + 20, y)], envelope.stroke_width(2))
		});
	let grey = RGBColor(150, 150, 150);
	chart
		.draw_series(LineSeries::new(
			longest.rows.iter().map(|r| (days(r), r.baseline_pct)),
			grey.stroke_width(2),
		))?
		.label("no-BME baseline: the schedule, all minted")
		.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey.stroke_width(2)));
	for (i, r) in stress.iter().enumerate() {
		let c = COLORS[i % COLORS.len()];
		let width = if r.scenario.stress { 3 } else { 1 };
		chart
			.draw_series(LineSeries::new(
				r.rows.iter().map(|x| (days(x), x.net_supply_pct)),
				c.stroke_width(width),
			))?
			.label(r.scenario.title.clone())
			.legend(move |(x, y)| {
				PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(width))
			});
	}
	let (plot_w, _) = chart.plotting_area().dim_in_pixel();
	chart
		.configure_series_labels()
		.position(SeriesLabelPosition::Coordinate(plot_w as i32 + 24, 0))
		.label_font(("sans-serif", 15))
		.background_style(WHITE.mix(0.85))
		.border_style(BLACK)
		.draw()?;

	// Components of one run, cumulative, % of genesis.
	let genesis_pct = |cru: f64, _: &Row| 100.0 * cru / parts.genesis;
	let mut acc = [0.0f64; 5];
	let mut layers: Vec<[f64; 6]> = Vec::new();
	for r in &parts.rows {
		acc[0] += r.emitted_providers + r.emitted_treasury;
		acc[1] += r.new_supply;
		acc[2] += r.reminted;
		acc[3] += r.burned + r.spread_burned;
		acc[4] += r.drag;
		layers.push([
			days(r),
			genesis_pct(acc[0], r),
			genesis_pct(acc[0] + acc[1], r),
			genesis_pct(acc[0] + acc[1] + acc[2], r),
			-genesis_pct(acc[3], r),
			genesis_pct(acc[4], r),
		]);
	}
	let (blo, bhi) = range(layers.iter().flat_map(|l| [l[3], l[4], l[5], 0.0]));
	let x_max = layers.last().map_or(1.0, |l| l[0]);
	let mut chart = ChartBuilder::on(&bottom)
		.caption(
			format!("Components, cumulative, % of genesis: {}", parts.scenario.title),
			("sans-serif", 22),
		)
		.margin(16)
		.margin_right(LEGEND)
		.x_label_area_size(40)
		.y_label_area_size(70)
		.build_cartesian_2d(0.0..x_max, blo..bhi)?;
	chart
		.configure_mesh()
		.x_desc("days")
		.y_desc("% of genesis")
		.label_style(("sans-serif", 15))
		.draw()?;
	let stack = [
		(3, "reminted (from the pool)", COLORS[2]),
		(2, "new supply (beyond the pool)", COLORS[3]),
		(1, "emission (providers + treasury)", COLORS[0]),
	];
	for (i, label, c) in stack {
		chart
			.draw_series(AreaSeries::new(layers.iter().map(|l| (l[0], l[i])), 0.0, c.mix(0.6)))?
			.label(label)
			.legend(move |(x, y)| {
				Rectangle::new([(x, y - 5), (x + 20, y + 5)], c.mix(0.6).filled())
			});
	}
	let burn = COLORS[1];
	chart
		.draw_series(AreaSeries::new(layers.iter().map(|l| (l[0], l[4])), 0.0, burn.mix(0.5)))?
		.label("burned (for credits + spread)")
		.legend(move |(x, y)| {
			Rectangle::new([(x, y - 5), (x + 20, y + 5)], burn.mix(0.5).filled())
		});
	let drag = COLORS[4];
	chart
		.draw_series(LineSeries::new(layers.iter().map(|l| (l[0], l[5])), drag.stroke_width(3)))?
		.label("paid beyond mint-price parity (here: the price trend)")
		.legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], drag.stroke_width(3)));
	let (plot_w, _) = chart.plotting_area().dim_in_pixel();
	chart
		.configure_series_labels()
		.position(SeriesLabelPosition::Coordinate(plot_w as i32 + 24, 0))
		.label_font(("sans-serif", 15))
		.background_style(WHITE.mix(0.85))
		.border_style(BLACK)
		.draw()?;
	root.present()?;
	Ok(())
}

/// Price, TWAP and net supply of one run.
pub fn run_chart(run: &Run, path: &Path) -> Result<(), Error> {
	register_font();
	let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
	root.fill(&WHITE)?;
	let (top, bottom) = root.split_vertically(400);
	let x_max = run.rows.last().map_or(1.0, days);
	let (lo, hi) = range(run.rows.iter().flat_map(|r| [r.price, r.twap]));
	let mut chart = ChartBuilder::on(&top)
		.caption(format!("{} — price (USD/CRU)", run.scenario.title), ("sans-serif", 22))
		.margin(12)
		.x_label_area_size(35)
		.y_label_area_size(70)
		.build_cartesian_2d(0.0..x_max, lo.max(0.0)..hi)?;
	chart.configure_mesh().label_style(("sans-serif", 14)).draw()?;
	chart
		.draw_series(LineSeries::new(run.rows.iter().map(|r| (days(r), r.price)), COLORS[0]))?
		.label("market")
		.legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], COLORS[0]));
	chart
		.draw_series(LineSeries::new(
			run.rows.iter().filter(|r| r.twap.is_finite()).map(|r| (days(r), r.twap)),
			COLORS[1],
		))?
		.label("oracle TWAP at the boundary")
		.legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], COLORS[1]));
	chart.configure_series_labels().label_font(("sans-serif", 14)).border_style(BLACK).draw()?;
	let (lo, hi) = range(run.rows.iter().flat_map(|r| [r.net_supply_pct, r.baseline_pct]));
	let mut chart = ChartBuilder::on(&bottom)
		.caption("net supply change, % of genesis", ("sans-serif", 20))
		.margin(12)
		.x_label_area_size(35)
		.y_label_area_size(70)
		.build_cartesian_2d(0.0..x_max, lo..hi)?;
	chart.configure_mesh().x_desc("days").label_style(("sans-serif", 14)).draw()?;
	chart.draw_series(LineSeries::new(
		run.rows.iter().map(|r| (days(r), r.net_supply_pct)),
		COLORS[2].stroke_width(2),
	))?;
	chart.draw_series(LineSeries::new(
		run.rows.iter().map(|r| (days(r), r.baseline_pct)),
		RGBColor(150, 150, 150),
	))?;
	root.present()?;
	Ok(())
}

/// A one-line summary of a run for the report table.
pub fn summary_line(run: &Run) -> String {
	let last = run.rows.last().cloned().unwrap_or_default();
	let mut s = format!(
		"| {} | {} | {:+.3}% | {:.3}% | {:.3}% | {:.1}% |",
		run.scenario.title,
		run.rows.len(),
		last.net_supply_pct,
		last.envelope_pct,
		last.baseline_pct,
		100.0 * run.rows.iter().filter(|r| r.executed).count() as f64
			/ run.rows.len().max(1) as f64,
	);
	if run.scenario.attack.is_attack() {
		let refunded = match run.refunded {
			0 => String::new(),
			r => format!(", {r} refunded"),
		};
		let _ = write!(s, " {:+.2} USD ({} rounds{refunded}) |", run.attacker_profit, run.attacks);
	} else {
		s.push_str(" — |");
	}
	s
}
