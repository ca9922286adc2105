//! Tests of the challenge, and the committed vectors.

use super::{
	chacha::ChaCha8,
	freivalds::{self, P},
	matrix::{self, entry},
	merkle::{self, Hash},
	seeds, Blake2, Blake2Rust as B2, Shape,
};
use alloc::vec::Vec;
use proptest::prelude::*;
use rand_chacha::{
	rand_core::{RngCore, SeedableRng},
	ChaCha8Rng,
};
use sp_runtime::Perbill;

fn reference_stream(key: &[u8; 32], pos: u64, len: usize) -> Vec<u8> {
	assert_eq!(pos % 4, 0);
	let mut rng = ChaCha8Rng::from_seed(*key);
	rng.set_stream(0);
	rng.set_word_pos(u128::from(pos / 4));
	let mut out = alloc::vec![0u8; len];
	rng.fill_bytes(&mut out);
	out
}

fn stream_bytes(key: &[u8; 32], pos: u64, len: usize) -> Vec<u8> {
	let mut out = alloc::vec![0u8; len];
	ChaCha8::new(key).fill(pos, &mut out);
	out
}

#[test]
fn chacha8_equals_rand_chacha_at_every_counter_range() {
	let key: [u8; 32] = core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(5));
	// Positions in bytes: the start, inside a block, both sides of the 2^32-block boundary (where
	// a 32-bit counter would wrap), and where row 2^31 − 1 of A at K = 65,536 lives (2^41 blocks).
	let boundary = (1u64 << 32) * 64;
	for pos in [
		0,
		4,
		60,
		64 * 1000,
		boundary - 128,
		boundary - 4,
		boundary,
		boundary + 64,
		(1u64 << 47) - 256,
	] {
		assert_eq!(stream_bytes(&key, pos, 300), reference_stream(&key, pos, 300), "at {pos}");
	}
}

proptest! {
	#[test]
	fn chacha8_equals_rand_chacha_anywhere(key in any::<[u8; 32]>(), word in 0u64..(1 << 45), len in 1usize..300) {
		prop_assert_eq!(stream_bytes(&key, word * 4, len), reference_stream(&key, word * 4, len));
	}

	#[test]
	fn unaligned_reads_are_slices_of_the_stream(key in any::<[u8; 32]>(), pos in 0u64..1_000_000, len in 0usize..200) {
		let whole = stream_bytes(&key, pos - pos % 64, len + 64);
		let skip = (pos % 64) as usize;
		prop_assert_eq!(stream_bytes(&key, pos, len), whole[skip..skip + len].to_vec());
	}

	#[test]
	fn reduce_is_mod_p(v in any::<u64>()) {
		prop_assert_eq!(freivalds::reduce(v), v % P);
	}

	#[test]
	fn field_elements_are_the_values_mod_p(v in any::<i32>()) {
		prop_assert_eq!(freivalds::field_i32(v), i64::from(v).rem_euclid(P as i64) as u64);
	}
}

#[test]
fn entries_are_symmetric_bytes() {
	assert_eq!(entry(0x00), 0);
	assert_eq!(entry(0x7f), 127);
	assert_eq!(entry(0x80), -127);
	assert_eq!(entry(0x81), -127);
	assert_eq!(entry(0xff), -1);
	assert!((0..=255u8).all(|b| (-127..=127).contains(&i32::from(entry(b)))));
}

#[test]
fn rows_of_a_and_columns_of_b_sit_where_the_layout_says() {
	let shape = Shape::new(128, 64).unwrap();
	let key = [3u8; 32];
	let stream = ChaCha8::new(&key);
	for i in [0u32, 1, 7, (1 << 31) - 1] {
		let mut row = alloc::vec![0i8; 128];
		matrix::a_row(&stream, shape, i, &mut row);
		let bytes = reference_stream(&key, u64::from(i) * 128, 128);
		assert_eq!(row, bytes.iter().map(|b| entry(*b)).collect::<Vec<_>>(), "row {i}");
	}
	let b = matrix::b_matrix(&stream, shape);
	for j in [0u32, 1, 63] {
		let mut col = alloc::vec![0i8; 128];
		matrix::b_col(&stream, shape, j, &mut col);
		assert_eq!(col[..], b[j as usize * 128..(j as usize + 1) * 128], "column {j}");
	}
}

