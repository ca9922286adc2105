//! Provider endpoints: the one rule for which `http(s)://` URLs a provider may register and a
//! validator's off-chain worker may fetch.
//!
//! Validators' off-chain workers fetch every provider's endpoint, so an endpoint pointing into a
//! validator's own network (loopback, RFC 1918, link-local and its cloud metadata address
//! 169.254.169.254, ...) would turn every validator into a request forwarder. Unless a chain
//! allows private endpoints (a governed flag, set on dev and local chains), only DNS names with
//! at least two labels that are not a local name (`localhost` and its `/etc/hosts` aliases,
//! `*.localhost`, `*.local`, `*.localdomain`, `*.internal`, e.g. `metadata.google.internal`),
//! and IP literals that are public unicast, pass. A public name may still resolve to a private
//! address: the off-chain worker must resolve it and check the address with [`is_public_v4`] /
//! [`is_public_v6`] before it connects; this check alone cannot see that.
//! IP literals are parsed by `core::net`; a host whose last label is a number in any form
//! `inet_aton` accepts (`0x7f000001`, `017700000001`, `2130706433`, `127.1`) is taken as IPv4
//! and accepted only as the canonical dotted quad.

use core::net::{Ipv4Addr, Ipv6Addr};

/// Why an endpoint is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndpointError {
	/// Longer than the bound.
	TooLong,
	/// Not `http://` or `https://`.
	Scheme,
	/// Empty or malformed host, a non-canonical IPv4 form, or user info (`user@host`).
	Host,
	/// A port that is not 1..=65535.
	Port,
	/// A path with a space, a control character or a non-ASCII byte.
	Path,
	/// A host that is not public: `localhost`, `*.localhost`, `*.local`, or an IP address that
	/// is not public unicast (refused unless the chain allows private endpoints).
	NotPublic,
}

/// Checks that `url` is an absolute `http(s)://host[:port][/path]` URL of at most `max` bytes
/// whose host is a DNS name, a canonical dotted-quad IPv4 address or a bracketed IPv6 address,
/// and, unless `allow_private`, a public one. The length is checked before anything is scanned.
pub fn check_endpoint(url: &[u8], max: usize, allow_private: bool) -> Result<(), EndpointError> {
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
	let (host, port) = if authority.first() == Some(&b'[') {
		let close = authority.iter().position(|b| *b == b']').ok_or(EndpointError::Host)?;
		let ip = core::str::from_utf8(&authority[1..close])
			.ok()
			.and_then(|s| s.parse::<Ipv6Addr>().ok())
			.ok_or(EndpointError::Host)?;
		let port = match &authority[close + 1..] {
			[] => None,
			[b':', port @ ..] => Some(port),
			_ => return Err(EndpointError::Host),
		};
		(Host::V6(ip), port)
	} else {
		let (host, port) = match authority.iter().position(|b| *b == b':') {
			Some(i) => (&authority[..i], Some(&authority[i + 1..])),
			None => (authority, None),
		};
		(parse_host(host)?, port)
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
	if !allow_private && !host.is_public() {
		return Err(EndpointError::NotPublic);
	}
	Ok(())
}

/// Whether a validator's off-chain worker may fetch `url`: it passes [`check_endpoint`], and,
/// unless the chain allows private endpoints, its host is an IP literal. The off-chain worker
/// cannot resolve names, and a public name may resolve to 127.0.0.1 (SSRF), so a host name
/// counts as private. No TLS is needed: requests are signed and answers checked against roots.
pub fn fetchable(url: &[u8], max: usize, allow_private: bool) -> bool {
	if check_endpoint(url, max, allow_private).is_err() {
		return false;
	}
	if allow_private {
		return true;
	}
	let rest =
		url.strip_prefix(b"https://").or_else(|| url.strip_prefix(b"http://")).unwrap_or(url);
	let end = rest.iter().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
	let authority = &rest[..end];
	if authority.first() == Some(&b'[') {
		return true;
	}
	let host = match authority.iter().position(|b| *b == b':') {
		Some(i) => &authority[..i],
		None => authority,
	};
	matches!(parse_host(host), Ok(Host::V4(_)))
}

/// Name suffixes that never reach a public host.
const LOCAL_SUFFIXES: [&[u8]; 4] = [b".localhost", b".local", b".localdomain", b".internal"];

/// A parsed host.
enum Host<'a> {
	Name(&'a [u8]),
	V4(Ipv4Addr),
	V6(Ipv6Addr),
}

impl Host<'_> {
	fn is_public(&self) -> bool {
		match self {
			Host::Name(name) => {
				let name = name.strip_suffix(b".").unwrap_or(name);
				let ends = |suffix: &[u8]| {
					name.len() >= suffix.len()
						&& name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
				};
				// A single label (`metadata`, `localhost4`, `ip6-loopback`) resolves only through
				// a hosts file or a search domain: never a public endpoint.
				name.contains(&b'.') && !LOCAL_SUFFIXES.iter().any(|s| ends(s))
			}
			Host::V4(ip) => is_public_v4(*ip),
			Host::V6(ip) => is_public_v6(*ip),
		}
	}
}

