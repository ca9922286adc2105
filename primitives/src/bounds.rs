//! Bounds every pallet and the node agree on: the region code, and how much one query returns
//! and reads.

use sp_core::ConstU32;
use sp_runtime::BoundedVec;

/// Longest region code, in bytes.
pub const MAX_REGION_LEN: u32 = 16;

/// A region code, as a provider registers it and an order asks for it: see [`check_region`].
pub type Region = BoundedVec<u8, ConstU32<MAX_REGION_LEN>>;

/// Most items one page of a list query returns (a larger `limit` is clamped to it).
pub const MAX_PAGE: u32 = 100;

/// Most storage entries one list query looks at: a rare filter returns a short page with a
/// `next` rather than walking the whole map.
pub const SCAN_LIMIT: u32 = 1_000;

/// Whether `code` is a region code: 2..=[`MAX_REGION_LEN`] bytes of lowercase letters, digits
/// and single inner hyphens, starting with a letter (`de`, `us-east`, `eu-west-1`).
pub fn check_region(code: &[u8]) -> bool {
	(2..=MAX_REGION_LEN as usize).contains(&code.len())
		&& code[0].is_ascii_lowercase()
		&& code.iter().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
		&& code.last() != Some(&b'-')
		&& !code.windows(2).any(|w| w == b"--")
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn regions() {
		for good in ["de", "us-east", "eu-west-1", "ap9", "abcdefghijklmnop"] {
			assert!(check_region(good.as_bytes()), "{good}");
		}
		for bad in ["", "d", "DE", "1us", "us--east", "us-", "us_east", "abcdefghijklmnopq"] {
			assert!(!check_region(bad.as_bytes()), "{bad}");
		}
	}
}
