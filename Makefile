# cv-analytics: the verbs maintainers type. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# The project's own Python tools (dev/requirements.txt), which `make tools` installs into
# target/venv; their commands (aws, cargo-lambda, cfn-lint, shellcheck, moto_server) come first
# on the PATH of every recipe.
VENV := $(CURDIR)/target/venv
PYTHON := $(VENV)/bin/python
export PATH := $(VENV)/bin:$(PATH)
# Cases of the merge property test (proptest); raise it for a longer run.
PROPTEST_CASES ?= 1000
export PROPTEST_CASES

# The week that `make preview` renders.
WEEK ?=

# Deployment: the stage (dev or prod), whose settings are in its committed file
# infrastructure/stages/$(STAGE).env, which every deploy reads (make deploy, make deploy
# FUNCTION=..., make deploy-stack, the GitHub workflow; docs/deploy.md). A setting given here on
# the command line or in the environment is passed on only to be compared: one that differs from
# the file is refused, so that no deploy path resets a setting silently. The region is the AWS
# one: AWS_REGION, AWS_DEFAULT_REGION, or the profile's (`make region` prints it).
STAGE ?= dev
STAGE_SETTINGS := REPORT_SENDER REPORT_RECIPIENTS ALARM_EMAIL OWNER REPORT_TIMEZONE PROCESSOR_MEMORY \
	PROCESSOR_TIMEOUT REPORTER_MEMORY REPORTER_TIMEOUT RECORD_TTL_DAYS WRITE_CONCURRENCY \
	PROCESSOR_MAX_CONCURRENCY SEND_EMPTY_REPORT SES_CONFIGURATION_SET WEEK_LOOKUP
# The deploy targets run with the settings this Makefile sets itself (the local chores' below)
# removed from their environment: what is left was given.
NOT_GIVEN = $(foreach v,$(STAGE_SETTINGS),$(if $(filter file undefined,$(origin $(v))),-u $(v)))
# The local chores' settings (make demo, make bench, cargo xtask; dev/xtask/src/settings.rs holds
# the same defaults): the functions' sizes and timeouts, the queue trigger's concurrency, the
# week lookup (scan or index; docs/architecture.md) and the owner's time zone (an IANA name).
PROCESSOR_MEMORY ?= 128
PROCESSOR_TIMEOUT ?= 30
REPORTER_MEMORY ?= 256
REPORTER_TIMEOUT ?= 120
PROCESSOR_MAX_CONCURRENCY ?= 100
WEEK_LOOKUP ?= scan
REPORT_TIMEZONE ?= UTC
# false: `make deploy` ends without its post-deploy check (`make verify`); seconds it waits.
VERIFY ?= true
VERIFY_TIMEOUT ?= 60
# How deploy builds the functions (tests against the emulator build for the host, in debug).
LAMBDA_BUILD_FLAGS ?= --release --arm64
export LAMBDA_BUILD_FLAGS STAGE PROCESSOR_MEMORY PROCESSOR_TIMEOUT REPORTER_MEMORY REPORTER_TIMEOUT
export WEEK_LOOKUP VERIFY VERIFY_TIMEOUT PROCESSOR_MAX_CONCURRENCY REPORT_TIMEZONE
# make deployer-role: the GitHub repository (owner/name) whose deploy workflow may assume the
# stage's deployer role (empty: no role, the policies only), and whether to create the account's
# GitHub OIDC provider (an account has one: false for the second stage).
GITHUB_REPOSITORY ?=
CREATE_OIDC_PROVIDER ?= true
export GITHUB_REPOSITORY CREATE_OIDC_PROVIDER


# The demo's workload: the seed, the number of questions, the week reported.
SEED ?= 42
QUESTIONS ?= 2000
DEMO_WEEK ?= 2025-W46
export SEED QUESTIONS DEMO_WEEK
# The fault run (make reliability): at least EVENTS messages while FAULT_RATE of the
# processor's DynamoDB calls fail, with SDK_ATTEMPTS attempts per call (1: SQS does the retrying).
EVENTS ?= 10000
FAULT_RATE ?= 0.4
SDK_ATTEMPTS ?= 1
export EVENTS FAULT_RATE SDK_ATTEMPTS
# make fuzz: which cargo fuzz target (parse_event or merge_events), for how long, or how many runs.
FUZZ_TARGET ?= parse_event
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?=
# The sanitizer cargo fuzz builds with; `none` runs the safe-Rust targets about twice as fast.
FUZZ_SANITIZER ?= address
export FUZZ_TARGET FUZZ_SECONDS FUZZ_RUNS FUZZ_SANITIZER
# make bench: cold starts per function and setting.
BENCH_TRIALS ?= 7
export BENCH_TRIALS
# The fixture that `make invoke-processor` / `make invoke-reporter` sends.
FIXTURE ?=

