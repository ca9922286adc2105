//! Attestation: the types shared by the attestation pallet, its off-chain worker, the
//! `crucible-worker` client and explorers; the validators' session key (`atst`); the governed
//! parameters and their rules; and the payloads that commits, verdicts, fraud proofs and
//! opening requests sign.
//!
//! General transactions sign neither the genesis hash nor the spec version, so every signed
//! payload here starts with a domain tag and the genesis hash, and carries the round's seeds.

use crate::{
	challenge::{self, Shape},
	providers::DeviceId,
	BlockNumber,
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use serde::{Deserialize, Serialize};
use sp_core::{ConstU32, H256};
use sp_runtime::{BoundedVec, Perbill};

/// The session key type of attestation: validators sign verdicts and fraud proofs with it.
pub const KEY_TYPE: sp_core::crypto::KeyTypeId = sp_core::crypto::KeyTypeId(*b"atst");

/// The validators' attestation key: sr25519 app crypto under [`KEY_TYPE`].
pub mod app {
	use sp_runtime::app_crypto::{app_crypto, sr25519};
	app_crypto!(sr25519, super::KEY_TYPE);
}

/// A validator's attestation public key.
pub type AttestationKey = app::Public;
/// A validator's attestation signature.
pub type AttestationSignature = app::Signature;

/// The most validators a round's snapshot holds.
pub const MAX_VALIDATORS: u32 = 32;
/// The most rows one validator opens per device in a round.
pub const MAX_ROWS_PER_VALIDATOR: u32 = 64;
/// The most providers one `submit_verdicts` covers.
pub const MAX_VERDICT_PROVIDERS: u32 = 16;
/// The longest Merkle path (rows ≤ 2^31).
pub const MAX_PATH: u32 = 32;

/// Domain tag of a commit's signed payload.
pub const TAG_COMMIT: &[u8] = b"crucible/attest/commit/v1";
/// Domain tag of a verdicts' signed payload.
pub const TAG_VERDICTS: &[u8] = b"crucible/attest/verdicts/v1";
/// Domain tag of a fraud proof's signed payload.
pub const TAG_FRAUD: &[u8] = b"crucible/attest/fraud/v1";
/// Domain tag of an opening request's signed payload.
pub const TAG_OPEN_REQUEST: &[u8] = b"crucible/attest/open/v1";

/// Which part of its work a device owes in a round.
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
pub enum Share {
	/// All of it: the device is free, or its lease started at or after the opening, or ended
	/// before the commit.
	Full,
	/// `leased_share` of it: the device was leased, under a lease started before the opening,
	/// when its commit was dispatched.
	Leased,
}

/// One device's entry in a commit.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct DeviceCommit {
	/// The device.
	pub device: DeviceId,
	/// The share the worker computed.
	pub share: Share,
	/// The rows it computed (must equal what the chain set for the device and share).
	pub rows: u32,
	/// The Merkle root over the rows.
	pub root: H256,
}

/// A validator's verdict on one committed device.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub enum Verdict {
	/// Every drawn row came back with a good path, in range, and passed Freivalds' check.
	Pass,
	/// No good answer for these drawn rows after every attempt: a veto (no standing, no slash).
	Unavailable {
		/// The rows drawn (and not served).
		rows: BoundedVec<u32, ConstU32<MAX_ROWS_PER_VALIDATOR>>,
	},
}

/// A validator's verdicts on one provider's committed devices.
#[derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo)]
#[scale_info(skip_type_params(MaxDevices))]
pub struct ProviderVerdict<AccountId, MaxDevices: sp_core::Get<u32>> {
	/// The provider.
	pub provider: AccountId,
	/// The digest of the commit the verdicts are about.
	pub digest: H256,
	/// Per device.
	pub devices: BoundedVec<(DeviceId, Verdict), MaxDevices>,
}

// By hand: derives would bound `MaxDevices` too.
impl<A: Clone, M: sp_core::Get<u32>> Clone for ProviderVerdict<A, M> {
	fn clone(&self) -> Self {
		Self { provider: self.provider.clone(), digest: self.digest, devices: self.devices.clone() }
	}
}

