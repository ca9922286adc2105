//! Compute credits and the burn-mint equilibrium (BME): the types and traits that the `bme`
//! pallet, the lease market, the runtime API and the node's JSON-RPC share.
//!
//! * One credit is one US dollar, with 6 decimals: [`Credits`] counts micro-credits.
//! * A CRU price is a [`Price`]: US dollars per CRU, an 18-decimal fixed-point number.
//! * Credits move between accounts only through [`CreditLedger`], which the `bme` pallet
//!   implements and the lease market uses.
//!
//! In JSON, every amount (credits, CRU plancks) is a decimal string, so that JavaScript
//! clients do not lose precision above 2^53; a price is the string of its 18-decimal inner
//! integer (`"1500000000000000000"` is 1.5 USD per CRU), as `FixedU128` serializes.

use crate::{Balance, BlockNumber};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_runtime::{DispatchError, DispatchResult, FixedU128, Weight};

/// Decimals of a credit.
pub const CREDIT_DECIMALS: u8 = 6;
/// One credit (one US dollar), in micro-credits.
pub const CREDIT: u128 = 1_000_000;

/// US dollars per CRU, with 18 decimals.
pub type Price = FixedU128;

/// The id under which the lease market locks credits (an order or lease id).
pub type EscrowId = u64;

/// The index of a BME epoch (0 is the epoch that starts at genesis).
pub type EpochIndex = u32;

/// An amount of compute credits, in micro-credits (10^-6 credit). A type of its own so that a
/// credit amount is never added to a CRU amount by mistake.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	PartialOrd,
	Ord,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
)]
pub struct Credits(pub u128);

impl Credits {
	/// No credits.
	pub const ZERO: Credits = Credits(0);

	/// `n` whole credits.
	pub const fn from_credits(n: u128) -> Credits {
		Credits(n * CREDIT)
	}
	/// The amount in micro-credits.
	pub const fn get(self) -> u128 {
		self.0
	}
	/// Whether this is zero.
	pub const fn is_zero(self) -> bool {
		self.0 == 0
	}
	/// `self + other`, or `None` on overflow.
	pub fn checked_add(self, other: Credits) -> Option<Credits> {
		self.0.checked_add(other.0).map(Credits)
	}
	/// `self - other`, or `None` when `other` is larger.
	pub fn checked_sub(self, other: Credits) -> Option<Credits> {
		self.0.checked_sub(other.0).map(Credits)
	}
	/// `self + other`, saturating at the largest amount.
	pub fn saturating_add(self, other: Credits) -> Credits {
		Credits(self.0.saturating_add(other.0))
	}
	/// `self - other`, saturating at zero.
	pub fn saturating_sub(self, other: Credits) -> Credits {
		Credits(self.0.saturating_sub(other.0))
	}
}

impl Serialize for Credits {
	fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
		amount::serialize(&self.0, s)
	}
}

impl<'de> Deserialize<'de> for Credits {
	fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
		amount::deserialize(d).map(Credits)
	}
}

/// Serde for `u128` amounts: written as decimal strings, read from strings or numbers.
pub mod amount {
	use core::fmt;
	use serde::{de, Deserializer, Serializer};

	/// Writes `v` as a decimal string.
	pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
		s.collect_str(v)
	}

	/// Reads a `u128` from a decimal string or a JSON number.
	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
		struct Amount;
		impl de::Visitor<'_> for Amount {
			type Value = u128;
			fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
				f.write_str("an unsigned integer or a decimal string")
			}
			fn visit_u64<E: de::Error>(self, v: u64) -> Result<u128, E> {
				Ok(v.into())
			}
			fn visit_u128<E: de::Error>(self, v: u128) -> Result<u128, E> {
				Ok(v)
			}
			fn visit_str<E: de::Error>(self, v: &str) -> Result<u128, E> {
				v.parse().map_err(|_| E::custom("not a decimal amount"))
			}
		}
		d.deserialize_any(Amount)
	}
}