#[test]
fn shapes_are_multiples_of_64_within_bounds() {
	assert!(Shape::new(64, 64).is_some());
	assert!(Shape::new(65_536, 16_384).is_some());
	for (k, n) in [(0, 64), (64, 0), (100, 64), (64, 100), (65_600, 64), (64, 16_448)] {
		assert_eq!(Shape::new(k, n), None, "{k} x {n}");
	}
}

#[test]
fn rows_follow_rate_target_and_share() {
	let dev = Shape::new(1_024, 256).unwrap();
	// The dev CPU model at 1 GOPS for 2 s: 3,815 rows, 954 at the leased share.
	assert_eq!(super::rows_for(1, 2_000, Perbill::one(), dev), 3_815);
	assert_eq!(super::rows_for(1, 2_000, Perbill::from_percent(25), dev), 954);
	// An H100 SXM / H200 at half its 1,979 TOPS for 60 s at the testnet shape: W ≈ 5.9·10^16
	// operations, about 1.1·10^8 rows (depth 27).
	let testnet = Shape::new(65_536, 4_096).unwrap();
	let rows = super::rows_for(989_500, 60_000, Perbill::one(), testnet);
	assert_eq!(rows, 110_585_243);
	assert_eq!(merkle::depth(rows), 27);
	// Clamped to [1, 2^31], saturating.
	assert_eq!(super::rows_for(0, 60_000, Perbill::one(), testnet), 1);
	assert_eq!(super::rows_for(1, 1, Perbill::from_parts(1), testnet), 1);
	assert_eq!(
		super::rows_for(u64::MAX, u64::MAX, Perbill::one(), Shape::new(64, 64).unwrap()),
		1 << 31
	);
}

#[test]
fn deadlines_and_rows_per_validator_follow_the_params() {
	assert_eq!(super::commit_blocks(60_000, Perbill::from_percent(85), 2), 14);
	assert_eq!(super::commit_blocks(2_000, Perbill::from_percent(25), 2), 4);
	assert_eq!(super::commit_blocks(6_000, Perbill::one(), 0), 1);
	assert_eq!(super::commit_blocks(1, Perbill::zero(), 2), u32::MAX);
	// Testnet: S = 64, at least 4 a validator.
	assert_eq!(super::rows_per_validator(3_815, 4, 64, 4), 16);
	assert_eq!(super::rows_per_validator(3_815, 4, 64, 32), 4);
	assert_eq!(super::rows_per_validator(3_815, 4, 64, 1), 64);
	assert_eq!(super::rows_per_validator(3, 4, 64, 1), 3);
	assert_eq!(super::rows_per_validator(3_815, 4, 16, 0), 16);
}

fn leaves(n: u32) -> Vec<Hash> {
	(0..n).map(|i| merkle::leaf::<B2>(1, &[2; 32], 3, i, &[i as i32, -1, 7])).collect()
}

