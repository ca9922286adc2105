#!/usr/bin/env bash
# Installs what building Crucible needs and is missing; does nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: protoc (litep2p / sc-network build scripts), OpenSSL headers (litep2p's
# WebRTC, with OPENSSL_NO_VENDOR=1), pkg-config, a C/C++ compiler (wasm-opt, zstd, ...).
# Node.js and npm run the zombienet test (`make test`); any Node.js on the PATH will do.
packages=(protobuf-compiler libssl-dev pkg-config g++ make)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The toolchain pinned in rust-toolchain.toml, with the wasm target and rust-src.
if ! command -v rustup >/dev/null; then
	echo "setup: rustup is required (https://rustup.rs)" >&2
	exit 1
fi
toolchain=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
rustup toolchain list | grep -q "^$toolchain" || rustup toolchain install "$toolchain" --profile minimal
installed_targets=$(rustup +"$toolchain" target list --installed)
grep -qx wasm32v1-none <<<"$installed_targets" || rustup +"$toolchain" target add wasm32v1-none
installed_components=$(rustup +"$toolchain" component list --installed)
for c in rust-src rustfmt clippy; do
	grep -q "^$c" <<<"$installed_components" || rustup +"$toolchain" component add "$c"
done