/// Serde for `i128` amounts (net supply changes): decimal strings with a sign.
pub mod signed_amount {
	use alloc::string::String;
	use serde::{de, Deserialize, Deserializer, Serializer};

	/// Writes `v` as a decimal string.
	pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
		s.collect_str(v)
	}

	/// Reads an `i128` from a decimal string.
	pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
		String::deserialize(d)?.parse().map_err(|_| de::Error::custom("not a decimal amount"))
	}
}

/// What a payment from an escrow did: the provider's share and the take-rate burned.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Payment {
	/// Credits added to the provider's earned balance.
	pub to_provider: Credits,
	/// Credits burned as the market's take-rate (rounded up).
	pub burned: Credits,
}

/// The credit ledger, as the lease market sees it. Purchased credits go into an escrow; an
/// escrow pays providers (into their earned, redeemable balance, less the take-rate, which is
/// burned) or refunds its owner (back into purchased credits). Credits never move any other way.
pub trait CreditLedger<AccountId> {
	/// Purchased (spendable, not redeemable) credits of `who`.
	fn purchased(who: &AccountId) -> Credits;
	/// Earned (redeemable) credits of `who`.
	fn earned(who: &AccountId) -> Credits;
	/// The owner and balance of an escrow, if it exists.
	fn escrow(id: EscrowId) -> Option<(AccountId, Credits)>;
	/// Moves `amount` of `who`'s purchased credits into escrow `id`, creating it or topping it
	/// up (an existing escrow must belong to `who`).
	fn lock(who: &AccountId, id: EscrowId, amount: Credits) -> DispatchResult;
	/// Pays `amount` from escrow `id` to `provider`: the take-rate of it is burned, the rest is
	/// added to the provider's earned credits. The escrow is removed when it reaches zero.
	fn pay(id: EscrowId, provider: &AccountId, amount: Credits) -> Result<Payment, DispatchError>;
	/// Returns `amount` from escrow `id` to its owner's purchased credits. The escrow is removed
	/// when it reaches zero.
	fn refund(id: EscrowId, amount: Credits) -> DispatchResult;
	/// Weight of one [`Self::lock`], for the caller's own weight.
	fn lock_weight() -> Weight;
	/// Weight of one [`Self::pay`].
	fn pay_weight() -> Weight;
	/// Weight of one [`Self::refund`].
	fn refund_weight() -> Weight;
}

/// The subnet share of emission: accrued each epoch (unminted, capped) and minted only when the
/// subnets pallet draws it.
pub trait SubnetEmission<AccountId> {
	/// CRU accrued and not yet drawn.
	fn available() -> Balance;
	/// Mints `amount` of the accrued CRU to `to`. Fails, changing nothing, when less is accrued.
	fn draw(to: &AccountId, amount: Balance) -> DispatchResult;
}

/// Why the price oracle's breaker is tripped.
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
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum TripReason {
	/// Fewer feeders are registered than a live price needs.
	TooFewFeeders,
	/// Fewer feeds are fresh than a live price needs.
	Stale,
	/// The fresh feeds disagree by more than the allowed span.
	Spread,
	/// The TWAP moved more than allowed since the previous boundary.
	LargeMove,
}

/// The oracle's breaker, as explorers see it.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase", tag = "state")]
pub enum BreakerView {
	/// A clean TWAP window has passed: minting and boundaries run.
	Live,
	/// Tripped now: no live price.
	Tripped {
		/// Why.
		reason: TripReason,
		/// The block it tripped at.
		since: BlockNumber,
	},
	/// A live price again, but the clean TWAP window after the last trip has not passed yet.
	Recovering {
		/// Why it last tripped.
		reason: TripReason,
		/// The first block at which the window is clean.
		clean_at: BlockNumber,
	},
}