#[test]
fn roots_and_paths_for_any_row_count() {
	assert_eq!(merkle::depth(1), 0);
	assert_eq!(merkle::depth(2), 1);
	assert_eq!(merkle::depth(5), 3);
	assert_eq!(merkle::depth(1 << 31), 31);
	for rows in 1..=33u32 {
		let leaves = leaves(rows);
		let depth = merkle::depth(rows);
		let root = merkle::root_over::<B2>(&leaves, 0, depth).unwrap();
		for i in 0..rows {
			let path = merkle::path_over::<B2>(&leaves, 0, depth, i).unwrap();
			assert_eq!(path.len(), depth as usize);
			assert!(merkle::verify::<B2>(&leaves[i as usize], i, rows, &path, &root));
			// Another row's leaf, another index, a truncated path: refused.
			let other = (i + 1) % rows;
			if other != i {
				assert!(!merkle::verify::<B2>(&leaves[other as usize], i, rows, &path, &root));
				assert!(!merkle::verify::<B2>(&leaves[i as usize], other, rows, &path, &root));
			}
			if depth > 0 {
				assert!(!merkle::verify::<B2>(&leaves[i as usize], i, rows, &path[1..], &root));
			}
			assert!(!merkle::verify::<B2>(&leaves[i as usize], rows, rows, &path, &root));
		}
		// A root built from subtree roots of height 2 (tiles of 4 rows, the last one padded) is
		// the same root: how the worker builds it.
		if depth >= 2 {
			let tiles: Vec<Hash> =
				leaves.chunks(4).map(|t| merkle::root_over::<B2>(t, 0, 2).unwrap()).collect();
			assert_eq!(merkle::root_over::<B2>(&tiles, 2, depth), Some(root), "{rows} rows");
			let tile_path = merkle::path_over::<B2>(&tiles, 2, depth, (rows - 1) / 4).unwrap();
			let in_tile = merkle::path_over::<B2>(
				&leaves[((rows - 1) / 4 * 4) as usize..],
				0,
				2,
				(rows - 1) % 4,
			)
			.unwrap();
			let full: Vec<Hash> = in_tile.into_iter().chain(tile_path).collect();
			assert_eq!(full, merkle::path_over::<B2>(&leaves, 0, depth, rows - 1).unwrap());
		}
	}
	// The padding is the empty leaf.
	let two = merkle::root_over::<B2>(&leaves(1), 0, 1).unwrap();
	assert_eq!(two, merkle::node::<B2>(&leaves(1)[0], &merkle::empty::<B2>(0)));
	assert_eq!(merkle::empty::<B2>(0), B2::blake2_256(b"crucible/attest/empty/v1"));
	// More nodes than the tree holds.
	assert_eq!(merkle::root_over::<B2>(&leaves(5), 0, 2), None);
	assert_eq!(merkle::path_over::<B2>(&leaves(4), 0, 2, 4), None);
}

#[test]
fn leaf_header_layout() {
	let h = merkle::leaf_header(0x0102_0304_0506_0708, &[0xaa; 32], 0x1122_3344, 0x5566_7788);
	assert_eq!(&h[..23], b"crucible/attest/leaf/v1");
	assert!(h[23..64].iter().all(|b| *b == 0));
	assert_eq!(h[64..72], 0x0102_0304_0506_0708u64.to_le_bytes());
	assert_eq!(h[72..104], [0xaa; 32]);
	assert_eq!(h[104..108], 0x1122_3344u32.to_le_bytes());
	assert_eq!(h[108..112], 0x5566_7788u32.to_le_bytes());
	assert!(h[112..].iter().all(|b| *b == 0));
	let mut buf = h.to_vec();
	buf.extend_from_slice(&(-2i32).to_le_bytes());
	assert_eq!(
		merkle::leaf::<B2>(0x0102_0304_0506_0708, &[0xaa; 32], 0x1122_3344, 0x5566_7788, &[-2]),
		B2::blake2_256(&buf)
	);
}

/// A small challenge: A, B, C and the keys.
struct Small {
	shape: Shape,
	key_a: [u8; 32],
	key_b: [u8; 32],
	a: Vec<Vec<i8>>,
	b: Vec<i8>,
	c: Vec<Vec<i32>>,
}

fn small(rows: u32, k: u32, n: u32) -> Small {
	let shape = Shape::new(k, n).unwrap();
	let key_a = matrix::key_a::<B2>(&[1; 32], &[2; 32], 3);
	let key_b = matrix::key_b::<B2>(&[4; 32]);
	let b = matrix::b_matrix(&ChaCha8::new(&key_b), shape);
	let a: Vec<Vec<i8>> = (0..rows)
		.map(|i| {
			let mut row = alloc::vec![0i8; k as usize];
			matrix::a_row(&ChaCha8::new(&key_a), shape, i, &mut row);
			row
		})
		.collect();
	let c = a
		.iter()
		.map(|row| {
			let mut out = alloc::vec![0i32; n as usize];
			matrix::c_row(row, &b, shape, &mut out);
			out
		})
		.collect();
	Small { shape, key_a, key_b, a, b, c }
}

