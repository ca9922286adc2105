#!/usr/bin/env bash
# Re-exports chain-specs/{dev,local,testnet}{,-raw}.json from a crucible-node binary.
set -euo pipefail
cd "$(dirname "$0")/.."
node=${1:-${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}/release/crucible-node}
for chain in dev local testnet; do
	"$node" export-chain-spec --chain "$chain" --output "chain-specs/$chain.json"
	"$node" export-chain-spec --chain "$chain" --raw --output "chain-specs/$chain-raw.json"
	echo "chain-specs/$chain.json, chain-specs/$chain-raw.json"
done