/// One feeder's latest feed.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct FeedView<AccountId> {
	/// The feeder.
	pub feeder: AccountId,
	/// Its latest price, if it ever fed one.
	pub price: Option<Price>,
	/// The block of that price.
	pub submitted_at: Option<BlockNumber>,
	/// Blocks since then.
	pub age: Option<BlockNumber>,
	/// Whether it is fresh enough to count.
	pub fresh: bool,
	/// Whether it was dropped as an outlier (too far from the median of the fresh feeds).
	pub dropped: bool,
}

/// The live price, each feed, and the breaker.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct PriceView<AccountId> {
	/// The block this describes.
	pub block: BlockNumber,
	/// The median of the fresh, kept feeds this block, if the breaker allows a price.
	pub median: Option<Price>,
	/// The time-weighted average of the median over the last clean TWAP window.
	pub twap: Option<Price>,
	/// The price `mint_credits` would use now: min(TWAP, median) less the spread.
	pub mint_price: Option<Price>,
	/// The price a boundary would redeem at now: max(TWAP, median, previous boundary's TWAP).
	pub redeem_price: Option<Price>,
	/// The TWAP at the previous boundary: the redeem price's look-back (and the reference of
	/// the large-move breaker).
	pub previous_twap: Option<Price>,
	/// The breaker.
	pub breaker: BreakerView,
	/// Registered feeders and their latest feeds.
	pub feeds: Vec<FeedView<AccountId>>,
}

/// Credits outstanding by bucket, and where the rest went.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct CreditTotals {
	/// Ever minted by burning CRU.
	pub minted: Credits,
	/// In purchased balances.
	pub purchased: Credits,
	/// Locked in lease escrows.
	pub escrowed: Credits,
	/// In earned balances.
	pub earned: Credits,
	/// In redemption requests.
	pub queued: Credits,
	/// Of the queued credits, those whose window has passed (they execute at the next boundary).
	pub eligible: Credits,
	/// Ever redeemed for CRU.
	pub redeemed: Credits,
	/// Ever burned by the take-rate.
	pub take_rate_burned: Credits,
	/// Ever queued for redemption: always `queued + redeemed` (no request lost or paid twice).
	pub requested: Credits,
}

impl CreditTotals {
	/// Credits that still exist: purchased + escrowed + earned + queued.
	pub fn outstanding(&self) -> Credits {
		self.purchased
			.saturating_add(self.escrowed)
			.saturating_add(self.earned)
			.saturating_add(self.queued)
	}
}

/// One account's credits.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct AccountCreditsView {
	/// Purchased credits (spendable on leases, never redeemable).
	pub purchased: Credits,
	/// Earned credits (redeemable).
	pub earned: Credits,
	/// Credits in the account's redemption request.
	pub queued: Credits,
	/// The block of the request's last top-up.
	pub requested_at: Option<BlockNumber>,
	/// Whether the request's window has passed (it takes part in the next boundary).
	pub eligible: bool,
	/// CRU plancks on hold for mints waiting to settle.
	#[serde(with = "amount")]
	pub minting: Balance,
}

/// CRU flows of the BME, in plancks.
#[derive(
	Clone,
	Copy,
	Default,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct SupplyFlows {
	/// Burned by `mint_credits` at the mid price: the remint pool's inflow.
	#[serde(with = "amount")]
	pub burned_for_credits: Balance,
	/// Burned by `mint_credits` as the spread: gone for good, never reminted.
	#[serde(with = "amount")]
	pub spread_burned: Balance,
	/// Minted for redemptions out of the remint pool.
	#[serde(with = "amount")]
	pub reminted: Balance,
	/// Minted for redemptions beyond the remint pool: new supply.
	#[serde(with = "amount")]
	pub new_supply: Balance,
	/// Remint pool above its cap (outstanding credits / price), burned for good.
	#[serde(with = "amount")]
	pub realized_net_burn: Balance,
	/// Minted as emission (providers, treasury, and subnet draws).
	#[serde(with = "amount")]
	pub emitted: Balance,
	/// Added to issuance by the root track outside the BME (`force_set_balance`,
	/// `force_adjust_total_issuance`, `set_storage`), as `bme.note_issuance_adjustment` noted.
	#[serde(with = "amount")]
	pub adjusted_up: Balance,
	/// Taken from issuance by the root track outside the BME, as noted.
	#[serde(with = "amount")]
	pub adjusted_down: Balance,
}