#[test]
fn the_product_is_exact_and_recomputable() {
	let s = small(3, 128, 64);
	for (i, row) in s.c.iter().enumerate() {
		for (j, v) in row.iter().enumerate() {
			let wide: i64 =
				(0..128).map(|k| i64::from(s.a[i][k]) * i64::from(s.b[j * 128 + k])).sum();
			assert_eq!(i64::from(*v), wide);
			assert_eq!(
				matrix::recompute_entry(&s.key_a, &s.key_b, s.shape, i as u32, j as u32),
				*v
			);
		}
	}
	// The extremes are exact in i32: 65,536 products of ±127.
	let big = Shape::new(65_536, 64).unwrap();
	let ones = alloc::vec![-127i8; 65_536];
	let other = alloc::vec![127i8; 65_536];
	assert_eq!(i64::from(matrix::dot(&ones, &ones)), matrix::max_output(big));
	assert_eq!(i64::from(matrix::dot(&ones, &other)), -matrix::max_output(big));
	assert!(matrix::in_range(matrix::dot(&ones, &other), big));
	assert!(!matrix::in_range(matrix::dot(&ones, &other) - 1, big));
}

#[test]
fn values_in_range_are_distinct_mod_p() {
	let max = matrix::max_output(Shape::new(65_536, 64).unwrap());
	assert_eq!(max, 1_057_030_144);
	assert!(2 * max < P as i64, "in-range values span less than p");
	let m = max as i32;
	assert_ne!(freivalds::field_i32(m), freivalds::field_i32(-m));
	assert_eq!(freivalds::field_i32(-m), P - max as u64);
	assert_eq!(freivalds::field_i32(-1), P - 1);
	assert_eq!(freivalds::field_i32(i32::MIN), (i64::from(i32::MIN)).rem_euclid(P as i64) as u64);
	assert_eq!(freivalds::field_i8(-127), P - 127);
	assert_eq!(freivalds::field_i32(i32::MAX), 0);
	assert_eq!(freivalds::field_i32(i32::MIN), P - 1);
	// A value that aliases an in-range one mod p is itself out of range.
	let shape = Shape::new(65_536, 64).unwrap();
	for v in [-m, -1, 0, 1] {
		let alias = i64::from(v) + P as i64;
		assert!(alias > i64::from(i32::MAX) || !matrix::in_range(alias as i32, shape));
	}
}

#[test]
fn freivalds_passes_right_rows_and_catches_one_wrong_entry() {
	let s = small(4, 128, 64);
	let stream_b = ChaCha8::new(&s.key_b);
	let mut caught = 0;
	let trials = 200u32;
	for t in 0..trials {
		let mut seed = [0u8; 32];
		seed[..4].copy_from_slice(&t.to_le_bytes());
		let r = freivalds::draw_r(&seed, 64);
		assert!(r.iter().all(|x| *x < P));
		let br = freivalds::br(&stream_b, s.shape, &r);
		for (row, a) in s.c.iter().zip(&s.a) {
			assert!(freivalds::check_row(row, &r, a, &br));
		}
		let mut wrong = s.c[(t % 4) as usize].clone();
		let j = (t as usize * 7) % 64;
		wrong[j] = wrong[j].wrapping_add(if t % 2 == 0 { 1 } else { -1_000_000 });
		if !freivalds::check_row(&wrong, &r, &s.a[(t % 4) as usize], &br) {
			caught += 1;
		}
	}
	// A wrong row passes with probability 1/p per draw.
	assert_eq!(caught, trials);
	// Br in chunks is Br.
	let r = freivalds::draw_r(&[9; 32], 64);
	let mut chunked = alloc::vec![0u64; 128];
	for from in (0..64).step_by(10) {
		freivalds::accumulate_br(&stream_b, s.shape, &r, from, from + 10, &mut chunked);
	}
	assert_eq!(chunked, freivalds::br(&stream_b, s.shape, &r));
}

#[test]
fn the_wrong_column_is_found() {
	let s = small(2, 128, 64);
	let stream_b = ChaCha8::new(&s.key_b);
	assert_eq!(matrix::find_wrong_column(&s.c[1], &s.a[1], &stream_b, s.shape), None);
	let mut wrong = s.c[1].clone();
	wrong[40] += 1;
	wrong[50] -= 3;
	assert_eq!(matrix::find_wrong_column(&wrong, &s.a[1], &stream_b, s.shape), Some(40));
	// An out-of-range entry is named first, even after a merely wrong one.
	wrong[60] = i32::MAX;
	assert_eq!(matrix::find_wrong_column(&wrong, &s.a[1], &stream_b, s.shape), Some(60));
}

