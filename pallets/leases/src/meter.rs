//! The lease meter: what a lease owes at any block, computed in O(1) from five numbers, so
//! that settling is lazy (on touch, or when the sweep reaches it) and still exact.
//!
//! A lease costs `price` credits per block over `[start, end)`. Its escrow holds `remaining`
//! credits not yet paid; blocks before `settled_at` are paid. A block is paid whole or not at
//! all, so the escrow runs dry at `settled_at + remaining / price` (floor): the lease is never
//! paid past that block nor past `end`, whenever anyone touches it. Of the escrow, what is not
//! paid is refunded at close — including the remainder smaller than one block's price.
//!
//! Invariant: escrow in + top-ups = paid + refunded + remaining.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{bme::Credits, BlockNumber};
use scale_info::TypeInfo;

/// A lease's accounting state.
#[derive(
	Clone,
	Copy,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Meter {
	/// Credits per block (non-zero).
	pub price: Credits,
	/// The block after the last paid block (the lease starts at `settled_at`).
	pub settled_at: BlockNumber,
	/// The first block not leased.
	pub end: BlockNumber,
	/// Credits in escrow, not yet paid.
	pub remaining: Credits,
}

/// Why a meter cannot be built or changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum MeterError {
	/// A price of zero.
	ZeroPrice,
	/// `end` is not after the start.
	EmptyTerm,
	/// A top-up would overflow.
	Overflow,
}

/// One settlement: what moved and the meter after it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Settlement {
	/// The meter after settling.
	pub meter: Meter,
	/// Blocks paid by this settlement.
	pub blocks: BlockNumber,
	/// Credits paid by this settlement (`blocks × price`).
	pub paid: Credits,
}

impl Meter {
	/// A lease from `start` to `end` at `price` per block with `escrow` credits.
	pub fn new(
		price: Credits,
		start: BlockNumber,
		end: BlockNumber,
		escrow: Credits,
	) -> Result<Self, MeterError> {
		if price == Credits::ZERO {
			return Err(MeterError::ZeroPrice);
		}
		if end <= start {
			return Err(MeterError::EmptyTerm);
		}
		Ok(Self { price, settled_at: start, end, remaining: escrow })
	}

	/// Whole blocks the escrow still pays for.
	pub fn funded_blocks(&self) -> u128 {
		self.remaining.0 / self.price.0
	}

	/// The first block the escrow does not pay for (`settled_at` + funded blocks, saturating).
	pub fn dry_block(&self) -> BlockNumber {
		let funded = BlockNumber::try_from(self.funded_blocks()).unwrap_or(BlockNumber::MAX);
		self.settled_at.saturating_add(funded)
	}

	/// The block at which the lease is due to close: its end, or the block its escrow runs dry,
	/// whichever comes first.
	pub fn due_block(&self) -> BlockNumber {
		self.end.min(self.dry_block())
	}

	/// Whether the escrow runs out before the end.
	pub fn runs_dry(&self) -> bool {
		self.dry_block() < self.end
	}

	/// Blocks and credits owed as of block `now` (nothing before `settled_at`, nothing past the
	/// due block).
	pub fn owed(&self, now: BlockNumber) -> (BlockNumber, Credits) {
		let until = now.min(self.due_block());
		let blocks = until.saturating_sub(self.settled_at);
		// Cannot overflow: blocks × price <= remaining.
		(blocks, Credits(self.price.0 * u128::from(blocks)))
	}

	/// Settle up to `now`: pay what is owed out of the escrow.
	pub fn settle(&self, now: BlockNumber) -> Settlement {
		let (blocks, paid) = self.owed(now);
		let meter = Meter {
			settled_at: self.settled_at + blocks,
			remaining: Credits(self.remaining.0 - paid.0),
			..*self
		};
		Settlement { meter, blocks, paid }
	}

	/// Add `amount` to the escrow (the due block moves later, never past `end`).
	pub fn top_up(&self, amount: Credits) -> Result<Self, MeterError> {
		let remaining = self.remaining.checked_add(amount).ok_or(MeterError::Overflow)?;
		Ok(Meter { remaining, ..*self })
	}

	/// Whether, at `now`, the escrow runs dry within `horizon` blocks (and before the end).
	pub fn low_funds(&self, now: BlockNumber, horizon: BlockNumber) -> bool {
		self.runs_dry() && self.dry_block().saturating_sub(now) <= horizon
	}