impl SupplyFlows {
	/// CRU these flows added to issuance.
	pub fn minted(&self) -> Balance {
		self.emitted
			.saturating_add(self.reminted)
			.saturating_add(self.new_supply)
			.saturating_add(self.adjusted_up)
	}

	/// CRU these flows took from issuance.
	pub fn burned(&self) -> Balance {
		self.burned_for_credits
			.saturating_add(self.spread_burned)
			.saturating_add(self.adjusted_down)
	}

	/// Net change of CRU issuance these flows caused: minted − burned.
	pub fn net_change(&self) -> i128 {
		(self.minted() as i128).saturating_sub(self.burned() as i128)
	}

	/// The total issuance these flows account for, starting from `genesis` (`None` when it
	/// would be negative or overflow: the accounts are broken).
	pub fn expected_issuance(&self, genesis: Balance) -> Option<Balance> {
		let minted = self
			.emitted
			.checked_add(self.reminted)?
			.checked_add(self.new_supply)?
			.checked_add(self.adjusted_up)?;
		let burned = self
			.burned_for_credits
			.checked_add(self.spread_burned)?
			.checked_add(self.adjusted_down)?;
		genesis.checked_add(minted)?.checked_sub(burned)
	}
}

/// CRU supply as the BME sees it.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct SupplyView {
	/// Total issuance at genesis.
	#[serde(with = "amount")]
	pub genesis_issuance: Balance,
	/// Total issuance now.
	#[serde(with = "amount")]
	pub total_issuance: Balance,
	/// Every flow since genesis.
	pub cumulative: SupplyFlows,
	/// The remint pool: burned for credits − reminted − realized net burn.
	#[serde(with = "amount")]
	pub remint_pool: Balance,
	/// Accrued, unminted subnet emission.
	#[serde(with = "amount")]
	pub subnet_pot: Balance,
	/// Net issuance change over the last 24 completed epochs.
	#[serde(with = "signed_amount")]
	pub net_change_24: i128,
	/// Net issuance change over the last 720 completed epochs.
	#[serde(with = "signed_amount")]
	pub net_change_720: i128,
}

/// The redemption queue.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct QueueView {
	/// Open requests.
	pub requests: u32,
	/// Credits in them.
	pub credits: Credits,
	/// Of which eligible at the next boundary.
	pub eligible: Credits,
	/// CRU the queued credits would fetch at the current redeem price, before any cap.
	#[serde(with = "amount")]
	pub expected_cru: Balance,
	/// The cap of the next boundary, in CRU, at the current price.
	#[serde(with = "amount")]
	pub next_cap: Balance,
}

/// What one epoch's boundary did.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Default,
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct EpochSummary {
	/// The epoch.
	pub epoch: EpochIndex,
	/// Its first block.
	pub start: BlockNumber,
	/// The block its boundary began at.
	pub boundary: BlockNumber,
	/// Whether the boundary executed (false: the oracle was tripped or recovering, or the TWAP
	/// moved too far; redemptions waited and the emission was withheld).
	pub executed: bool,
	/// The redeem price the boundary used.
	pub price: Option<Price>,
	/// CRU flows during the epoch (mints) and at its boundary (redemptions, emission).
	pub flows: SupplyFlows,
	/// Credits minted during the epoch.
	pub credits_minted: Credits,
	/// Credits earned by providers during the epoch.
	pub credits_earned: Credits,
	/// Credits burned by the take-rate during the epoch.
	pub take_rate_burned: Credits,
	/// Credits redeemed at the boundary.
	pub credits_redeemed: Credits,
	/// Requests paid at the boundary.
	pub requests_paid: u32,
	/// Credits still queued after the boundary.
	pub queue_after: Credits,
	/// The boundary's cap, in CRU.
	#[serde(with = "amount")]
	pub cap: Balance,
	/// The scheduled emission of the epoch.
	#[serde(with = "amount")]
	pub scheduled_emission: Balance,
	/// Minted to providers.
	#[serde(with = "amount")]
	pub emitted_providers: Balance,
	/// Minted to the treasury (its share and rounding remainders).
	#[serde(with = "amount")]
	pub emitted_treasury: Balance,
	/// Accrued to the subnet pot (not minted).
	#[serde(with = "amount")]
	pub subnet_accrued: Balance,
	/// Withheld: never minted, never carried forward.
	#[serde(with = "amount")]
	pub withheld: Balance,
}

