//! Matching and ranking, as plain functions: whether an order could be served at all (from the
//! registry's O(1) free-device counters), whether a bid's devices fit the order, and which bid
//! wins — the lowest price, then the better reputation, then the earliest.

use core::cmp::Ordering;
use crucible_primitives::{
	bme::Credits,
	providers::{DeviceState, GpuModelId, ReputationCounters},
	BlockNumber,
};

/// What a tenant asks for, as the matching functions see it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ask<'a> {
	/// The models the tenant accepts.
	pub models: &'a [GpuModelId],
	/// Least memory per GPU, MiB.
	pub min_vram_mib: u32,
	/// GPUs wanted, all from one provider.
	pub gpus: u32,
}

/// Whether any provider could serve `ask` now: enough free GPUs of the accepted models with
/// enough memory. `model` gives a model's VRAM and free count (`None`: not in the catalogue).
/// O(number of accepted models). A necessary condition only: the GPUs must still be at one
/// provider, which the bids show.
pub fn servable(ask: &Ask, model: impl Fn(GpuModelId) -> Option<(u32, u32)>) -> bool {
	let free: u64 = ask
		.models
		.iter()
		.filter_map(|m| model(*m))
		.filter(|(vram, _)| *vram >= ask.min_vram_mib)
		.map(|(_, free)| u64::from(free))
		.sum();
	ask.gpus > 0 && free >= u64::from(ask.gpus)
}

/// Why a bid's devices do not fit an order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FitError {
	/// Not exactly the number of GPUs asked for.
	WrongCount,
	/// The same device named twice.
	Duplicate,
	/// A model the order does not accept, or too little memory.
	Unsuitable,
	/// Offered or leased already.
	Busy,
}

/// Whether `offered` devices — each `(id, model, VRAM MiB, state)` — fit `ask`.
pub fn devices_fit(
	ask: &Ask,
	offered: &[(u32, GpuModelId, u32, DeviceState)],
) -> Result<(), FitError> {
	if offered.len() as u64 != u64::from(ask.gpus) {
		return Err(FitError::WrongCount);
	}
	for (i, (id, model, vram, state)) in offered.iter().enumerate() {
		if offered[..i].iter().any(|(other, ..)| other == id) {
			return Err(FitError::Duplicate);
		}
		if !ask.models.contains(model) || *vram < ask.min_vram_mib {
			return Err(FitError::Unsuitable);
		}
		if *state != DeviceState::Free {
			return Err(FitError::Busy);
		}
	}
	Ok(())
}

/// What ranks a bid.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BidRank {
	/// Credits per block.
	pub price: Credits,
	/// The provider's record.
	pub reputation: ReputationCounters,
	/// When the bid was placed.
	pub placed_at: BlockNumber,
	/// Its position among the order's bids (the final tie-break).
	pub seq: u32,
}

/// Outcomes that speak for and against a provider.
fn record(r: &ReputationCounters) -> (u64, u64) {
	let good = u64::from(r.leases_completed) + u64::from(r.attestations_passed);
	let bad = u64::from(r.leases_faulted) + u64::from(r.attestations_failed);
	(good, bad)
}

/// Compares reputations by the smoothed share of good outcomes, (good + 1) / (good + bad + 2),
/// exactly (cross-multiplied): a newcomer ranks ½, a clean record approaches 1, a faulty one 0.
pub fn cmp_reputation(a: &ReputationCounters, b: &ReputationCounters) -> Ordering {
	let (ga, ba) = record(a);
	let (gb, bb) = record(b);
	// (ga+1)/(ga+ba+2) vs (gb+1)/(gb+bb+2); each side < 2^34, the products < 2^68: u128.
	let lhs = u128::from(ga + 1) * u128::from(gb + bb + 2);
	let rhs = u128::from(gb + 1) * u128::from(ga + ba + 2);
	lhs.cmp(&rhs)
}

/// Orders bids best first: lower price, then better reputation, then earlier, then lower seq.
pub fn cmp_bids(a: &BidRank, b: &BidRank) -> Ordering {
	a.price
		.cmp(&b.price)
		.then_with(|| cmp_reputation(&b.reputation, &a.reputation))
		.then_with(|| a.placed_at.cmp(&b.placed_at))
		.then_with(|| a.seq.cmp(&b.seq))
}

/// The index of the winning bid, if any.
pub fn winner(bids: &[BidRank]) -> Option<usize> {
	(0..bids.len()).min_by(|i, j| cmp_bids(&bids[*i], &bids[*j]))
}

