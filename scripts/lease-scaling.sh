#!/usr/bin/env bash
# `make lease-scaling`: is the lease market's cost flat in the number of open leases?
#
# Runs three benchmarks of pallet-crucible-leases with the benchmark CLI (the benchmark node of
# `make weights`, built if missing) on the real trie backend: the set-up writes `l` other open
# leases (with their agenda and index entries) and commits them to the database before the
# measured call, so reads walk a trie of that size. Prints the time of `settle`, `withdraw` and
# an empty block's market overhead (`on_initialize` with nothing due) at l = 10 and
# l = 100,000, and their ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
BENCH_NODE="$CARGO_TARGET_DIR/release/crucible-node-benchmarks"
LOW="${LOW:-10}"
HIGH="${HIGH:-100000}"
REPEAT="${REPEAT:-5}"

if [ ! -x "$BENCH_NODE" ]; then
	cargo build --release --locked -p crucible-node --features runtime-benchmarks
	cp "$CARGO_TARGET_DIR/release/crucible-node" "$BENCH_NODE"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$BENCH_NODE" benchmark pallet \
	--chain dev \
	--pallet pallet_crucible_leases \
	--extrinsic settle_at_scale,withdraw_at_scale,empty_block_at_scale \
	--extra \
	--steps 2 --low "$LOW" --high "$HIGH" \
	--repeat "$REPEAT" \
	--wasm-execution compiled \
	--json-file "$out/raw.json" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }

python3 - "$out/raw.json" "$LOW" "$HIGH" <<'PY'
import json, statistics, sys
raw = json.load(open(sys.argv[1]))
low, high = int(sys.argv[2]), int(sys.argv[3])
print(f"{'benchmark':<24}{'l = ' + str(low):>14}{'l = ' + str(high):>16}{'ratio':>8}   reads/writes at each")
worst = 0.0
for bench in raw:
    name = bench["benchmark"]
    if isinstance(name, list):
        name = bytes(name).decode()
    def at(results, l, key):
        return statistics.median(r[key] for r in results if r["components"][0][1] == l)
    t_low = at(bench["time_results"], low, "extrinsic_time")
    t_high = at(bench["time_results"], high, "extrinsic_time")
    db = bench["db_results"]
    rw = lambda l: f"{int(at(db, l, 'reads'))}/{int(at(db, l, 'writes'))}"
    ratio = t_high / t_low
    worst = max(worst, ratio)
    print(f"{name:<24}{t_low / 1000:>11.1f} µs{t_high / 1000:>13.1f} µs{ratio:>8.2f}   {rw(low)} | {rw(high)}")
print(f"worst ratio {worst:.2f} (goal <= 1.2 beyond the trie's log-depth growth)")
PY