.PHONY: bench reliability fuzz status dlq redrive backfill ops rollback verify
.PHONY: demo watch-processor invoke-processor invoke-reporter
.PHONY: help tools test lint fmt build preview gaps bench-reporter deploy destroy
.PHONY: import-table region deployer-role deploy-stack deploy-tools schema test-producer scrub

# The developers' chores are subcommands of one binary (`cargo xtask`, dev/xtask).
XTASK := cargo run --locked -q -p xtask --

demo: tools ## The whole pipeline on the local emulator: events in, records stored, the weekly email (and its pictures on a desktop and a phone) in target/demo/
	$(XTASK) demo

watch-processor: tools ## Run the processor under cargo lambda watch against a fresh local stack
	$(XTASK) local-stack cargo lambda watch -p processor

invoke-processor: tools ## Invoke the processor once with FIXTURE (default with-poison.json) on a local stack
	$(XTASK) local-stack dev/xtask/invoke.sh processor processor/events/$(or $(FIXTURE),with-poison.json)

invoke-reporter: tools ## Invoke the reporter once with FIXTURE (default dry-run.json) on a local stack
	$(XTASK) local-stack dev/xtask/invoke.sh reporter reporter/events/$(or $(FIXTURE),dry-run.json)

reliability: tools ## Fault run at full size: EVENTS (10000) through SQS while FAULT_RATE (0.4) of DynamoDB calls fail
	$(XTASK) reliability

fuzz: ## Run cargo fuzz target FUZZ_TARGET (parse_event|merge_events) for FUZZ_SECONDS (60) or FUZZ_RUNS executions
	dev/tools.sh fuzz
	$(XTASK) fuzz

# The maintainer command, cv-analytics, against STAGE's deployed stack (AWS credentials from
# the usual places: AWS_PROFILE, AWS_REGION, ...). See docs/operations.md.
CV_ANALYTICS := cargo run --locked -q -p ops --bin cv-analytics -- --stage $(STAGE)

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

tools: ## Install what the tests, lint, demo and deploy use, inside the checkout (dev/tools.sh: a Python venv, DynamoDB Local, the email-client checker, the producer's packages; Chromium)
	dev/tools.sh

# The deploy targets need the Python tools alone (the AWS CLI, cargo-lambda, Zig, cfn-lint), and
# the deploy's build the arm64 target: no npm, Java or Chromium, so that an administrator with
# Python and Rust (macOS included) can deploy.
deploy-tools: ## Install what the deploy targets use: the Python tools of dev/requirements.txt into target/venv only
	dev/tools.sh deploy

# Where the time goes is printed at the end: the build, the cargo tests, the infrastructure tests.
test: tools ## Run every test (cargo, the producer's, the infrastructure's); they start and stop their own moto, DynamoDB Local and Chromium by PID
	@start=$$(date +%s); \
	cargo test --workspace --locked --no-run; built=$$(date +%s); \
	cargo test --workspace --locked; tested=$$(date +%s); \
	$(MAKE) --no-print-directory test-producer; produced=$$(date +%s); \
	$(PYTHON) -m unittest discover --start-directory infrastructure/tests --top-level-directory . -v; \
	done=$$(date +%s); \
	echo "make test: $$((done - start)) s in all: build $$((built - start)) s, cargo tests $$((tested - built)) s, producer tests $$((produced - tested)) s, infrastructure tests $$((done - produced)) s"

