//! The rules of a round, as plain functions: when a round opens, which devices are due, what
//! share and how many rows each owes.

use crate::types::RoundRecord;
use crucible_primitives::{
	attestation::{AttestationParams, Share},
	challenge,
	providers::{DeviceState, DeviceUse, LeaseId},
	BlockNumber,
};
use sp_runtime::Perbill;

/// Whether block `now` opens a round, given the last opening (`None`: none yet, counted from
/// genesis), whether the previous round's close has completed, and whether the parent's hash
/// drew an opening at the hazard: never before the close completes, never before
/// `min_round_gap`, surely at `max_round_gap`.
pub fn opens(
	now: BlockNumber,
	last_opening: Option<BlockNumber>,
	close_done: bool,
	params: &AttestationParams,
	hazard_hit: bool,
) -> bool {
	if !close_done {
		return false;
	}
	let gap = now.saturating_sub(last_opening.unwrap_or(0));
	gap >= params.max_round_gap || (gap >= params.min_round_gap && hazard_hit)
}

/// The share a device in `state` owes in a round opened at `opened_at`: `Leased` if it is
/// leased under a lease that started before the opening, else `Full` (a lease starting at or
/// after the opening changes nothing; one that ended is no longer in the state).
pub fn expected_share(
	state: DeviceState,
	opened_at: BlockNumber,
	lease_started: impl Fn(LeaseId) -> Option<BlockNumber>,
) -> Share {
	match state {
		DeviceState::InUse(DeviceUse::Leased(lease)) => match lease_started(lease) {
			Some(start) if start < opened_at => Share::Leased,
			_ => Share::Full,
		},
		_ => Share::Full,
	}
}

/// Whether a device is due in a round opened at `opened_at`: its provider registered and the
/// device was added before the opening, and it does not owe a zero leased share.
pub fn is_due(
	registered_at: BlockNumber,
	added_at: BlockNumber,
	opened_at: BlockNumber,
	share: Share,
	leased_share: Perbill,
) -> bool {
	registered_at < opened_at
		&& added_at < opened_at
		&& !(share == Share::Leased && leased_share.is_zero())
}

/// A model's rate in GOPS: its calibration, else `default_rate` of its peak (`int8_tops`
/// TOPS = 1,000 GOPS each), at least 1.
pub fn rate_gops(calibration: Option<u64>, int8_tops: u32, default_rate: Perbill) -> u64 {
	calibration.unwrap_or_else(|| (default_rate * (u64::from(int8_tops) * 1_000)).max(1))
}

/// The rows a device of rate `rate_gops` owes at `share` in `round`.
pub fn rows(rate_gops: u64, round: &RoundRecord, share: Share) -> u32 {
	let fraction = match share {
		Share::Full => Perbill::one(),
		Share::Leased => round.leased_share,
	};
	challenge::rows_for(rate_gops, round.target_ms, fraction, round.shape)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crucible_primitives::providers::DeviceUse;

	#[test]
	fn openings_follow_the_gaps_the_hazard_and_the_close() {
		let p = AttestationParams {
			min_round_gap: 300,
			max_round_gap: 900,
			..AttestationParams::testnet()
		};
		assert!(!opens(299, None, true, &p, true));
		assert!(opens(300, None, true, &p, true));
		assert!(!opens(300, None, true, &p, false));
		assert!(opens(1_000, Some(100), true, &p, false), "surely at the max gap");
		assert!(!opens(1_000, Some(100), false, &p, true), "never before the close completes");
		assert!(!opens(1_000, Some(800), true, &p, true));
	}

	#[test]
	fn shares_follow_the_lease_state_at_the_opening() {
		let leased = DeviceState::InUse(DeviceUse::Leased(7));
		assert_eq!(expected_share(leased, 100, |_| Some(99)), Share::Leased);
		assert_eq!(expected_share(leased, 100, |_| Some(100)), Share::Full, "started at o");
		assert_eq!(expected_share(leased, 100, |_| None), Share::Full, "lease gone");
		assert_eq!(expected_share(DeviceState::Free, 100, |_| Some(1)), Share::Full);
		let offered = DeviceState::InUse(DeviceUse::Offered(3));
		assert_eq!(expected_share(offered, 100, |_| Some(1)), Share::Full);
	}

	#[test]
	fn due_devices_predate_the_opening() {
		let q = Perbill::from_percent(25);
		assert!(is_due(10, 20, 21, Share::Full, q));
		assert!(!is_due(21, 20, 21, Share::Full, q), "registered at o");
		assert!(!is_due(10, 21, 21, Share::Full, q), "added at o");
		assert!(is_due(10, 20, 21, Share::Leased, q));
		assert!(!is_due(10, 20, 21, Share::Leased, Perbill::zero()));
		assert!(is_due(10, 20, 21, Share::Full, Perbill::zero()));
	}

	#[test]
	fn rates_come_from_the_calibration_or_the_catalogue() {
		assert_eq!(rate_gops(Some(1), 1_979, Perbill::from_percent(50)), 1);
		assert_eq!(rate_gops(None, 1_979, Perbill::from_percent(50)), 989_500);
		assert_eq!(rate_gops(None, 0, Perbill::from_percent(50)), 1);
	}
}