impl<A: PartialEq, M: sp_core::Get<u32>> PartialEq for ProviderVerdict<A, M> {
	fn eq(&self, other: &Self) -> bool {
		self.provider == other.provider
			&& self.digest == other.digest
			&& self.devices == other.devices
	}
}

impl<A: Eq, M: sp_core::Get<u32>> Eq for ProviderVerdict<A, M> {}

impl<A: core::fmt::Debug, M: sp_core::Get<u32>> core::fmt::Debug for ProviderVerdict<A, M> {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.debug_struct("ProviderVerdict")
			.field("provider", &self.provider)
			.field("digest", &self.digest)
			.field("devices", &self.devices.as_slice())
			.finish()
	}
}

/// A proof that a committed row is wrong: the row's values and path, and the column whose
/// value is out of range or differs from its recomputation.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct FraudProof<AccountId> {
	/// The round.
	pub round: u64,
	/// The provider.
	pub provider: AccountId,
	/// The device.
	pub device: DeviceId,
	/// The row.
	pub row: u32,
	/// The row's N values, as committed.
	pub values: BoundedVec<i32, ConstU32<{ challenge::MAX_N }>>,
	/// The row's Merkle path, leaf up.
	pub path: BoundedVec<H256, ConstU32<MAX_PATH>>,
	/// The wrong column.
	pub column: u32,
}

/// Votes on a device in a round: bitmaps over snapshot indices.
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
pub struct VoteBits {
	/// Validators that voted Pass.
	pub pass: u32,
	/// Validators that vetoed.
	pub veto: u32,
}

impl VoteBits {
	/// Records `validator`'s vote (`pass` or a veto); a validator counts once: a second vote
	/// of either kind is ignored.
	pub fn record(&mut self, validator: u32, pass: bool) -> bool {
		let bit = 1u32 << (validator % 32);
		if (self.pass | self.veto) & bit != 0 {
			return false;
		}
		if pass {
			self.pass |= bit;
		} else {
			self.veto |= bit;
		}
		true
	}

	/// Pass votes.
	pub fn passes(&self) -> u32 {
		self.pass.count_ones()
	}

	/// Vetoes.
	pub fn vetoes(&self) -> u32 {
		self.veto.count_ones()
	}
}

/// What a round decided for a due device.
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
pub enum Outcome {
	/// Committed and passed by more than `pass_quorum` of the snapshot: standing.
	Passed(Share),
	/// Committed, too few votes; `carried` if it kept the previous pass's standing.
	Unverified {
		/// Whether the previous round's pass carried over.
		carried: bool,
	},
	/// A validator vetoed it (rows not served): no standing, no slash.
	Vetoed,
	/// A fraud proof landed: slashed.
	Proven,
	/// Due, not committed.
	Uncommitted,
}

impl Outcome {
	/// Whether this outcome gives standing.
	pub fn gives_standing(&self) -> bool {
		matches!(self, Outcome::Passed(_) | Outcome::Unverified { carried: true })
	}

	/// The outcome of a device committed without a proof or a veto, given its votes, the
	/// snapshot size `v`, the quorum and the device's previous outcome: `Passed` with more
	/// than `pass_quorum`·v pass votes (with v = 1 or a quorum of 0, one vote), else
	/// `Unverified`, carrying the previous outcome's standing only if that was a pass.
	pub fn tally(
		share: Share,
		votes: VoteBits,
		v: u32,
		pass_quorum: Perbill,
		previous: Option<Outcome>,
	) -> Outcome {
		let passes = votes.passes();
		let passed = if v <= 1 || pass_quorum.is_zero() {
			passes >= 1
		} else {
			// passes > q·v, exactly: passes·10^9 > q_parts·v.
			u64::from(passes) * 1_000_000_000 > u64::from(pass_quorum.deconstruct()) * u64::from(v)
		};
		if passed {
			Outcome::Passed(share)
		} else {
			Outcome::Unverified { carried: matches!(previous, Some(Outcome::Passed(_))) }
		}
	}
}

