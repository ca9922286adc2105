#!/usr/bin/env bash
# `make lease-scaling`: is the lease market's cost flat in the number of open leases?
#
# Runs benchmarks of pallet-crucible-leases with the benchmark CLI (the benchmark node of
# `make weights`, built if missing) on the real trie backend: the set-up writes `l` other open
# leases (with their escrows in the ledger, agenda and index entries) and commits them to the
# database before the measured call, so reads walk a trie of that size. Prints the time of
# `settle`, `withdraw` and an empty block's market overhead (`on_initialize` with nothing due)
# at l = 10 and l = 100,000 and their ratio — and that ratio divided by the trie's own growth:
# the ratio of `baseline`, one read and one write of a lease record among the same leases.
# The goal is a quotient <= 1.2: cost flat beyond the trie's log-depth growth.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
BENCH_NODE="$CARGO_TARGET_DIR/release/crucible-node-benchmarks"
LOW="${LOW:-10}"
HIGH="${HIGH:-100000}"
REPEAT="${REPEAT:-20}"

if [ ! -x "$BENCH_NODE" ]; then
	cargo build --release --locked -p crucible-node --no-default-features --features runtime-benchmarks
	cp "$CARGO_TARGET_DIR/release/crucible-node" "$BENCH_NODE"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$BENCH_NODE" benchmark pallet \
	--chain dev \
	--pallet pallet_crucible_leases \
	--extrinsic baseline_at_scale,settle_at_scale,withdraw_at_scale,empty_block_at_scale \
	--extra \
	--steps 2 --low "$LOW" --high "$HIGH" \
	--repeat "$REPEAT" \
	--wasm-execution compiled \
	--json-file "$out/raw.json" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }

python3 - "$out/raw.json" "$LOW" "$HIGH" <<'PY'
import json, statistics, sys
raw = json.load(open(sys.argv[1]))
low, high = int(sys.argv[2]), int(sys.argv[3])
rows = {}
for bench in raw:
    name = bench["benchmark"]
    if isinstance(name, list):
        name = bytes(name).decode()
    def at(results, l, key):
        return statistics.median(r[key] for r in results if r["components"][0][1] == l)
    db = bench["db_results"]
    rows[name.replace("_at_scale", "")] = (
        at(bench["time_results"], low, "extrinsic_time"),
        at(bench["time_results"], high, "extrinsic_time"),
        f"{int(at(db, low, 'reads'))}/{int(at(db, low, 'writes'))}",
        f"{int(at(db, high, 'reads'))}/{int(at(db, high, 'writes'))}",
    )
base = rows["baseline"][1] / rows["baseline"][0]
print(f"{'':<12}{'l = ' + str(low):>12}{'l = ' + str(high):>14}{'ratio':>8}{'/ trie':>8}   reads/writes")
worst = 0.0
for name in ["baseline", "settle", "withdraw", "empty_block"]:
    t_low, t_high, rw_low, rw_high = rows[name]
    ratio = t_high / t_low
    beyond = ratio / base
    if name != "baseline":
        worst = max(worst, beyond)
    print(f"{name:<12}{t_low / 1000:>9.1f} µs{t_high / 1000:>11.1f} µs{ratio:>8.2f}{beyond:>8.2f}   {rw_low} -> {rw_high}")
print(f"trie growth (baseline) {base:.2f}x; worst market ratio beyond it {worst:.2f} (goal <= 1.2)")
PY
