//! The runtime's base call filter: the calls no origin but root may dispatch, directly or nested
//! in `utility.batch*` or `as_derivative`.
//!
//! A filtered call still enters a block and pays its fee; it fails with `System.CallFiltered`.
//! Root bypasses every call filter (`construct_runtime`'s origin), so root's own ways of changing
//! issuance (`balances.force_set_balance`, `balances.force_adjust_total_issuance`,
//! `system.set_storage`, `system.set_code`, and `utility.dispatch_as*` / `with_weight`, which
//! dispatch bypassing the filter) are powers of the root track, counted by batching
//! `bme.note_issuance_adjustment` with them.

use crate::{governance::tracks::ROOT, Runtime, RuntimeCall};
use frame_support::traits::Contains;
use pallet_referenda::ReferendumInfo;

/// Refuses, for every origin but root:
/// - `balances.burn`: CRU burned outside the BME would change issuance with no counted cause;
/// - `session.purge_keys`: a validator purging its keys leaves the set silently (pallet-session
///   plans each rotation from the validators with keys); `validatorSet.purgeKeys` is the way
///   out, and refuses validators;
/// - `referenda.cancel` of a root-track referendum: cancelling an emergency runtime fix must take
///   what passing it takes (`referenda.kill` is root-only already).
pub struct CallFilter;

impl Contains<RuntimeCall> for CallFilter {
	fn contains(call: &RuntimeCall) -> bool {
		match call {
			RuntimeCall::Balances(pallet_balances::Call::burn { .. }) => false,
			RuntimeCall::Session(pallet_session::Call::purge_keys {}) => false,
			RuntimeCall::Referenda(pallet_referenda::Call::cancel { index }) => {
				!on_root_track(*index)
			}
			_ => true,
		}
	}
}

/// Whether referendum `index` is ongoing on the root track (one read).
fn on_root_track(index: u32) -> bool {
	matches!(
		pallet_referenda::ReferendumInfoFor::<Runtime>::get(index),
		Some(ReferendumInfo::Ongoing(status)) if status.track == ROOT
	)
}