/// A DNS name (labels of 1..=63 letters, digits or inner hyphens, at most 253 bytes, an optional
/// trailing dot), or, when the last label is a number in any `inet_aton` form (decimal, octal
/// with a leading zero, `0x` hex), an IPv4 address that must be the canonical dotted quad.
fn parse_host(host: &[u8]) -> Result<Host<'_>, EndpointError> {
	let trimmed = host.strip_suffix(b".").unwrap_or(host);
	let last = trimmed.rsplit(|b| *b == b'.').next().unwrap_or_default();
	let numeric = !last.is_empty()
		&& (last.iter().all(u8::is_ascii_digit)
			|| (last.len() >= 2
				&& last[0] == b'0'
				&& matches!(last[1], b'x' | b'X')
				&& last[2..].iter().all(u8::is_ascii_hexdigit)));
	if numeric {
		// `Ipv4Addr`'s parser takes exactly four decimal octets without leading zeros.
		return core::str::from_utf8(host)
			.ok()
			.and_then(|s| s.parse::<Ipv4Addr>().ok())
			.map(Host::V4)
			.ok_or(EndpointError::Host);
	}
	let ok = !trimmed.is_empty()
		&& trimmed.len() <= 253
		&& trimmed.split(|b| *b == b'.').all(|label| {
			!label.is_empty()
				&& label.len() <= 63
				&& label.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
				&& label.first() != Some(&b'-')
				&& label.last() != Some(&b'-')
		});
	if ok {
		Ok(Host::Name(host))
	} else {
		Err(EndpointError::Host)
	}
}

/// Public unicast IPv4: none of "this network" 0/8, private 10/8, 172.16/12 and 192.168/16,
/// shared 100.64/10, loopback 127/8, link-local 169.254/16, IETF 192.0.0/24, documentation
/// 192.0.2/24, 198.51.100/24 and 203.0.113/24, benchmarking 198.18/15, multicast 224/4,
/// reserved 240/4 and broadcast.
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
	let [a, b, c, _] = ip.octets();
	!(a == 0
		|| ip.is_private()
		|| (a == 100 && (64..128).contains(&b))
		|| ip.is_loopback()
		|| ip.is_link_local()
		|| (a == 192 && b == 0 && c == 0)
		|| ip.is_documentation()
		|| (a == 198 && (b == 18 || b == 19))
		|| ip.is_multicast()
		|| a >= 240)
}

