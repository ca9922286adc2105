//! Pure functions of the registry: input validation, bond arithmetic and device counting.

use crate::types::{Device, DeviceCounts};
use alloc::collections::BTreeMap;
use crucible_primitives::{
	providers::{DeviceState, DeviceUse, GpuModelId, ProviderStatus},
	Balance,
};

/// Why an endpoint is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndpointError {
	/// Longer than the bound.
	TooLong,
	/// Not `http://` or `https://`.
	Scheme,
	/// Empty or malformed host, or user info (`user@host`).
	Host,
	/// A port that is not 1..=65535.
	Port,
	/// A path with a space, a control character or a non-ASCII byte.
	Path,
}

/// Checks that `url` is an absolute `http(s)://host[:port][/path]` URL of at most `max` bytes.
/// The host is a DNS name (labels of letters, digits and inner hyphens), an IPv4 address, or
/// a bracketed IPv6 address.
pub fn check_endpoint(url: &[u8], max: usize) -> Result<(), EndpointError> {
	if url.len() > max {
		return Err(EndpointError::TooLong);
	}
	let rest = url
		.strip_prefix(b"https://")
		.or_else(|| url.strip_prefix(b"http://"))
		.ok_or(EndpointError::Scheme)?;
	// The authority ends at the first `/`, `?` or `#`; the rest (path, query, fragment) may
	// hold only characters a URL allows unescaped.
	let (authority, path) = match rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')) {
		Some(i) => rest.split_at(i),
		None => (rest, &[][..]),
	};
	if !path.iter().all(|b| (0x21..=0x7e).contains(b) && !b"<>\"{}|\\^`".contains(b)) {
		return Err(EndpointError::Path);
	}
	if authority.contains(&b'@') {
		return Err(EndpointError::Host);
	}
	let port = if authority.first() == Some(&b'[') {
		let close = authority.iter().position(|b| *b == b']').ok_or(EndpointError::Host)?;
		let inner = &authority[1..close];
		let groups = inner.split(|b| *b == b':').count();
		let ok = (3..=8).contains(&groups)
			&& inner.split(|b| *b == b':').all(|g| g.len() <= 4 || g.contains(&b'.'))
			&& inner.iter().all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.');
		if !ok {
			return Err(EndpointError::Host);
		}
		match &authority[close + 1..] {
			[] => None,
			[b':', port @ ..] => Some(port),
			_ => return Err(EndpointError::Host),
		}
	} else {
		let (host, port) = match authority.iter().position(|b| *b == b':') {
			Some(i) => (&authority[..i], Some(&authority[i + 1..])),
			None => (authority, None),
		};
		if !is_host_name(host) {
			return Err(EndpointError::Host);
		}
		port
	};
	if let Some(port) = port {
		let ok = !port.is_empty()
			&& port.len() <= 5
			&& port.iter().all(u8::is_ascii_digit)
			&& core::str::from_utf8(port)
				.ok()
				.and_then(|p| p.parse::<u32>().ok())
				.is_some_and(|p| (1..=65_535).contains(&p));
		if !ok {
			return Err(EndpointError::Port);
		}
	}
	Ok(())
}

/// A DNS name (labels of 1..=63 letters, digits or inner hyphens, the last not all digits,
/// an optional trailing dot) or a dotted-quad IPv4 address.
fn is_host_name(host: &[u8]) -> bool {
	let host = host.strip_suffix(b".").unwrap_or(host);
	let labels = || host.split(|b| *b == b'.');
	let numeric = |l: &[u8]| !l.is_empty() && l.iter().all(u8::is_ascii_digit);
	if labels().next_back().is_some_and(numeric) {
		let octet = |l: &[u8]| {
			numeric(l)
				&& l.len() <= 3
				&& l.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')) <= 255
		};
		return labels().count() == 4 && labels().all(octet);
	}
	!host.is_empty()
		&& host.len() <= 253
		&& labels().all(|label| {
			!label.is_empty()
				&& label.len() <= 63
				&& label.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
				&& label.first() != Some(&b'-')
				&& label.last() != Some(&b'-')
		})
}

