//! Stored types of the attestation pallet.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use crucible_primitives::{
	attestation::{AttestationKey, DeviceCommit, Outcome},
	challenge::Shape,
	BlockNumber,
};
use frame_support::{traits::Get, BoundedVec};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Perbill;

/// The current attestation epoch.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct EpochInfo {
	/// Its index (the first epoch, starting at block 1, is 0).
	pub index: u32,
	/// Its first block.
	pub start: BlockNumber,
	/// Its length in blocks.
	pub length: BlockNumber,
	/// `blake2_256("crucible/attest/epoch/v1" ‖ genesis_hash ‖ epoch_u32_le ‖ parent_hash)`.
	pub seed: H256,
	/// K and N.
	pub shape: Shape,
}

/// A round's record: what it used, and where it stands.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct RoundRecord {
	/// The epoch it belongs to.
	pub epoch: u32,
	/// The opening block o.
	pub opened_at: BlockNumber,
	/// `blake2_256("crucible/attest/round/v1" ‖ genesis_hash ‖ round_u64_le ‖ parent_hash)`.
	pub round_seed: H256,
	/// The epoch's seed.
	pub epoch_seed: H256,
	/// K and N.
	pub shape: Shape,
	/// The time target of a full share, milliseconds.
	pub target_ms: u64,
	/// The share a leased device owes.
	pub leased_share: Perbill,
	/// A model's rate without a calibration, as a share of its `int8_tops`.
	pub default_rate: Perbill,
	/// The last block that accepts commits: o + D.
	pub commit_deadline: BlockNumber,
	/// The close block c = o + D + max(check_blocks, v + 2): verdicts are accepted before it.
	pub close_at: BlockNumber,
	/// The last block that accepts fraud proofs: c + fraud_window.
	pub fraud_deadline: BlockNumber,
	/// The snapshot's size v.
	pub validators: u32,
	/// S and the per-validator minimum, for s_v.
	pub sample_rows: u32,
	/// The per-validator minimum of rows.
	pub min_rows_per_validator: u32,
}

/// A round's validators, copied at the opening: (account, attestation key).
pub type Snapshot<AccountId, MaxValidators> =
	BoundedVec<(AccountId, AttestationKey), MaxValidators>;

/// A provider's stored commit in a round.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
#[scale_info(skip_type_params(MaxDevices))]
pub struct CommitRecord<MaxDevices: Get<u32>> {
	/// `blake2_256(round_seed ‖ provider ‖ SCALE(devices))` over the accepted entries.
	pub digest: H256,
	/// The accepted entries.
	pub devices: BoundedVec<DeviceCommit, MaxDevices>,
	/// The block it was included in.
	pub at: BlockNumber,
}

/// A device's last two outcomes (newest first) and the round of the newest.
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
	Default,
)]
pub struct DeviceRecord {
	/// The newest outcome and its round.
	pub last: Option<(u64, Outcome)>,
	/// The one before.
	pub previous: Option<(u64, Outcome)>,
	/// Consecutive censuses missed while leased.
	pub missed_leased: u32,
}

/// A validator's totals.
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
	Default,
)]
pub struct ValidatorCounters {
	/// Providers it gave verdicts on.
	pub verdicts: u64,
	/// Vetoes it cast.
	pub vetoes: u64,
	/// Fraud proofs it landed.
	pub proofs: u64,
}

/// A round's counts per outcome.
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
	Default,
)]
pub struct RoundCounts {
	/// Passed.
	pub passed: u32,
	/// Vetoed.
	pub vetoed: u32,
	/// Unverified.
	pub unverified: u32,
	/// Proven wrong.
	pub proven: u32,
	/// Not committed.
	pub uncommitted: u32,
}

/// The close in progress: its round, the last provider visited, the counts so far.
#[derive(
	Clone, PartialEq, Eq, Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Debug,
)]
pub struct CloseState<AccountId> {
	/// The round being closed.
	pub round: u64,
	/// The last provider visited (`None`: none yet).
	pub last: Option<AccountId>,
	/// Counts so far.
	pub counts: RoundCounts,
}
