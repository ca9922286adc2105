#!/usr/bin/env bash
# `make lease-scaling`: is the lease market's cost flat in the number of open leases?
#
# Runs benchmarks of pallet-crucible-leases with the benchmark CLI (the benchmark node of
# `make weights`, built if missing) on the real trie backend: the set-up writes l = 10^e other
# open leases (with their escrows in the ledger, agenda and index entries, and l / 100
# registered providers with ten devices and an earned entry each) and commits them to the
# database before the measured call, so reads walk a trie of that size. For l = 10, 10^2, ...,
# 10^5 it prints the median time of `settle`, `withdraw` and an empty block's market overhead
# (`on_initialize` with nothing due), each the call's time plus the storage root's (what a
# block pays for it), a least-squares fit t = a + b log10(l), and the growth 10 -> 10^5 next to
# the trie's own: `baseline`, one read and one write of a lease record among the same state,
# cross-checked by `unrelated`, the same access to a map no pallet uses, of the same size
# and record size. The goal is a quotient <= 1.2: cost flat beyond the trie's log-depth growth.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
BENCH_NODE="$CARGO_TARGET_DIR/release/crucible-node-benchmarks"
REPEAT="${REPEAT:-20}"
# Write the raw figures here too (CSV-like JSON of the CLI), if set.
JSON_OUT="${JSON_OUT:-}"

if [ ! -x "$BENCH_NODE" ]; then
	cargo build --release --locked -p crucible-node --no-default-features --features runtime-benchmarks
	cp "$CARGO_TARGET_DIR/release/crucible-node" "$BENCH_NODE"
fi

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
started=$SECONDS
"$BENCH_NODE" benchmark pallet \
	--chain dev \
	--pallet pallet_crucible_leases \
	--extrinsic baseline_at_scale,unrelated_at_scale,settle_at_scale,withdraw_at_scale,empty_block_at_scale \
	--extra \
	--steps 5 \
	--repeat "$REPEAT" \
	--wasm-execution compiled \
	--json-file "$out/raw.json" >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
[ -z "$JSON_OUT" ] || cp "$out/raw.json" "$JSON_OUT"

python3 - "$out/raw.json" <<'PY'
import json, math, statistics, sys
raw = json.load(open(sys.argv[1]))
rows = {}
for bench in raw:
    name = bench["benchmark"]
    if isinstance(name, list):
        name = bytes(name).decode()
    times, rw = {}, {}
    for r in bench["time_results"]:
        times.setdefault(r["components"][0][1], []).append(r["extrinsic_time"] + r["storage_root_time"])
    for r in bench["db_results"]:
        rw.setdefault(r["components"][0][1], (r["reads"], r["writes"]))
    rows[name.replace("_at_scale", "")] = ({e: statistics.median(v) for e, v in times.items()}, rw)
exps = sorted(rows["baseline"][0])
def fit(t):
    xs = [float(e) for e in exps]
    ys = [t[e] for e in exps]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b
def growth(name):
    t = rows[name][0]
    return t[exps[-1]] / t[exps[0]]
base = growth("baseline")
header = "".join(f"{'10^' + str(e):>9}" for e in exps)
print(f"µs, the call + its storage root; fit t = a + b log10(l)")
print(f"{'':<12}{header}{'a':>8}{'b':>7}{'growth':>8}{'/ trie':>8}   reads/writes")
worst = 0.0
for name in ["baseline", "unrelated", "settle", "withdraw", "empty_block"]:
    t, rw = rows[name]
    a, b = fit(t)
    g = growth(name)
    beyond = g / base
    if name not in ("baseline", "unrelated"):
        worst = max(worst, beyond)
    cells = "".join(f"{t[e] / 1000:>9.1f}" for e in exps)
    rws = " ".join(f"{rw[e][0]}/{rw[e][1]}" for e in exps)
    print(f"{name:<12}{cells}{a / 1000:>8.1f}{b / 1000:>7.1f}{g:>8.2f}{beyond:>8.2f}   {rws}")
print(f"trie growth (baseline) {base:.2f}x, a map no pallet uses {growth('unrelated'):.2f}x; "
      f"worst market growth beyond the baseline's {worst:.2f} (goal <= 1.2)")
PY
echo "lease-scaling: $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s (repeat $REPEAT)"