/// Why parameters are refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ParamsError {
	/// K or N not multiples of 64 within bounds.
	BadShape,
	/// Round gaps or hazard out of order, or an epoch shorter than the longest gap.
	BadGaps,
	/// `pass_quorum` ≥ 100 %, or `max_missed_leased` 0.
	BadQuorum,
	/// `leased_share` above 100 %.
	BadShare,
	/// Timing: target, alpha, slack, check blocks, HTTP attempts or fraud window out of bounds.
	BadWindow,
	/// `default_rate` 0.
	BadRate,
	/// `sample_rows` or `min_rows_per_validator` 0 or above 64.
	TooManyRows,
}

/// The governed attestation parameters (market-admin track).
#[derive(
	Clone,
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
pub struct AttestationParams {
	/// No round opens earlier than this many blocks after the last opening.
	pub min_round_gap: BlockNumber,
	/// After `min_round_gap`, a block opens a round with probability 1/`round_hazard`.
	pub round_hazard: u32,
	/// A round opens surely this many blocks after the last opening.
	pub max_round_gap: BlockNumber,
	/// Blocks in an attestation epoch (B, K, N and calibrations change only at epochs).
	pub epoch_length: BlockNumber,
	/// Inner dimension.
	pub k: u32,
	/// Output width.
	pub n: u32,
	/// The time a device's full share is sized for, milliseconds.
	pub target_ms: u64,
	/// The share of the commit window the target may take (the rest is slack for honest
	/// pipelines): D = ceil(target / (alpha · 6 s)) + `slack_blocks`.
	pub alpha: Perbill,
	/// Blocks added to the commit window.
	pub slack_blocks: BlockNumber,
	/// Blocks of the check window after the commit window (a round uses max(this, v + 2)).
	pub check_blocks: BlockNumber,
	/// Rows opened per device across all validators (S).
	pub sample_rows: u32,
	/// Rows each validator opens per device at least.
	pub min_rows_per_validator: u32,
	/// HTTP attempts a validator makes per provider and round.
	pub http_attempts: u32,
	/// Pass votes needed: more than this share of the snapshot.
	pub pass_quorum: Perbill,
	/// The share of a leased device's work it owes.
	pub leased_share: Perbill,
	/// Missed censuses in a row that close a lease as `ProviderFault(Unreachable)`.
	pub max_missed_leased: u32,
	/// Blocks after a round's close in which a fraud proof is accepted (and the bond locked).
	pub fraud_window: BlockNumber,
	/// The share of the bond a proven fraud slashes.
	pub fraud_slash: Perbill,
	/// The share of the slash that goes to the reporter (the rest to the treasury).
	pub reporter_share: Perbill,
	/// A model's rate without a calibration: this share of its catalogue `int8_tops`.
	pub default_rate: Perbill,
}

/// The longest fraud window: a week of 6-second blocks.
pub const MAX_FRAUD_WINDOW: BlockNumber = 100_800;
/// The most slack blocks.
pub const MAX_SLACK_BLOCKS: BlockNumber = 10;
/// The most HTTP attempts.
pub const MAX_HTTP_ATTEMPTS: u32 = 5;

impl AttestationParams {
	/// The testnet's parameters.
	pub fn testnet() -> Self {
		Self {
			min_round_gap: 300,
			round_hazard: 600,
			max_round_gap: 900,
			epoch_length: 14_400,
			k: 65_536,
			n: 4_096,
			target_ms: 60_000,
			alpha: Perbill::from_percent(85),
			slack_blocks: 2,
			check_blocks: 10,
			sample_rows: 64,
			min_rows_per_validator: 4,
			http_attempts: 3,
			pass_quorum: Perbill::from_percent(50),
			leased_share: Perbill::from_percent(25),
			max_missed_leased: 2,
			fraud_window: 14_400,
			fraud_slash: Perbill::from_percent(50),
			reporter_share: Perbill::from_percent(10),
			default_rate: Perbill::from_percent(50),
		}
	}

