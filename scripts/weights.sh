#!/usr/bin/env bash
# `make weights`: regenerate each Crucible pallet's weights.rs from its FRAME benchmarks.
#
# Builds the node with `--features runtime-benchmarks` (the benchmark CLI and the runtime with
# its benchmarks: a separate, slow build that `make run` and `make test` never need), runs
# `crucible-node benchmark pallet` on the dev chain's genesis, and writes
# pallets/<name>/src/weights.rs through scripts/weight-template.hbs.
#
#   scripts/weights.sh              every pallet below
#   scripts/weights.sh bme          one pallet (directory name under pallets/)
#   STEPS=2 REPEAT=1 scripts/weights.sh   a quick smoke run (do not commit its output)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"

STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"
PALLETS=("$@")
[ ${#PALLETS[@]} -gt 0 ] || PALLETS=(validator-set bme providers leases)

cargo build --release --locked -p crucible-node --no-default-features --features runtime-benchmarks
# Keep the benchmark build apart from the node `make run` and the tests use.
BENCH_NODE="$CARGO_TARGET_DIR/release/crucible-node-benchmarks"
cp "$CARGO_TARGET_DIR/release/crucible-node" "$BENCH_NODE"

# `--chain dev` runs the runtime embedded in this very build (the wasm file under wbuild/ may be
# the default build's, whichever built last); the CLI's deprecation notice about it is harmless.
for dir in "${PALLETS[@]}"; do
	[ -d "pallets/$dir" ] || { echo "no pallet directory pallets/$dir" >&2; exit 1; }
	pallet="pallet_crucible_${dir//-/_}"
	echo "== $pallet (steps $STEPS, repeat $REPEAT)"
	started=$SECONDS
	"$BENCH_NODE" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--wasm-execution compiled \
		--template scripts/weight-template.hbs \
		--output "pallets/$dir/src/weights.rs"
	echo "== $pallet: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s"
done
