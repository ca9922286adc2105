//! Pure functions of the registry: input validation, bond arithmetic and device counting.

use crate::types::{Device, DeviceCounts};
use alloc::collections::BTreeMap;
use crucible_primitives::{
	providers::{DeviceState, DeviceUse, GpuModelId, ProviderStatus},
	Balance,
};

/// Checks free text: valid UTF-8 without control characters.
pub fn check_text(text: &[u8]) -> bool {
	core::str::from_utf8(text).is_ok_and(|s| !s.chars().any(char::is_control))
}

/// The amount to release from a hold of `held` when devices whose bonds add up to `removed`
/// go and the required bond falls to `required`: at most their bonds, and never so much that
/// the hold falls below what is still required. A slash is never forgiven: a provider short of
/// its bond gets back only what it holds above the new requirement.
pub fn release_on_removal(held: Balance, removed: Balance, required: Balance) -> Balance {
	held.saturating_sub(required).min(removed)
}

/// The counter a device in `state` counts in, at a provider that is `active` or not: a free
/// device counts as free only at an Active provider, and in no counter otherwise.
pub fn counter_of(counts: &mut DeviceCounts, state: DeviceState, active: bool) -> Option<&mut u32> {
	match state {
		DeviceState::Free if active => Some(&mut counts.free),
		DeviceState::Free => None,
		DeviceState::InUse(DeviceUse::Offered(_)) => Some(&mut counts.offered),
		DeviceState::InUse(DeviceUse::Leased(_)) => Some(&mut counts.leased),
	}
}

/// How one device counts towards the per-model counters of a provider in `status`.
pub fn count_device(counts: &mut DeviceCounts, state: DeviceState, status: ProviderStatus) {
	counts.registered += 1;
	if let Some(counter) = counter_of(counts, state, status == ProviderStatus::Active) {
		*counter += 1;
	}
}

/// How many of `devices` there are of each model (one counter write per model, not per device).
pub fn per_model<'a>(devices: impl IntoIterator<Item = &'a Device>) -> BTreeMap<GpuModelId, u32> {
	let mut out = BTreeMap::<GpuModelId, u32>::new();
	for d in devices {
		*out.entry(d.model).or_default() += 1;
	}
	out
}

/// Per-model counters of a set of providers' devices, recounted from scratch.
pub fn recount<'a>(
	providers: impl IntoIterator<Item = (ProviderStatus, &'a [Device])>,
) -> BTreeMap<GpuModelId, DeviceCounts> {
	let mut out = BTreeMap::<GpuModelId, DeviceCounts>::new();
	for (status, devices) in providers {
		for d in devices {
			count_device(out.entry(d.model).or_default(), d.state, status);
		}
	}
	out
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn text() {
		assert!(check_text("Acme GPUs, Frankfurt — ops@acme.example".as_bytes()));
		assert!(!check_text(b"\xff\xfe"));
		assert!(!check_text(b"line\nbreak"));
	}

	#[test]
	fn removal_releases_at_most_the_bonds_and_never_below_what_is_required() {
		// 1,000 held, 1,000 required: removing a 200 bond releases 200.
		assert_eq!(release_on_removal(1_000, 200, 800), 200);
		// A top-up of 100 stays held: 1,100 held, removing 200 releases 200.
		assert_eq!(release_on_removal(1_100, 200, 800), 200);
		// 300 slashed: held 700 of 1,000; required falls to 800, nothing comes back.
		assert_eq!(release_on_removal(700, 200, 800), 0);
		// 100 slashed: held 900; required falls to 800, 100 comes back.
		assert_eq!(release_on_removal(900, 200, 800), 100);
	}
}