/// Public unicast IPv6: not unspecified, loopback, multicast, unique local fc00::/7, link-local
/// fe80::/10, site-local fec0::/10, documentation 2001:db8::/32 and 3fff::/20, discard
/// 100::/64, IETF protocol assignments 2001::/23 (Teredo 2001::/32 among them), nor an IPv4
/// address in IPv6 form (IPv4-mapped ::ffff:0:0/96, SIIT ::ffff:0:0:0/96, IPv4-compatible
/// ::/96, NAT64 64:ff9b::/96 and 64:ff9b:1::/48, 6to4 2002::/16), whatever IPv4 address it
/// carries.
pub fn is_public_v6(ip: Ipv6Addr) -> bool {
	let s = ip.segments();
	!(ip.is_unspecified()
		|| ip.is_loopback()
		|| ip.is_multicast()
		|| (s[0] & 0xfe00) == 0xfc00
		|| (s[0] & 0xffc0) == 0xfe80
		|| (s[0] & 0xffc0) == 0xfec0
		|| (s[0] == 0x2001 && s[1] == 0x0db8)
		|| (s[0] & 0xfff0) == 0x3ff0
		|| (s[0] == 0x2001 && s[1] < 0x0200)
		|| s[0] == 0x2002
		|| (s[..4] == [0; 4] && s[4] == 0xffff && s[5] == 0)
		|| (s[0] == 0x0100 && s[1..4] == [0, 0, 0])
		|| ip.to_ipv4_mapped().is_some()
		|| s[..6] == [0; 6]
		|| (s[0] == 0x0064 && s[1] == 0xff9b && (s[2..6] == [0; 4] || s[2] == 1)))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn check(url: &str) -> Result<(), EndpointError> {
		check_endpoint(url.as_bytes(), 128, false)
	}

	#[test]
	fn well_formed_public_endpoints_pass() {
		for good in [
			"https://gpu.example.com",
			"http://8.8.8.8:8080/worker",
			"https://[2606:4700::1111]:9000/v1",
			"https://a-b.c/d?x=1",
			"https://host.example?x=1",
			"https://host.example#frag",
			"https://example.com.",
			"https://1.1.1.1:80",
			"https://localhost.example.com",
			"https://0x.example.com",
		] {
			assert_eq!(check(good), Ok(()), "{good}");
		}
	}

	#[test]
	fn malformed_endpoints_are_refused() {
		let bad = [
			("ftp://x.org", EndpointError::Scheme),
			("gpu.example.com", EndpointError::Scheme),
			("https://", EndpointError::Host),
			("https://user@host", EndpointError::Host),
			("https://-bad.com", EndpointError::Host),
			("https://a..b", EndpointError::Host),
			("https://exa mple.com", EndpointError::Host),
			("https://[zz::1]", EndpointError::Host),
			("https://[::::]", EndpointError::Host),
			("https://[1:2:3:4:5:6:7:8:9:0]", EndpointError::Host),
			("https://[:]", EndpointError::Host),
			("https://h:0", EndpointError::Port),
			("https://h:65536", EndpointError::Port),
			("https://h:", EndpointError::Port),
			("https://h/a b", EndpointError::Path),
			("https://h/\u{e9}", EndpointError::Path),
			("https://h/<script>", EndpointError::Path),
			("https://999.1.1.1", EndpointError::Host),
			("https://1.2.3.4.5", EndpointError::Host),
			("https://123", EndpointError::Host),
		];
		for (url, err) in bad {
			assert_eq!(check(url), Err(err), "{url}");
		}
		let long = alloc::format!("https://{}.com", "a".repeat(130));
		assert_eq!(check(&long), Err(EndpointError::TooLong));
	}

	#[test]
	fn inet_aton_forms_of_ipv4_are_refused() {
		// All of these resolve to 127.0.0.1 (or 8.8.8.8) through inet_aton.
		for url in [
			"http://0x7f000001/",
			"http://0X7F000001/",
			"http://2130706433/",
			"http://017700000001/",
			"http://127.1/",
			"http://127.0.1/",
			"http://0177.0.0.1/",
			"http://127.0.0.01/",
			"http://0x7f.0.0.1/",
			"http://8.8.0x8.8/",
			"http://134744072/",
		] {
			assert_eq!(check(url), Err(EndpointError::Host), "{url}");
			assert_eq!(
				check_endpoint(url.as_bytes(), 128, true),
				Err(EndpointError::Host),
				"{url}"
			);
		}
	}

	#[test]
	fn private_hosts_are_refused_unless_allowed() {
		for url in [
			"http://localhost:1",
			"http://LOCALHOST.",
			"http://worker.localhost/",
			"http://gpu-box.local:8080",
			"http://127.0.0.1:9944",
			"http://10.0.0.7:8080/worker",
			"http://172.16.5.4",
			"http://172.31.255.255",
			"http://192.168.1.1",
			"http://100.64.0.1",
			"http://100.127.255.255",
			"http://169.254.169.254/latest/meta-data/",
			"http://0.0.0.0",
			"http://0.1.2.3",
			"http://255.255.255.255",
			"http://224.0.0.1",
			"http://240.0.0.1",
			"http://192.0.0.8",
			"http://192.0.2.1",
			"http://198.51.100.7",
			"http://203.0.113.9",
			"http://198.18.0.1",
			"http://[::1]:80",
			"http://[::]",
			"http://[fc00::1]",
			"http://[fd12:3456::1]",
			"http://[fe80::1]",
			"http://[fec0::1]",
			"http://[ff02::1]",
			"http://[2001:db8::1]:9000/v1",
			"http://[100::1]",
			"http://[::ffff:127.0.0.1]",
			"http://[::ffff:8.8.8.8]",
			"http://[::127.0.0.1]",
			"http://[64:ff9b::7f00:1]",
			"http://[64:ff9b:1::1]",
			"http://metadata.google.internal/computeMetadata/v1/",
			"http://metadata",
			"http://localhost4",
			"http://ip6-loopback",
			"http://localhost.localdomain",
			"http://db.corp.internal",
			"http://nas.localdomain",
			"http://[2002:7f00:1::1]",
			"http://[2001:0:4136:e378::1]",
			"http://[2001:1ff::1]",
			"http://[3fff::1]",
			"http://[::ffff:0:7f00:1]",
		] {
			assert_eq!(check(url), Err(EndpointError::NotPublic), "{url}");
			assert_eq!(check_endpoint(url.as_bytes(), 128, true), Ok(()), "{url} when allowed");
		}
		// Neighbours of the refused ranges are public.
		for url in [
			"http://172.32.0.1",
			"http://100.128.0.1",
			"http://169.253.1.1",
			"http://198.20.0.1",
			"http://223.255.255.255",
			"http://[fbff::1]",
			"http://[2001:db9::1]",
			"http://[2001:200::1]",
			"http://[2003::1]",
			"http://internal.example.com",
		] {
			assert_eq!(check(url), Ok(()), "{url}");
		}
	}

	#[test]
	fn off_chain_workers_fetch_public_ip_literals_only_unless_private_endpoints_are_allowed() {
		for url in
			["http://93.184.216.34:8844", "https://8.8.8.8/worker", "http://[2001:4860::8888]:80/x"]
		{
			assert!(fetchable(url.as_bytes(), 128, false), "{url}");
		}
		for url in [
			"https://gpu.example.com:8443/worker",
			"http://127.0.0.1:8844",
			"http://10.0.0.1",
			"http://[::1]:80",
			"http://localhost:8844",
			"ftp://8.8.8.8",
		] {
			assert!(!fetchable(url.as_bytes(), 128, false), "{url}");
		}
		assert!(fetchable(b"http://127.0.0.1:8844", 128, true));
		assert!(fetchable(b"https://gpu.example.com:8443/worker", 128, true));
		assert!(!fetchable(b"ftp://127.0.0.1", 128, true));
	}
}