	/// The dev and local chains' parameters: a round every 12 blocks, 2-second targets.
	pub fn dev() -> Self {
		Self {
			min_round_gap: 12,
			round_hazard: 1,
			max_round_gap: 12,
			epoch_length: 100,
			k: 1_024,
			n: 256,
			target_ms: 2_000,
			alpha: Perbill::from_percent(25),
			slack_blocks: 2,
			check_blocks: 4,
			sample_rows: 16,
			min_rows_per_validator: 4,
			fraud_window: 60,
			..Self::testnet()
		}
	}

	/// Checks every rule of the parameter table.
	pub fn validate(&self) -> Result<(), ParamsError> {
		if self.shape().is_none() {
			return Err(ParamsError::BadShape);
		}
		if self.min_round_gap < 1
			|| self.min_round_gap > self.max_round_gap
			|| self.round_hazard < 1
			|| self.epoch_length < self.max_round_gap
		{
			return Err(ParamsError::BadGaps);
		}
		if self.target_ms == 0
			|| self.alpha.is_zero()
			|| self.slack_blocks > MAX_SLACK_BLOCKS
			|| self.check_blocks < 1
			|| !(1..=MAX_HTTP_ATTEMPTS).contains(&self.http_attempts)
			|| !(1..=MAX_FRAUD_WINDOW).contains(&self.fraud_window)
		{
			return Err(ParamsError::BadWindow);
		}
		if !(1..=MAX_ROWS_PER_VALIDATOR).contains(&self.sample_rows)
			|| !(1..=MAX_ROWS_PER_VALIDATOR).contains(&self.min_rows_per_validator)
		{
			return Err(ParamsError::TooManyRows);
		}
		if self.pass_quorum == Perbill::one() || self.max_missed_leased < 1 {
			return Err(ParamsError::BadQuorum);
		}
		if self.leased_share > Perbill::one() {
			return Err(ParamsError::BadShare);
		}
		if self.default_rate.is_zero() {
			return Err(ParamsError::BadRate);
		}
		Ok(())
	}

	/// The challenge shape, if K and N are valid.
	pub fn shape(&self) -> Option<Shape> {
		Shape::new(self.k, self.n)
	}

	/// D, the blocks after the opening in which commits are accepted.
	pub fn commit_blocks(&self) -> BlockNumber {
		challenge::commit_blocks(self.target_ms, self.alpha, self.slack_blocks)
	}

	/// The check window of a round whose snapshot holds `v` validators: max(check_blocks, v + 2).
	pub fn check_window(&self, v: u32) -> BlockNumber {
		self.check_blocks.max(v.saturating_add(2))
	}
}

/// The payload a worker key signs for a commit:
/// SCALE `("crucible/attest/commit/v1", genesis_hash, round, round_seed, epoch_seed, provider,
/// devices)`.
pub fn commit_payload<AccountId: Encode>(
	genesis: &H256,
	round: u64,
	round_seed: &H256,
	epoch_seed: &H256,
	provider: &AccountId,
	devices: &[DeviceCommit],
) -> Vec<u8> {
	(TAG_COMMIT, genesis, round, round_seed, epoch_seed, provider, devices).encode()
}

/// A commit's digest: `blake2_256(round_seed ‖ provider ‖ SCALE(devices))`.
pub fn commit_digest<AccountId: Encode>(
	round_seed: &H256,
	provider: &AccountId,
	devices: &[DeviceCommit],
) -> H256 {
	let mut buf = round_seed.as_bytes().to_vec();
	provider.encode_to(&mut buf);
	devices.encode_to(&mut buf);
	H256(sp_crypto_hashing::blake2_256(&buf))
}