# The processor's binary and xtask (the local stack, the trigger that runs the processor as
# Lambda would) as `cargo test --workspace` builds them: after it, nothing is compiled again.
# One test file at a time: the two end-to-end files share the stack's queue and moto's IAM checks.
test-producer: tools ## The producer's tests (Node's runner): its sends on loopback, inside workerd (Cloudflare's runtime) from its tarball, and producer -> queue -> processor -> table on a fresh local stack
	cargo test --workspace --locked -q --no-run
	npm --prefix producer run -s build
	target/debug/xtask local-stack env XTASK_BINARY=$(CURDIR)/target/debug/xtask PROCESSOR_BINARY=$(CURDIR)/target/debug/processor \
		node --test --test-concurrency=1 producer/dist/test/*.test.js producer/dist/test/*.e2e.js

# The scripts are checked as bash (they must also run on macOS's bash 3.2: no associative arrays,
# which infrastructure/tests/test_scripts.py checks); the GitHub workflows against the
# workflow schema that check-jsonschema ships (offline).
lint: tools ## cargo fmt --check, clippy -D warnings, cfn-lint, shellcheck, the GitHub workflows' schema, tsc on producer/
	cargo fmt --all -- --check
	cargo fmt --manifest-path dev/fuzz/Cargo.toml -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	$(PYTHON) -c 'import sys; from cfnlint.runner import main; sys.exit(main())' infrastructure/*.yaml
	shellcheck --shell=bash --external-sources dev/*.sh dev/xtask/*.sh .ci/run
	check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	npm --prefix producer run -s build

fmt: ## Format the code
	cargo fmt --all
	cargo fmt --manifest-path dev/fuzz/Cargo.toml

build: tools ## Build every Lambda for arm64 in release mode (target/lambda/<name>/bootstrap)
	dev/tools.sh arm64
	cargo lambda build --release --arm64 --locked -p processor -p reporter --bin processor --bin reporter

preview: ## Render WEEK (e.g. WEEK=2025-W45) from TABLE_NAME to target/preview/ without sending
	@test -n "$(WEEK)" || { echo "usage: make preview WEEK=2025-W45 TABLE_NAME=<table>"; exit 2; }
	cargo run --locked -p reporter --bin preview -- $(WEEK) target/preview

schema: tools ## Write docs/events.schema.json from shared-types' event types, and the producer's types from it (after changing them; tests fail until it is done)
	$(XTASK) schema
	npm --prefix producer run -s types

gaps: ## Group the questions of FILE (one per line) as the weekly report groups gaps: one JSON line each
	@test -n "$(FILE)" || { echo "usage: make gaps FILE=questions.txt"; exit 2; }
	cargo run --locked -q -p reporter --bin gaps -- "$(FILE)"

scrub: ## What would be stored of each question of FILE (one per line), personal data scrubbed: one JSON line each
	@test -n "$(FILE)" || { echo "usage: make scrub FILE=questions.txt"; exit 2; }
	cargo run --locked -q -p processor --bin scrub -- "$(FILE)"

# As root, the cold starts also run in the CPU share of PROCESSOR_MEMORY and REPORTER_MEMORY (a
# cgroup v1 CPU quota); BENCH_ONLY=cold measures only the cold starts (printed, nothing written).
bench: tools ## Measure in release, write BENCHMARKS.md and print its summary against the goals
	dev/tools.sh arm64
	cargo lambda build --release --arm64 --locked --output-format zip -p processor -p reporter --bin processor --bin reporter
	cargo lambda build --release --arm64 --locked --output-format zip -p xtask --bin minimal-lambda
	cargo build --release --locked --bin processor --bin reporter --bin minimal-lambda --bin coldstart-probe
	@mkdir -p target/bench
	cargo bench --locked -p reporter --bench scale | tee target/bench/reporter-scale.txt
	cargo run --release --locked -q -p xtask -- bench

bench-reporter: ## The reporter on 10k, 100k and 1M synthetic requests: records read per report, time, peak memory
	cargo bench --locked -p reporter --bench scale

deploy: deploy-tools ## Deploy STAGE (dev|prod) with the settings of infrastructure/stages/STAGE.env: stack, build, cargo lambda deploy, wiring; FUNCTION=processor|reporter deploys that function alone
	$(if $(findstring --arm64,$(LAMBDA_BUILD_FLAGS)),dev/tools.sh arm64)
	env $(NOT_GIVEN) $(CV_ANALYTICS) deploy $(if $(FUNCTION),--function $(FUNCTION))

deploy-stack: ## Apply STAGE's stack.yaml and wiring.yaml alone (an alarm, the trigger's concurrency): no build, no function update
	env $(NOT_GIVEN) $(CV_ANALYTICS) deploy-stack

deployer-role: ## Once per STAGE, as an administrator: the deployer's policies and, with GITHUB_REPOSITORY=owner/name, its GitHub role (CREATE_OIDC_PROVIDER=false for the account's second)
	$(CV_ANALYTICS) deployer-role

destroy: ## Remove everything `make deploy` made for STAGE (the prod table is kept)
	$(CV_ANALYTICS) destroy

import-table: ## Bring STAGE's kept table (after `make destroy STAGE=prod`) into a new stack, then `make deploy`
	$(CV_ANALYTICS) import-table

region: ## Print the AWS region every command uses (AWS_REGION, AWS_DEFAULT_REGION, or the profile's)
	@$(CV_ANALYTICS) region
