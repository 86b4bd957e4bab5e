#!/usr/bin/env bash
# The whole deploy, first time and every time: stack.yaml, build, `cargo lambda deploy` of each
# function with its role and settings from the stack's outputs (publishing a version and moving
# the alias `live` to it), then wiring.yaml, then `cv-analytics verify` (a canary through the
# deployed queue; VERIFY=false leaves it out).
# Called by `make deploy`, which holds the function settings in one place. Runs on bash 3.2.
set -euo pipefail
cd "$(dirname "$0")/.."
. infrastructure/lib.sh

: "${STAGE:?STAGE is not set (dev or prod)}"
: "${REPORT_SENDER:?REPORT_SENDER is not set: the verified SES identity the report is sent from}"
: "${REPORT_RECIPIENTS:?REPORT_RECIPIENTS is not set: comma-separated addresses}"
: "${PROCESSOR_MEMORY:?}" "${PROCESSOR_TIMEOUT:?}" "${REPORTER_MEMORY:?}" "${REPORTER_TIMEOUT:?}"
: "${RECORD_TTL_DAYS:?}" "${WRITE_CONCURRENCY:?}" "${SEND_EMPTY_REPORT:?}" "${WEEK_LOOKUP:?}"
: "${PROCESSOR_MAX_CONCURRENCY:?}"
# SES sends one message to 50 recipients at most; the reporter refuses more at start-up, so a
# longer list would deploy a reporter that never starts: refused here first.
RECIPIENT_COUNT=$(tr ',' '\n' <<<"$REPORT_RECIPIENTS" | grep -c '[^[:space:]]' || true)
if [ "$RECIPIENT_COUNT" -gt 50 ]; then
  echo "REPORT_RECIPIENTS has $RECIPIENT_COUNT addresses: SES sends one message to 50 at most; use a mailing list" >&2
  exit 1
fi
SES_CONFIGURATION_SET="${SES_CONFIGURATION_SET:-}"
OWNER="${OWNER:-}"
VERIFY="${VERIFY:-true}"
VERIFY_TIMEOUT="${VERIFY_TIMEOUT:-60}"
resolve_region
STACK="cv-analytics-${STAGE}"
TABLE="cv-analytics-${STAGE}-records"
BUILD_FLAGS="${LAMBDA_BUILD_FLAGS---release --arm64}" # set by the Makefile
# Binaries built already (the tests' debug builds, which the emulator runs), deployed as they are
# instead of building: unset for a real deploy.
BINARY_DIR="${LAMBDA_BINARY_DIR:-}"
EVENT_SOURCE_ENABLED="${EVENT_SOURCE_ENABLED:-true}"

step() { printf '\n==> %s\n' "$*"; }

# Cost-allocation tags, on the functions as on every taggable resource of the two stacks.
TAGS=(--tag "Project=cv-analytics" --tag "Stage=$STAGE")
if [ -n "$OWNER" ]; then
  TAGS+=(--tag "Owner=$OWNER")
fi

