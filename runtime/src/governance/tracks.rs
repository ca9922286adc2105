//! The referendum tracks.
//!
//! Each track has production periods (days). A chain whose genesis sets
//! `origins.timing = fast` (the development and local presets) runs every track on
//! [`FAST_PERIODS`] instead, so that a referendum is submitted, decided, confirmed and enacted
//! within minutes. Deposits and curves are the same either way; curves are fractions of the
//! decision period, so they scale with it.

use super::{CrucibleOrigin, TrackTiming};
use crate::{Balance, BlockNumber, OriginCaller, Runtime};
use alloc::borrow::Cow;
use crucible_primitives::{
	currency::CRU,
	time::{DAYS, HOURS},
};
use pallet_referenda::{Curve, Track, TrackInfo};
use sp_runtime::{str_array as s, Perbill};

/// A track's identifier.
pub type TrackId = u16;

/// The root track.
pub const ROOT: TrackId = 0;
/// The general admin track.
pub const GENERAL_ADMIN: TrackId = 1;
/// The treasurer track.
pub const TREASURER: TrackId = 2;
/// The oracle admin track.
pub const ORACLE_ADMIN: TrackId = 3;
/// The market admin track.
pub const MARKET_ADMIN: TrackId = 4;

/// Periods of every track on a chain with `TrackTiming::Fast`, in blocks of 6 s.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Periods {
	pub prepare: BlockNumber,
	pub decision: BlockNumber,
	pub confirm: BlockNumber,
	pub min_enactment: BlockNumber,
}

/// Fast periods: a passing referendum enacts about 1 minute after its votes are in; a failing
/// one is rejected 22 blocks (2.2 minutes) after submission.
pub const FAST_PERIODS: Periods =
	Periods { prepare: 2, decision: 20, confirm: 2, min_enactment: 1 };

const fn linear(from: u32, to: u32) -> Curve {
	Curve::LinearDecreasing {
		length: Perbill::from_percent(100),
		floor: Perbill::from_percent(to),
		ceil: Perbill::from_percent(from),
	}
}

/// A track on the production periods every track shares: prepare 2 hours, decide within 14
/// days, confirm 1 day, enact 1 day after approval; approval falls from 100% to a majority and
/// support from 50% to 1% of active issuance over the decision period.
const fn track(
	id: TrackId,
	name: &str,
	max_deciding: u32,
	decision_deposit: Balance,
) -> Track<TrackId, Balance, BlockNumber> {
	Track {
		id,
		info: TrackInfo {
			name: s(name),
			max_deciding,
			decision_deposit,
			prepare_period: 2 * HOURS,
			decision_period: 14 * DAYS,
			confirm_period: DAYS,
			min_enactment_period: DAYS,
			min_approval: linear(100, 50),
			min_support: linear(50, 1),
		},
	}
}

/// The tracks, sorted by id.
pub const TRACKS: [Track<TrackId, Balance, BlockNumber>; 5] = [
	track(ROOT, "root", 1, 100_000 * CRU),
	track(GENERAL_ADMIN, "general_admin", 10, 10_000 * CRU),
	track(TREASURER, "treasurer", 10, 10_000 * CRU),
	track(ORACLE_ADMIN, "oracle_admin", 10, 10_000 * CRU),
	track(MARKET_ADMIN, "market_admin", 10, 10_000 * CRU),
];

/// `track` with its periods replaced by [`FAST_PERIODS`].
fn fast(track: &Track<TrackId, Balance, BlockNumber>) -> Track<TrackId, Balance, BlockNumber> {
	let mut track = track.clone();
	track.info.prepare_period = FAST_PERIODS.prepare;
	track.info.decision_period = FAST_PERIODS.decision;
	track.info.confirm_period = FAST_PERIODS.confirm;
	track.info.min_enactment_period = FAST_PERIODS.min_enactment;
	track
}

/// The track table for `pallet-referenda`.
pub struct TracksInfo;
impl pallet_referenda::TracksInfo<Balance, BlockNumber> for TracksInfo {
	type Id = TrackId;
	type RuntimeOrigin = OriginCaller;

	fn tracks() -> impl Iterator<Item = Cow<'static, Track<TrackId, Balance, BlockNumber>>> {
		let timing = pallet_crucible_origins::Pallet::<Runtime>::timing();
		TRACKS.iter().map(move |track| match timing {
			TrackTiming::Production => Cow::Borrowed(track),
			TrackTiming::Fast => Cow::Owned(fast(track)),
		})
	}

	fn track_for(origin: &OriginCaller) -> Result<TrackId, ()> {
		match origin {
			OriginCaller::system(frame_system::RawOrigin::Root) => Ok(ROOT),
			OriginCaller::Origins(CrucibleOrigin::GeneralAdmin) => Ok(GENERAL_ADMIN),
			OriginCaller::Origins(CrucibleOrigin::Treasurer) => Ok(TREASURER),
			OriginCaller::Origins(CrucibleOrigin::OracleAdmin) => Ok(ORACLE_ADMIN),
			OriginCaller::Origins(CrucibleOrigin::MarketAdmin) => Ok(MARKET_ADMIN),
			_ => Err(()),
		}
	}
}

/// The shortest path from submission to enactment on `track`, in blocks: prepare, confirm,
/// then the minimum enactment delay (a referendum that passes from the start of its decision
/// period), on this chain's timing.
pub fn shortest_path(track: TrackId) -> BlockNumber {
	use pallet_referenda::TracksInfo as _;
	TracksInfo::tracks()
		.find(|t| t.id == track)
		.map(|t| {
			t.info
				.prepare_period
				.saturating_add(t.info.confirm_period)
				.saturating_add(t.info.min_enactment_period)
		})
		.unwrap_or(BlockNumber::MAX)
}

/// The shortest unbonding period the provider registry accepts: twice the market-admin track's
/// shortest path to enactment (the path itself as the margin), so that a slash submitted when
/// a provider deregisters can still land before the provider withdraws. 10 blocks on the fast
/// timing, 4 days 4 hours on the production one (the production period is 7 days).
pub struct MinUnbondingPeriod;
impl frame_support::traits::Get<BlockNumber> for MinUnbondingPeriod {
	fn get() -> BlockNumber {
		shortest_path(MARKET_ADMIN).saturating_mul(2)
	}
}