#[test]
fn seeds_and_openings() {
	let g = [1u8; 32];
	let e = seeds::epoch_seed::<B2>(&g, 5, &[2; 32]);
	assert_ne!(e, seeds::epoch_seed::<B2>(&g, 6, &[2; 32]));
	assert_ne!(e, seeds::epoch_seed::<B2>(&g, 5, &[3; 32]));
	assert_ne!(e, seeds::epoch_seed::<B2>(&[0; 32], 5, &[2; 32]));
	let mut buf = b"crucible/attest/round/v1".to_vec();
	buf.extend_from_slice(&g);
	buf.extend_from_slice(&9u64.to_le_bytes());
	buf.extend_from_slice(&[2; 32]);
	assert_eq!(seeds::round_seed::<B2>(&g, 9, &[2; 32]), B2::blake2_256(&buf));
	// Hazard 1 always opens; hazard 600 opens about once in 600 parents.
	let parents: Vec<[u8; 32]> = (0..60_000u32).map(|i| B2::blake2_256(&i.to_le_bytes())).collect();
	assert!(parents.iter().all(|p| seeds::hazard_opens::<B2>(p, 1)));
	let opened = parents.iter().filter(|p| seeds::hazard_opens::<B2>(p, 600)).count();
	assert!((70..=130).contains(&opened), "{opened} of 60,000");
}

fn hex32(h: &[u8; 32]) -> String {
	hex::encode(h)
}

/// Everything the vectors fix, computed by this code.
fn vectors() -> serde_json::Value {
	use serde_json::json;
	let round = 7u64;
	let round_seed = [0x11u8; 32];
	let epoch_seed = [0x22u8; 32];
	let provider = [0x33u8; 32];
	let device = 2u32;
	let rows = 5u32;
	let shape = Shape::new(128, 64).unwrap();
	let key_a = matrix::key_a::<B2>(&round_seed, &provider, device);
	let key_b = matrix::key_b::<B2>(&epoch_seed);
	let sa = ChaCha8::new(&key_a);
	let sb = ChaCha8::new(&key_b);
	let b = matrix::b_matrix(&sb, shape);
	let mut a_rows = Vec::new();
	let mut c_rows = Vec::new();
	let mut leaves = Vec::new();
	for i in 0..rows {
		let mut a = alloc::vec![0i8; 128];
		matrix::a_row(&sa, shape, i, &mut a);
		let mut c = alloc::vec![0i32; 64];
		matrix::c_row(&a, &b, shape, &mut c);
		leaves.push(merkle::leaf::<B2>(round, &provider, device, i, &c));
		a_rows.push(hex::encode(a.iter().map(|x| *x as u8).collect::<Vec<_>>()));
		c_rows.push(c);
	}
	let depth = merkle::depth(rows);
	let root = merkle::root_over::<B2>(&leaves, 0, depth).unwrap();
	let paths: Vec<_> = (0..rows)
		.map(|i| {
			merkle::path_over::<B2>(&leaves, 0, depth, i)
				.unwrap()
				.iter()
				.map(hex32)
				.collect::<Vec<_>>()
		})
		.collect();
	let r = freivalds::draw_r(&[0x44; 32], 64);
	let br = freivalds::br(&sb, shape, &r);
	let block = |c: u64| hex::encode(sa.block(c));
	json!({
		"about": "crucible attestation challenge v1 test vectors: primitives/src/challenge (regenerate with CRUCIBLE_WRITE_VECTORS=1 cargo test -p crucible-primitives vectors)",
		"inputs": {
			"round": round, "round_seed": hex32(&round_seed), "epoch_seed": hex32(&epoch_seed),
			"provider": hex32(&provider), "device": device, "rows": rows, "k": shape.k, "n": shape.n,
			"r_seed": hex32(&[0x44; 32]),
		},
		"key_a": hex32(&key_a),
		"key_b": hex32(&key_b),
		"chacha8_key_a_blocks": {
			"0": block(0), "1": block(1), "4294967295": block(u32::MAX.into()),
			"4294967296": block(1 << 32), "2199023255551": block((1 << 41) - 1),
		},
		"a_rows_hex": a_rows,
		"b_columns_hex": {
			"0": hex::encode(b[..128].iter().map(|x| *x as u8).collect::<Vec<_>>()),
			"63": hex::encode(b[63 * 128..].iter().map(|x| *x as u8).collect::<Vec<_>>()),
		},
		"b_blake2_256": hex32(&B2::blake2_256(&b.iter().map(|x| *x as u8).collect::<Vec<_>>())),
		"c_rows": c_rows,
		"leaves": leaves.iter().map(hex32).collect::<Vec<_>>(),
		"empty_leaf": hex32(&merkle::empty::<B2>(0)),
		"depth": depth,
		"root": hex32(&root),
		"paths": paths,
		"r_first": &r[..4],
		"br_first": &br[..4],
		"row0_times_r": freivalds::row_times_r(&c_rows[0], &r),
		"epoch_seed_of": {
			"genesis": hex32(&[0x55; 32]), "epoch": 3, "parent": hex32(&[0x66; 32]),
			"seed": hex32(&seeds::epoch_seed::<B2>(&[0x55; 32], 3, &[0x66; 32])),
		},
		"round_seed_of": {
			"genesis": hex32(&[0x55; 32]), "round": 9, "parent": hex32(&[0x66; 32]),
			"seed": hex32(&seeds::round_seed::<B2>(&[0x55; 32], 9, &[0x66; 32])),
		},
		"opens_at_hazard_3": (0..16u8).map(|i| seeds::hazard_opens::<B2>(&[i; 32], 3)).collect::<Vec<_>>(),
		"rows_dev_full": super::rows_for(1, 2_000, Perbill::one(), Shape::new(1_024, 256).unwrap()),
		"rows_dev_leased": super::rows_for(1, 2_000, Perbill::from_percent(25), Shape::new(1_024, 256).unwrap()),
	})
}

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/challenge-v1.json");

