# cv-analytics: the verbs maintainers type. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# Cases of the merge property test (proptest); raise it for a longer run.
PROPTEST_CASES ?= 1000
export PROPTEST_CASES

# The week that `make preview` renders.
WEEK ?=

.PHONY: help tools build-tools test lint fmt build preview bench-reporter

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

tools: ## Install what the tests use when it is missing (the moto server)
	@$(PYTHON) -c 'import moto.server, flask, flask_cors' 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
	@$(PYTHON) -c 'import moto; print("moto", moto.__version__, "ready")'

build-tools: ## Install what the Lambda build uses (cargo-lambda, the arm64 Rust target)
	@command -v cargo-lambda >/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.9,<2'
	@rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$$' \
		|| rustup target add aarch64-unknown-linux-gnu

test: tools ## Run every test; the tests start and stop their own moto servers by PID
	cargo test --workspace --locked

lint: ## cargo fmt --check and clippy with -D warnings
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

fmt: ## Format the code
	cargo fmt --all

build: build-tools ## Build every Lambda for arm64 in release mode (target/lambda/<name>/bootstrap)
	cargo lambda build --release --arm64 --locked

preview: ## Render WEEK (e.g. WEEK=2025-W45) from TABLE_NAME to target/preview/ without sending
	@test -n "$(WEEK)" || { echo "usage: make preview WEEK=2025-W45 TABLE_NAME=<table>"; exit 2; }
	cargo run --locked -p reporter --bin preview -- $(WEEK) target/preview

bench-reporter: ## Aggregate and render 10k, 100k and 1M synthetic requests: time and peak memory
	cargo bench --locked -p reporter --bench scale