#[cfg(test)]
mod tests {
	use super::*;
	use crucible_primitives::providers::DeviceUse;

	const H100: GpuModelId = 1;
	const A100: GpuModelId = 4;
	const RTX: GpuModelId = 6;

	fn catalogue(m: GpuModelId) -> Option<(u32, u32)> {
		match m {
			H100 => Some((81_920, 3)),
			A100 => Some((81_920, 2)),
			RTX => Some((24_576, 50)),
			_ => None,
		}
	}

	#[test]
	fn servable_counts_free_gpus_of_accepted_models_with_enough_memory() {
		let ask = Ask { models: &[H100, A100], min_vram_mib: 80_000, gpus: 5 };
		assert!(servable(&ask, catalogue));
		assert!(!servable(&Ask { gpus: 6, ..ask }, catalogue));
		// Plenty of RTX 4090s, but too little memory each.
		let ask = Ask { models: &[RTX], min_vram_mib: 40_000, gpus: 1 };
		assert!(!servable(&ask, catalogue));
		// Unknown models count for nothing; zero GPUs is not an order.
		assert!(!servable(&Ask { models: &[99], min_vram_mib: 0, gpus: 1 }, catalogue));
		assert!(!servable(&Ask { models: &[RTX], min_vram_mib: 0, gpus: 0 }, catalogue));
	}

	#[test]
	fn offered_devices_must_fit_exactly() {
		let ask = Ask { models: &[H100], min_vram_mib: 80_000, gpus: 2 };
		let free = DeviceState::Free;
		let ok = [(0, H100, 81_920, free), (1, H100, 81_920, free)];
		assert_eq!(devices_fit(&ask, &ok), Ok(()));
		assert_eq!(devices_fit(&ask, &ok[..1]), Err(FitError::WrongCount));
		let dup = [(0, H100, 81_920, free), (0, H100, 81_920, free)];
		assert_eq!(devices_fit(&ask, &dup), Err(FitError::Duplicate));
		let rtx = [(0, H100, 81_920, free), (1, RTX, 24_576, free)];
		assert_eq!(devices_fit(&ask, &rtx), Err(FitError::Unsuitable));
		let busy =
			[(0, H100, 81_920, free), (1, H100, 81_920, DeviceState::InUse(DeviceUse::Leased(3)))];
		assert_eq!(devices_fit(&ask, &busy), Err(FitError::Busy));
	}

	fn rep(completed: u32, faulted: u32) -> ReputationCounters {
		ReputationCounters {
			leases_completed: completed,
			leases_faulted: faulted,
			..Default::default()
		}
	}

	#[test]
	fn reputation_prefers_clean_records_and_ranks_newcomers_in_between() {
		assert_eq!(cmp_reputation(&rep(10, 0), &rep(0, 0)), Ordering::Greater);
		assert_eq!(cmp_reputation(&rep(0, 0), &rep(0, 1)), Ordering::Greater);
		assert_eq!(cmp_reputation(&rep(3, 1), &rep(6, 2)), Ordering::Less);
		assert_eq!(cmp_reputation(&rep(1, 1), &rep(0, 0)), Ordering::Equal);
		let max = rep(u32::MAX, u32::MAX);
		assert_eq!(cmp_reputation(&max, &max), Ordering::Equal);
	}

	#[test]
	fn lowest_price_wins_then_reputation_then_the_earliest() {
		let bid = |price: u128, r: ReputationCounters, at: u32, seq: u32| BidRank {
			price: Credits(price),
			reputation: r,
			placed_at: at,
			seq,
		};
		assert_eq!(winner(&[]), None);
		let bids =
			[bid(120, rep(50, 0), 1, 0), bid(100, rep(0, 0), 5, 1), bid(110, rep(9, 0), 2, 2)];
		assert_eq!(winner(&bids), Some(1));
		let tie = [bid(100, rep(0, 3), 1, 0), bid(100, rep(5, 0), 9, 1)];
		assert_eq!(winner(&tie), Some(1));
		let same = [bid(100, rep(1, 0), 7, 0), bid(100, rep(1, 0), 3, 1)];
		assert_eq!(winner(&same), Some(1));
		let identical = [bid(100, rep(1, 0), 3, 0), bid(100, rep(1, 0), 3, 1)];
		assert_eq!(winner(&identical), Some(0));
	}
}