	/// Close at `now`: settle, then everything left in escrow is the tenant's refund.
	/// Returns the final settlement and the refund.
	pub fn close(&self, now: BlockNumber) -> (Settlement, Credits) {
		let s = self.settle(now);
		(s, s.meter.remaining)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn c(n: u128) -> Credits {
		Credits(n)
	}

	#[test]
	fn pays_per_block_and_stops_at_the_end() {
		let m = Meter::new(c(10), 100, 110, c(1_000)).unwrap();
		assert_eq!(m.due_block(), 110);
		assert!(!m.runs_dry());
		assert_eq!(m.owed(99), (0, c(0)));
		assert_eq!(m.owed(105), (5, c(50)));
		let (s, refund) = m.close(500);
		assert_eq!((s.blocks, s.paid), (10, c(100)));
		assert_eq!(refund, c(900));
	}

	#[test]
	fn stops_where_the_escrow_runs_dry_and_refunds_the_odd_remainder() {
		// 95 credits at 10 per block: 9 whole blocks, 5 left over.
		let m = Meter::new(c(10), 0, 100, c(95)).unwrap();
		assert_eq!(m.dry_block(), 9);
		assert!(m.runs_dry());
		assert_eq!(m.due_block(), 9);
		let (s, refund) = m.close(50);
		assert_eq!(s.paid, c(90));
		assert_eq!(s.meter.settled_at, 9);
		assert_eq!(refund, c(5));
	}

	#[test]
	fn a_top_up_moves_the_due_block_but_not_past_the_end() {
		let m = Meter::new(c(10), 0, 100, c(95)).unwrap();
		let m = m.settle(5).meter;
		assert_eq!((m.settled_at, m.remaining), (5, c(45)));
		let m = m.top_up(c(1_000)).unwrap();
		assert_eq!(m.due_block(), 100);
		assert!(!m.runs_dry());
		assert_eq!(m.top_up(Credits(u128::MAX)), Err(MeterError::Overflow));
	}

	#[test]
	fn low_funds_only_when_the_escrow_ends_before_the_lease() {
		let m = Meter::new(c(10), 0, 100, c(200)).unwrap();
		assert_eq!(m.dry_block(), 20);
		assert!(!m.low_funds(5, 10));
		assert!(m.low_funds(10, 10));
		let rich = Meter::new(c(10), 0, 100, c(5_000)).unwrap();
		assert!(!rich.low_funds(99, 1_000));
	}

	#[test]
	fn refuses_zero_prices_and_empty_terms() {
		assert_eq!(Meter::new(c(0), 0, 10, c(1)), Err(MeterError::ZeroPrice));
		assert_eq!(Meter::new(c(1), 10, 10, c(1)), Err(MeterError::EmptyTerm));
	}

	#[test]
	fn huge_escrows_saturate_the_dry_block() {
		let m = Meter::new(c(1), 0, BlockNumber::MAX, Credits(u128::MAX)).unwrap();
		assert_eq!(m.dry_block(), BlockNumber::MAX);
		assert_eq!(m.due_block(), BlockNumber::MAX);
	}

	proptest! {
		/// Settling at any sequence of blocks pays exactly what one settlement at the last of
		/// them pays; nothing is paid past the due block; escrow = paid + remaining always.
		#[test]
		fn lazy_settlement_is_exact(
			price in 1u128..1_000,
			start in 0u32..1_000,
			len in 1u32..1_000,
			escrow in 0u128..2_000_000,
			mut touches in proptest::collection::vec(0u32..3_000, 0..20),
			top_ups in proptest::collection::vec(0u128..10_000, 0..5),
		) {
			touches.sort();
			let m0 = Meter::new(Credits(price), start, start + len, Credits(escrow)).unwrap();
			let mut m = m0;
			let mut paid = 0u128;
			let mut topped = 0u128;
			for (i, t) in touches.iter().enumerate() {
				if let Some(a) = top_ups.get(i) {
					m = m.top_up(Credits(*a)).unwrap();
					topped += a;
				}
				let s = m.settle(*t);
				paid += s.paid.0;
				m = s.meter;
				prop_assert!(m.settled_at <= start + len);
				prop_assert_eq!(escrow + topped, paid + m.remaining.0);
			}
			let (last, refund) = m.close(u32::MAX);
			paid += last.paid.0;
			prop_assert_eq!(escrow + topped, paid + refund.0);
			prop_assert!(refund.0 < price || last.meter.settled_at == start + len);
			prop_assert_eq!(paid % price, 0);
			prop_assert!(paid / price <= u128::from(len));
			if top_ups.is_empty() {
				prop_assert_eq!(paid, m0.close(u32::MAX).0.paid.0);
			}
		}
	}
}
