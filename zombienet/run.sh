#!/usr/bin/env bash
# Runs Crucible's zombienet (v1) test: four native validators from zombienet/local.toml,
# checked by zombienet/local.zndsl. Works from any directory.
#
#   zombienet/run.sh                 run the test; the exit code is zombienet's (0 = all passed)
#   zombienet/run.sh spawn           start the network and keep it running (Ctrl-C stops it)
#   zombienet/run.sh test -l text    extra arguments after the mode go to zombienet itself
#                                    (e.g. -l text for plain logs, -d DIR for the network's files)
#
# Environment:
#   CRUCIBLE_NODE        node binary (default: $CARGO_TARGET_DIR/release/crucible-node)
#   CARGO_TARGET_DIR     cargo's target dir (default: $HOME/.cache/crucible/target)
#   CRUCIBLE_CHAIN_SPEC  raw chain spec (default: `local`, exported raw from the node binary
#                        into a temporary directory, so the network runs the runtime just built)
set -euo pipefail

ZOMBIENET_CLI_VERSION="1.3.138" # keep in step with zombienet/package.json

mode="${1:-test}"
if [ "$#" -gt 0 ]; then shift; fi
case "$mode" in
	test | spawn) ;;
	-h | --help)
		sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "usage: $0 [test|spawn] [zombienet options...]" >&2
		exit 2
		;;
esac

# Absolute form of a path given relative to the directory this script was called from.
abspath() {
	case "$1" in
		/*) printf '%s\n' "$1" ;;
		*) printf '%s/%s\n' "$PWD" "$1" ;;
	esac
}

# Resolve user-supplied paths before leaving the caller's directory.
target_dir="${CARGO_TARGET_DIR:-$HOME/.cache/crucible/target}"
node_bin="$(abspath "${CRUCIBLE_NODE:-$target_dir/release/crucible-node}")"
chain_spec="${CRUCIBLE_CHAIN_SPEC:+$(abspath "$CRUCIBLE_CHAIN_SPEC")}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
cd "$repo_root"

if [ ! -x "$node_bin" ]; then
	echo "error: node binary not found or not executable: $node_bin" >&2
	echo "       build it first (make build), or point CRUCIBLE_NODE at it" >&2
	exit 1
fi
if [ -z "$chain_spec" ]; then
	spec_dir="$(mktemp -d)"
	trap 'rm -rf "$spec_dir"' EXIT
	chain_spec="$spec_dir/local-raw.json"
	if ! "$node_bin" export-chain-spec --chain local --raw --output "$chain_spec" 2>"$spec_dir/err"; then
		echo "error: $node_bin could not export the local chain spec:" >&2
		cat "$spec_dir/err" >&2
		exit 1
	fi
fi
if [ ! -f "$chain_spec" ]; then
	echo "error: chain spec not found: $chain_spec" >&2
	exit 1
fi

# Node.js and npm, from Debian's packages when missing.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "==> installing nodejs and npm (zombienet runs on Node.js)"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
fi

# Install @zombienet/cli into zombienet/node_modules unless the pinned version is already there.
cli_pkg="zombienet/node_modules/@zombienet/cli/package.json"
installed="$(node -p "require('./$cli_pkg').version" 2>/dev/null || true)"
if [ "$installed" != "$ZOMBIENET_CLI_VERSION" ] || [ ! -x zombienet/node_modules/.bin/zombienet ]; then
	echo "==> installing @zombienet/cli $ZOMBIENET_CLI_VERSION into zombienet/node_modules"
	npm install --prefix zombienet --no-audit --no-fund
fi

# Read by zombienet/local.toml's templates (and zombienet/node.sh).
export CRUCIBLE_NODE="$node_bin"
export CRUCIBLE_NODE_WRAPPER="$repo_root/zombienet/node.sh"
export CRUCIBLE_CHAIN_SPEC="$chain_spec"

echo "==> zombienet $mode (native): node $CRUCIBLE_NODE, chain spec $CRUCIBLE_CHAIN_SPEC"
# Not exec'd: the temporary spec is removed when zombienet ends.
status=0
if [ "$mode" = spawn ]; then
	zombienet/node_modules/.bin/zombienet "$@" spawn --provider native zombienet/local.toml || status=$?
else
	zombienet/node_modules/.bin/zombienet "$@" test --provider native zombienet/local.zndsl ||
		status=$?
fi
exit "$status"
