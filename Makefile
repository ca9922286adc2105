# Crucible: the two commands are `make run` (a dev chain) and `make test` (every test).
# Both install what is missing first (scripts/setup.sh) and share one cargo target directory
# outside the checkout, so checkouts on one machine share builds.

SHELL := /bin/bash
export CARGO_TARGET_DIR ?= $(HOME)/.cache/crucible/target

# `make run`, `make test` and the e2e tests use one profile and one feature set, so the
# dependency tree is compiled once.
CARGO_FLAGS := --release --locked
NODE := $(CARGO_TARGET_DIR)/release/crucible-node
TEST_THREADS ?= 4
# Our pallets with FRAME benchmarks (run once each as tests by `make test-benchmarks`).
BENCH_PALLETS := pallet-crucible-validator-set pallet-crucible-bme pallet-crucible-providers \
	pallet-crucible-leases
comma := ,
space := $(empty) $(empty)

.PHONY: setup build run test test-pallets test-benchmarks weights lease-scaling econ-report fmt lint \
	chain-specs testnet-spec zombienet

setup:
	@scripts/setup.sh

build: setup
	cargo build $(CARGO_FLAGS) --workspace --bins

## A single-validator development chain (Alice), fresh state, RPC on 127.0.0.1:9944.
run: build
	$(NODE) --dev

## Everything: formatting, unit tests, end-to-end tests on the real node, the zombienet network.
test: build
	cargo fmt --all --check
	cargo test $(CARGO_FLAGS) --workspace -- --test-threads $(TEST_THREADS)
	$(MAKE) --no-print-directory test-benchmarks
	CRUCIBLE_NODE=$(NODE) zombienet/run.sh test -l text

## The FRAME benchmarks of our pallets, run once each as tests (no wasm needed).
test-benchmarks: setup
	SKIP_WASM_BUILD=1 cargo test $(CARGO_FLAGS) $(foreach p,$(BENCH_PALLETS),-p $(p)) \
		--features $(subst $(space),$(comma),$(foreach p,$(BENCH_PALLETS),$(p)/runtime-benchmarks))

## Pallet unit tests only, without building the wasm runtime.
test-pallets: setup
	SKIP_WASM_BUILD=1 cargo test --release -p pallet-crucible-origins -p pallet-crucible-validator-set \
		-p pallet-crucible-bme -p pallet-crucible-providers -p pallet-crucible-leases -p crucible-primitives

## Regenerate pallets/*/src/weights.rs with the benchmark CLI (a separate node build with
## `--features runtime-benchmarks`; `make weights PALLETS=bme` for one pallet).
weights: setup
	scripts/weights.sh $(PALLETS)

## The lease market's cost at 100,000 open leases vs 10 (benchmark CLI, real trie backend).
lease-scaling: setup
	scripts/lease-scaling.sh

## The economics report: every scenario and sweep of crucible-econ-sim, full length (about
## 10 minutes on one core): CSVs, charts and report.md in docs/econ/ (the CSVs are not committed).
econ-report: build
	$(CARGO_TARGET_DIR)/release/crucible-econ-sim report --out docs/econ

fmt:
	cargo fmt --all

## Clippy over the workspace (a check build of every dependency: slow on 2 cores).
lint: setup
	cargo clippy $(CARGO_FLAGS) --workspace --all-targets -- -D warnings

## Re-export chain-specs/{dev,local}*.json from the current node (testnet's is committed).
chain-specs: build
	scripts/export-chain-specs.sh $(NODE)

## Regenerate the testnet template chain-specs/testnet{,-raw}.json from the runtime's testnet
## preset (its genesis hash changes: re-pin it in tests/tests/e2e/chain.rs).
testnet-spec: build
	$(NODE) export-chain-spec --chain testnet-template --output chain-specs/testnet.json
	$(NODE) export-chain-spec --chain testnet-template --raw --output chain-specs/testnet-raw.json

## The 4-validator zombienet test (installs @zombienet/cli with npm if missing).
zombienet: build
	CRUCIBLE_NODE=$(NODE) zombienet/run.sh