/// The payload a snapshot key signs for verdicts:
/// SCALE `("crucible/attest/verdicts/v1", genesis_hash, round, round_seed, validator_index,
/// verdicts)`.
pub fn verdicts_payload<V: Encode>(
	genesis: &H256,
	round: u64,
	round_seed: &H256,
	validator_index: u32,
	verdicts: &V,
) -> Vec<u8> {
	(TAG_VERDICTS, genesis, round, round_seed, validator_index, verdicts).encode()
}

/// The payload a snapshot key signs for a fraud proof:
/// SCALE `("crucible/attest/fraud/v1", genesis_hash, round, round_seed, blake2_256(SCALE(proof)))`.
pub fn fraud_payload<AccountId: Encode>(
	genesis: &H256,
	round: u64,
	round_seed: &H256,
	proof: &FraudProof<AccountId>,
) -> Vec<u8> {
	let proof_hash = H256(sp_crypto_hashing::blake2_256(&proof.encode()));
	(TAG_FRAUD, genesis, round, round_seed, proof_hash).encode()
}

/// A validator's request for row openings (`POST /v1/rounds/{round}/open`, SCALE), signed by
/// its snapshot key over [`open_request_payload`].
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct OpenRequest<AccountId> {
	/// The chain's genesis hash.
	pub genesis: H256,
	/// The round.
	pub round: u64,
	/// The round's seed.
	pub round_seed: H256,
	/// The provider asked.
	pub provider: AccountId,
	/// The validator's index in the round's snapshot.
	pub validator_index: u32,
	/// The rows drawn, per device.
	pub rows: Vec<(DeviceId, Vec<u32>)>,
	/// The snapshot key's signature.
	pub signature: AttestationSignature,
}

/// What an opening request signs: SCALE `("crucible/attest/open/v1", genesis, round,
/// round_seed, provider, validator_index, rows)`.
pub fn open_request_payload<AccountId: Encode>(
	genesis: &H256,
	round: u64,
	round_seed: &H256,
	provider: &AccountId,
	validator_index: u32,
	rows: &[(DeviceId, Vec<u32>)],
) -> Vec<u8> {
	(TAG_OPEN_REQUEST, genesis, round, round_seed, provider, validator_index, rows).encode()
}

/// One opened row: its values and Merkle path (leaf up).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct RowOpening {
	/// The row index.
	pub index: u32,
	/// The row's N values.
	pub values: Vec<i32>,
	/// The path to the committed root.
	pub path: Vec<H256>,
}

/// A device's opened rows, as the worker answers (SCALE `Vec<DeviceOpenings>`).
#[derive(Clone, PartialEq, Eq, Encode, Decode, TypeInfo, Debug)]
pub struct DeviceOpenings {
	/// The device.
	pub device: DeviceId,
	/// Its rows, in the order asked.
	pub rows: Vec<RowOpening>,
}

/// The largest honest answer to a request for `devices` (rows asked, tree depth) at output width
/// `n`: 5 + Σ (9 + rows × (4N + 32·depth + 9)) bytes (SCALE length prefixes at their widest).
/// A validator reads no more than this.
pub fn response_cap(n: u32, devices: &[(u32, u32)]) -> u64 {
	devices.iter().fold(5u64, |acc, (rows, depth)| {
		let row = 4 * u64::from(n) + 32 * u64::from(*depth) + 9;
		acc.saturating_add(9 + u64::from(*rows) * row)
	})
}

/// Standing, as the lease market, the registry and the BME read it.
pub trait AttestationStanding<AccountId> {
	/// Whether `device` of `provider` has standing (the provider is Active and the device
	/// passed the latest closed round it was due in, or carried it).
	fn is_attested(provider: &AccountId, device: DeviceId) -> bool;
	/// The block of the provider's latest proven attestation failure.
	fn last_failure(provider: &AccountId) -> Option<BlockNumber>;
	/// Whether `device` is locked (committed in a round whose fraud window is open).
	fn is_locked(provider: &AccountId, device: DeviceId) -> bool;
	/// Whether any device of `provider` is locked.
	fn provider_locked(provider: &AccountId) -> bool;
	/// The registry removed `devices` of `provider`: forget their standing.
	fn on_devices_removed(provider: &AccountId, devices: &[DeviceId]);
	/// Weight of any one of the reads above.
	fn read_weight() -> sp_runtime::Weight;
	/// Weight of [`Self::on_devices_removed`] for `n` devices.
	fn on_devices_removed_weight(n: u32) -> sp_runtime::Weight;
}