#[test]
fn vectors_match_the_committed_file() {
	let computed = vectors();
	if std::env::var_os("CRUCIBLE_WRITE_VECTORS").is_some() {
		let text = serde_json::to_string_pretty(&computed).unwrap() + "\n";
		std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/vectors")).unwrap();
		std::fs::write(VECTORS_PATH, text).unwrap();
	}
	let committed: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(VECTORS_PATH).expect("committed vectors"))
			.unwrap();
	assert_eq!(
		computed, committed,
		"the challenge's bytes changed: every worker and validator would disagree"
	);
}

#[test]
fn committed_vectors_are_consistent_on_their_own() {
	// Recomputed from the file's own inputs with the reference crates, not this module.
	let v: serde_json::Value =
		serde_json::from_str(&std::fs::read_to_string(VECTORS_PATH).unwrap()).unwrap();
	let h = |s: &serde_json::Value| -> [u8; 32] {
		hex::decode(s.as_str().unwrap()).unwrap().try_into().unwrap()
	};
	let key_a = h(&v["key_a"]);
	for (counter, bytes) in v["chacha8_key_a_blocks"].as_object().unwrap() {
		let pos = counter.parse::<u64>().unwrap() * 64;
		assert_eq!(hex::encode(reference_stream(&key_a, pos, 64)), bytes.as_str().unwrap());
	}
	let mut tagged = b"crucible/attest/B/v1".to_vec();
	tagged.extend_from_slice(&h(&v["inputs"]["epoch_seed"]));
	assert_eq!(sp_crypto_hashing::blake2_256(&tagged), h(&v["key_b"]));
	let a0 = hex::decode(v["a_rows_hex"][0].as_str().unwrap()).unwrap();
	let b0 = hex::decode(v["b_columns_hex"]["0"].as_str().unwrap()).unwrap();
	let c00: i32 = a0.iter().zip(&b0).map(|(x, y)| i32::from(*x as i8) * i32::from(*y as i8)).sum();
	assert_eq!(i64::from(c00), v["c_rows"][0][0].as_i64().unwrap());
}