# A prod table outlives `make destroy` (DeletionPolicy Retain). Creating the stack again would
# fail on "already exists" after minutes of rollback: say what to do before that.
refuse_retained_table() {
  if [ "$(stack_status "$STACK")" != NONE ]; then
    return 0
  fi
  if aws dynamodb describe-table --region "$REGION" --table-name "$TABLE" >/dev/null 2>&1; then
    cat >&2 <<EOF
The table $TABLE already exists in $REGION, without its stack $STACK: an earlier
\`make destroy STAGE=$STAGE\` kept it, with its records. CloudFormation cannot create it again.
  - To keep the records: \`make import-table STAGE=$STAGE\` (brings the table into a new stack
    $STACK), then \`make deploy STAGE=$STAGE\` again.
  - To start with an empty table: back it up if you may want it
    (\`aws dynamodb create-backup --region $REGION --table-name $TABLE --backup-name $TABLE-kept\`),
    then \`aws dynamodb delete-table --region $REGION --table-name $TABLE\`, and deploy again.
EOF
    return 1
  fi
}

OUTPUTS_FILE="$(mktemp)"
ENV_FILE="$(mktemp)"
trap 'rm -f "$OUTPUTS_FILE" "$ENV_FILE"' EXIT

read_outputs() {
  aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
    --query "Stacks[0].Outputs[].[OutputKey,OutputValue]" --output text > "$OUTPUTS_FILE"
}

# One output of the stack, by key.
output() {
  awk -v key="$1" '$1 == key { print $2 }' "$OUTPUTS_FILE"
}

step "stack $STACK in $REGION (queue, dead-letter queue, table, roles, alarms)"
refuse_retained_table
upsert_stack "$STACK" infrastructure/stack.yaml \
  "Stage=$STAGE" \
  "QueueVisibilityTimeoutSeconds=$((6 * PROCESSOR_TIMEOUT))" \
  "ReportSender=$REPORT_SENDER" \
  "SesConfigurationSet=$SES_CONFIGURATION_SET" \
  "WeekLookup=$WEEK_LOOKUP" \
  "AlarmEmail=${ALARM_EMAIL:-}" \
  "Owner=$OWNER"

read_outputs

# What `cargo lambda deploy` deploys for a function: what `cargo lambda build` made, or a binary
# of BINARY_DIR.
binary() {
  if [ -n "$BINARY_DIR" ]; then
    echo --binary-path "$BINARY_DIR/$1"
  else
    echo --binary-name "$1"
  fi
}

if [ -n "$BINARY_DIR" ]; then
  step "binaries from $BINARY_DIR (no build)"
else
  step "build (cargo lambda build $BUILD_FLAGS)"
  # shellcheck disable=SC2086 # the flags are words on purpose
  # The two packages alone (`-p`), so that their features are their own: the workspace's tools
  # turn on the SDK's aws-lc client and the processor's test fakes, which a workspace-wide
  # build would put in the functions too.
  cargo lambda build $BUILD_FLAGS --locked -p processor -p reporter --bin processor --bin reporter
fi

# Each deploy publishes a version and moves this alias to it; the trigger and the schedule
# invoke the alias, and `make rollback` moves it back.
LIVE_ALIAS=live

step "function $(output ProcessorFunctionName) (alias $LIVE_ALIAS)"
apply_role "$(output ProcessorFunctionName)" "$(output ProcessorRoleArn)"
# shellcheck disable=SC2046 # the binary's flag and value are two words on purpose
with_deploy_retry "$(output ProcessorFunctionName)" cargo lambda deploy --region "$REGION" $(binary processor) \
  --iam-role "$(output ProcessorRoleArn)" --alias "$LIVE_ALIAS" "${TAGS[@]}" \
  --memory "$PROCESSOR_MEMORY" --timeout "$PROCESSOR_TIMEOUT" \
  --env-var "TABLE_NAME=$(output TableName)" \
  --env-var "DEAD_LETTER_QUEUE_URL=$(output DeadLetterQueueUrl)" \
  --env-var "STAGE=$STAGE" \
  --env-var "RECORD_TTL_DAYS=$RECORD_TTL_DAYS" \
  --env-var "WRITE_CONCURRENCY=$WRITE_CONCURRENCY" \
  "$(output ProcessorFunctionName)"
drop_owner_tag "$(output ProcessorFunctionName)"

step "function $(output ReporterFunctionName) (alias $LIVE_ALIAS)"
# `--env-var` splits its value on commas and the recipient list is comma-separated, so the
# reporter's settings go through an env file. The lifetime of records is the processor's
# RECORD_TTL_DAYS, which the reporter needs too (no backfill of weeks already expired).
{
  printf 'TABLE_NAME=%s\nREPORT_SENDER=%s\nREPORT_RECIPIENTS=%s\nSTAGE=%s\n' \
    "$(output TableName)" "$REPORT_SENDER" "$REPORT_RECIPIENTS" "$STAGE"
  printf 'SEND_EMPTY_REPORT=%s\nRECORD_TTL_DAYS=%s\n' "$SEND_EMPTY_REPORT" "$RECORD_TTL_DAYS"
  printf 'WEEK_LOOKUP=%s\n' "$(output WeekLookup)"
  if [ -n "$SES_CONFIGURATION_SET" ]; then
    printf 'SES_CONFIGURATION_SET=%s\n' "$SES_CONFIGURATION_SET"
  fi
} > "$ENV_FILE"
apply_role "$(output ReporterFunctionName)" "$(output ReporterRoleArn)"
# shellcheck disable=SC2046 # the binary's flag and value are two words on purpose
with_deploy_retry "$(output ReporterFunctionName)" cargo lambda deploy --region "$REGION" $(binary reporter) \
  --iam-role "$(output ReporterRoleArn)" --alias "$LIVE_ALIAS" "${TAGS[@]}" \
  --memory "$REPORTER_MEMORY" --timeout "$REPORTER_TIMEOUT" \
  --env-file "$ENV_FILE" \
  "$(output ReporterFunctionName)"
drop_owner_tag "$(output ReporterFunctionName)"

step "wiring $STACK-wiring (SQS trigger, daily report schedule, retries)"
upsert_stack "$STACK-wiring" infrastructure/wiring.yaml \
  "Stage=$STAGE" "QueueArn=$(output QueueArn)" "Owner=$OWNER" \
  "ProcessorMaxConcurrency=$PROCESSOR_MAX_CONCURRENCY" \
  "ProcessorEventSourceEnabled=$EVENT_SOURCE_ENABLED"

if [ "$VERIFY" = true ]; then
  step "verify: a canary question and answer through $(output QueueUrl)"
  cargo run --locked -q -p ops --bin cv-analytics -- --stage "$STAGE" --region "$REGION" \
    verify --timeout "$VERIFY_TIMEOUT"
fi

step "deployed $STACK in $REGION"
sort "$OUTPUTS_FILE" | awk '{ printf "%-22s %s\n", $1, $2 }'