/// A page of epoch summaries, newest first.
#[derive(
	Clone,
	PartialEq,
	Eq,
	Encode,
	Decode,
	DecodeWithMemTracking,
	TypeInfo,
	Debug,
	Serialize,
	Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct EpochPage {
	/// The summaries.
	pub epochs: Vec<EpochSummary>,
	/// Pass as `before` to get the next (older) page; `None` at the end.
	pub next: Option<EpochIndex>,
}

sp_api::decl_runtime_apis! {
	/// Queries of the `bme` pallet, for explorers and the node's `crucible_*` JSON-RPC methods.
	/// Each says the most storage entries it reads, whatever its arguments (the pallet's
	/// `runtime_apis_read_a_bounded_amount_whatever_the_arguments` test counts them).
	pub trait BmeApi<AccountId> where AccountId: codec::Codec {
		/// The live price with each feed, and the breaker. Reads 6 entries (the feeder list is
		/// one entry of at most 16 feeders).
		fn price() -> PriceView<AccountId>;
		/// Credits outstanding by bucket. Reads 1 entry.
		fn credits() -> CreditTotals;
		/// One account's credits. Reads 4 entries.
		fn account(who: AccountId) -> AccountCreditsView;
		/// CRU supply: cumulative flows, the remint pool, net change over 24 and 720 epochs.
		/// Reads at most 752 entries (the summaries of the last 24 and 720 epochs).
		fn supply() -> SupplyView;
		/// The redemption queue. Reads 10 entries.
		fn queue() -> QueueView;
		/// Summaries of completed epochs, newest first: up to `limit` (at most 100) epochs
		/// older than `before` (or the newest, when `None`; a `before` past the running epoch
		/// counts as the running epoch). Reads at most `limit` + 3 storage entries.
		fn epochs(before: Option<EpochIndex>, limit: u32) -> EpochPage;
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn amounts_are_strings_in_json_and_read_back() {
		let c = Credits(u128::MAX);
		let json = serde_json::to_string(&c).unwrap();
		assert_eq!(json, format!("\"{}\"", u128::MAX));
		assert_eq!(serde_json::from_str::<Credits>(&json).unwrap(), c);
		assert_eq!(serde_json::from_str::<Credits>("10").unwrap(), Credits(10));
		assert!(serde_json::from_str::<Credits>("\"-1\"").is_err());
	}

	#[test]
	fn credit_arithmetic_is_checked() {
		assert_eq!(Credits::from_credits(10), Credits(10_000_000));
		assert_eq!(Credits(1).checked_sub(Credits(2)), None);
		assert_eq!(Credits(u128::MAX).checked_add(Credits(1)), None);
		assert_eq!(Credits(1).saturating_sub(Credits(2)), Credits::ZERO);
	}

	#[test]
	fn net_change_is_minted_minus_burned() {
		let flows = SupplyFlows {
			burned_for_credits: 100,
			spread_burned: 1,
			reminted: 40,
			new_supply: 5,
			realized_net_burn: 10,
			emitted: 20,
			adjusted_up: 7,
			adjusted_down: 3,
		};
		assert_eq!(flows.net_change(), 72 - 104);
		assert_eq!(flows.expected_issuance(1_000), Some(1_000 + 72 - 104));
		assert_eq!(flows.expected_issuance(31), None);
	}
}
