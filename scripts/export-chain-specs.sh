#!/usr/bin/env bash
# Re-exports chain-specs/{dev,local}{,-raw}.json from a crucible-node binary. The testnet spec
# is committed and loaded as is: `make testnet-spec` regenerates it, deliberately.
set -euo pipefail
cd "$(dirname "$0")/.."
node=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}/release/crucible-node}
for chain in dev local; do
	"$node" export-chain-spec --chain "$chain" --output "chain-specs/$chain.json"
	"$node" export-chain-spec --chain "$chain" --raw --output "chain-specs/$chain-raw.json"
	echo "chain-specs/$chain.json, chain-specs/$chain-raw.json"
done