/// Checks a region code: 2..=`max` bytes of lowercase letters, digits and single inner
/// hyphens, starting with a letter (`de`, `us-east`, `eu-west-1`).
pub fn check_region(code: &[u8], max: usize) -> bool {
	(2..=max).contains(&code.len())
		&& code[0].is_ascii_lowercase()
		&& code.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
		&& code.last() != Some(&b'-')
		&& !code.windows(2).any(|w| w == b"--")
}

/// Checks free text: valid UTF-8 without control characters.
pub fn check_text(text: &[u8]) -> bool {
	core::str::from_utf8(text).is_ok_and(|s| !s.chars().any(char::is_control))
}

/// The amount to release from a hold of `held` when the required bond falls to `required`
/// with `slashed` slashed so far: the hold always ends at `required − slashed`, floored at zero.
pub fn release_to(held: Balance, required: Balance, slashed: Balance) -> Balance {
	held.saturating_sub(required.saturating_sub(slashed))
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

	fn ok(url: &str) -> bool {
		check_endpoint(url.as_bytes(), 128).is_ok()
	}

	#[test]
	fn endpoints() {
		for good in [
			"https://gpu.example.com",
			"http://10.0.0.7:8080/worker",
			"https://[2001:db8::1]:9000/v1",
			"https://a-b.c/d?x=1",
			"http://localhost:1",
			"https://host?x=1",
			"https://host#frag",
			"https://example.com.",
			"https://255.255.255.255:80",
		] {
			assert!(ok(good), "{good}");
		}
		let bad = [
			("ftp://x.org", EndpointError::Scheme),
			("gpu.example.com", EndpointError::Scheme),
			("https://", EndpointError::Host),
			("https://user@host", EndpointError::Host),
			("https://-bad.com", EndpointError::Host),
			("https://a..b", EndpointError::Host),
			("https://exa mple.com", EndpointError::Host),
			("https://[zz::1]", EndpointError::Host),
			("https://h:0", EndpointError::Port),
			("https://h:65536", EndpointError::Port),
			("https://h:", EndpointError::Port),
			("https://h/a b", EndpointError::Path),
			("https://h/\u{e9}", EndpointError::Path),
			("https://h/<script>", EndpointError::Path),
			("https://999.1.1.1", EndpointError::Host),
			("https://1.2.3.4.5", EndpointError::Host),
			("https://123", EndpointError::Host),
			("https://[:]", EndpointError::Host),
			("https://[1:2:3:4:5:6:7:8:9:0]", EndpointError::Host),
		];
		for (url, err) in bad {
			assert_eq!(check_endpoint(url.as_bytes(), 128), Err(err), "{url}");
		}
		let long = alloc::format!("https://{}.com", "a".repeat(130));
		assert_eq!(check_endpoint(long.as_bytes(), 128), Err(EndpointError::TooLong));
	}

	#[test]
	fn regions() {
		for good in ["de", "us-east", "eu-west-1", "ap9"] {
			assert!(check_region(good.as_bytes(), 16), "{good}");
		}
		for bad in ["d", "DE", "1us", "us--east", "us-", "us_east", "a-very-long-region-code"] {
			assert!(!check_region(bad.as_bytes(), 16), "{bad}");
		}
	}

	#[test]
	fn text() {
		assert!(check_text("Acme GPUs, Frankfurt — ops@acme.example".as_bytes()));
		assert!(!check_text(b"\xff\xfe"));
		assert!(!check_text(b"line\nbreak"));
	}

	#[test]
	fn bond_release_keeps_held_at_required_minus_slashed() {
		// 1,000 held, 1,000 required, nothing slashed: removing a 200 bond releases 200.
		assert_eq!(release_to(1_000, 800, 0), 200);
		// 300 slashed: held 700; required falls to 800 -> hold 500, release 200.
		assert_eq!(release_to(700, 800, 300), 200);
		// Slashes beyond what remains required: release everything.
		assert_eq!(release_to(100, 200, 900), 100);
	}
}