/// No attestation: every device attested, no failure, nothing locked.
impl<AccountId> AttestationStanding<AccountId> for () {
	fn is_attested(_: &AccountId, _: DeviceId) -> bool {
		true
	}
	fn last_failure(_: &AccountId) -> Option<BlockNumber> {
		None
	}
	fn is_locked(_: &AccountId, _: DeviceId) -> bool {
		false
	}
	fn provider_locked(_: &AccountId) -> bool {
		false
	}
	fn on_devices_removed(_: &AccountId, _: &[DeviceId]) {}
	fn read_weight() -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
	fn on_devices_removed_weight(_: u32) -> sp_runtime::Weight {
		sp_runtime::Weight::zero()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_presets_are_valid_and_give_the_documented_windows() {
		let t = AttestationParams::testnet();
		assert_eq!(t.validate(), Ok(()));
		assert_eq!(t.commit_blocks(), 14);
		assert_eq!(t.check_window(4), 10);
		assert_eq!(t.check_window(32), 34);
		let d = AttestationParams::dev();
		assert_eq!(d.validate(), Ok(()));
		assert_eq!(d.commit_blocks(), 4);
		assert_eq!(d.check_window(1), 4);
	}

	#[test]
	fn every_rule_has_its_error() {
		let t = AttestationParams::testnet();
		let cases: Vec<(AttestationParams, ParamsError)> = alloc::vec![
			(AttestationParams { k: 100, ..t.clone() }, ParamsError::BadShape),
			(AttestationParams { n: 16_448, ..t.clone() }, ParamsError::BadShape),
			(AttestationParams { min_round_gap: 0, ..t.clone() }, ParamsError::BadGaps),
			(AttestationParams { min_round_gap: 901, ..t.clone() }, ParamsError::BadGaps),
			(AttestationParams { round_hazard: 0, ..t.clone() }, ParamsError::BadGaps),
			(AttestationParams { epoch_length: 899, ..t.clone() }, ParamsError::BadGaps),
			(AttestationParams { target_ms: 0, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { alpha: Perbill::zero(), ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { slack_blocks: 11, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { check_blocks: 0, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { http_attempts: 0, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { http_attempts: 6, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { fraud_window: 0, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { fraud_window: 100_801, ..t.clone() }, ParamsError::BadWindow),
			(AttestationParams { sample_rows: 65, ..t.clone() }, ParamsError::TooManyRows),
			(
				AttestationParams { min_rows_per_validator: 0, ..t.clone() },
				ParamsError::TooManyRows
			),
			(
				AttestationParams { pass_quorum: Perbill::one(), ..t.clone() },
				ParamsError::BadQuorum
			),
			(AttestationParams { max_missed_leased: 0, ..t.clone() }, ParamsError::BadQuorum),
			(
				AttestationParams { default_rate: Perbill::zero(), ..t.clone() },
				ParamsError::BadRate
			),
		];
		for (p, e) in cases {
			assert_eq!(p.validate(), Err(e), "{p:?}");
		}
		// The edges that pass.
		assert_eq!(
			AttestationParams { pass_quorum: Perbill::zero(), ..t.clone() }.validate(),
			Ok(())
		);
		assert_eq!(
			AttestationParams { leased_share: Perbill::zero(), ..t.clone() }.validate(),
			Ok(())
		);
		assert_eq!(
			AttestationParams { fraud_window: 100_800, slack_blocks: 10, ..t }.validate(),
			Ok(())
		);
	}

	#[test]
	fn a_validator_votes_once() {
		let mut v = VoteBits::default();
		assert!(v.record(3, true));
		assert!(!v.record(3, false));
		assert!(!v.record(3, true));
		assert!(v.record(31, false));
		assert_eq!((v.passes(), v.vetoes()), (1, 1));
	}

	#[test]
	fn tallies_need_more_than_the_quorum() {
		let q = Perbill::from_percent(50);
		let votes = |n: u32| VoteBits { pass: (1u64 << n).wrapping_sub(1) as u32, veto: 0 };
		let prev = Some(Outcome::Passed(Share::Full));
		// v = 1: one vote passes.
		assert_eq!(Outcome::tally(Share::Full, votes(1), 1, q, None), Outcome::Passed(Share::Full));
		// v = 4: 2 of 4 is not more than half; 3 is.
		assert_eq!(
			Outcome::tally(Share::Full, votes(2), 4, q, prev),
			Outcome::Unverified { carried: true }
		);
		assert_eq!(
			Outcome::tally(Share::Leased, votes(3), 4, q, None),
			Outcome::Passed(Share::Leased)
		);
		// v = 3: 2 of 3 passes; v = 32: 16 does not, 17 does.
		assert_eq!(Outcome::tally(Share::Full, votes(2), 3, q, None), Outcome::Passed(Share::Full));
		assert_eq!(
			Outcome::tally(Share::Full, votes(16), 32, q, None),
			Outcome::Unverified { carried: false }
		);
		assert_eq!(
			Outcome::tally(Share::Full, votes(17), 32, q, None),
			Outcome::Passed(Share::Full)
		);
		// Quorum 0: one vote.
		assert_eq!(
			Outcome::tally(Share::Full, votes(1), 32, Perbill::zero(), None),
			Outcome::Passed(Share::Full)
		);
		assert_eq!(
			Outcome::tally(Share::Full, votes(0), 32, Perbill::zero(), None),
			Outcome::Unverified { carried: false }
		);
		// A carry does not carry again.
		let carried = Some(Outcome::Unverified { carried: true });
		assert_eq!(
			Outcome::tally(Share::Full, votes(0), 4, q, carried),
			Outcome::Unverified { carried: false }
		);
		assert!(Outcome::Unverified { carried: true }.gives_standing());
		assert!(!Outcome::Vetoed.gives_standing());
	}

	#[test]
	fn an_honest_answer_fits_its_cap() {
		let n = 256u32;
		let answer: Vec<DeviceOpenings> = (0..3u32)
			.map(|d| DeviceOpenings {
				device: d,
				rows: (0..16)
					.map(|i| RowOpening {
						index: 1_000_000 + i,
						values: alloc::vec![i32::MIN; n as usize],
						path: alloc::vec![H256::zero(); 12],
					})
					.collect(),
			})
			.collect();
		let cap = response_cap(n, &[(16, 12); 3]);
		assert!(answer.encode().len() as u64 <= cap, "{} > {cap}", answer.encode().len());
		assert!(cap - (answer.encode().len() as u64) < 512, "the cap is tight");
	}

	#[test]
	fn payloads_start_with_their_tag_and_the_genesis_hash() {
		let g = H256::repeat_byte(1);
		let p =
			commit_payload(&g, 5, &H256::repeat_byte(2), &H256::repeat_byte(3), &[9u8; 32], &[]);
		assert_eq!(&p[1..1 + TAG_COMMIT.len()], TAG_COMMIT);
		assert_eq!(&p[1 + TAG_COMMIT.len()..1 + TAG_COMMIT.len() + 32], g.as_bytes());
		let d1 = commit_digest(&H256::repeat_byte(2), &[9u8; 32], &[]);
		let entry = DeviceCommit { device: 1, share: Share::Full, rows: 3, root: H256::zero() };
		assert_ne!(d1, commit_digest(&H256::repeat_byte(2), &[9u8; 32], &[entry]));
		assert_ne!(d1, commit_digest(&H256::repeat_byte(4), &[9u8; 32], &[]));
	}
}
