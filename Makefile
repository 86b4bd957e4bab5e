# cv-analytics: the verbs maintainers type. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
# Cases of the merge property test (proptest); raise it for a longer run.
PROPTEST_CASES ?= 1000
export PROPTEST_CASES

.PHONY: help tools build-tools test lint fmt build

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

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
