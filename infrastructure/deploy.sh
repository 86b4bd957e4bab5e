#!/usr/bin/env bash
# The whole deploy, first time and every time: stack.yaml, build, `cargo lambda deploy` of each
# function with its role and settings from the stack's outputs, then wiring.yaml.
# Called by `make deploy`, which holds the function settings (memory, timeout) in one place.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${STAGE:?STAGE is not set (dev or prod)}"
: "${REPORT_SENDER:?REPORT_SENDER is not set: the verified SES identity the report is sent from}"
: "${REPORT_RECIPIENTS:?REPORT_RECIPIENTS is not set: comma-separated addresses}"
: "${PROCESSOR_MEMORY:?}" "${PROCESSOR_TIMEOUT:?}" "${REPORTER_MEMORY:?}" "${REPORTER_TIMEOUT:?}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
STACK="cv-analytics-${STAGE}"
BUILD_FLAGS="${LAMBDA_BUILD_FLAGS---release --arm64}" # set by the Makefile
EVENT_SOURCE_ENABLED="${EVENT_SOURCE_ENABLED:-true}"

step() { printf '\n==> %s\n' "$*"; }

# Creates the stack, or updates it ("no updates" is not an error), and waits for it.
# (create/update-stack rather than `aws cloudformation deploy`: the emulator the tests use
# leaves a change-set stack's outputs empty.)
upsert_stack() {
  local name=$1 template=$2; shift 2
  local parameters
  parameters=$(python3 -c 'import json, sys; print(json.dumps([{"ParameterKey": k, "ParameterValue": v} for k, v in (a.split("=", 1) for a in sys.argv[1:])]))' "$@")
  if aws cloudformation describe-stacks --region "$REGION" --stack-name "$name" >/dev/null 2>&1; then
    local out
    if ! out=$(aws cloudformation update-stack --region "$REGION" --stack-name "$name" \
        --template-body "file://$template" --parameters "$parameters" \
        --capabilities CAPABILITY_NAMED_IAM 2>&1); then
      if grep -q "No updates are to be performed" <<<"$out"; then
        echo "$name: no changes"
        return 0
      fi
      echo "$out" >&2
      return 1
    fi
    aws cloudformation wait stack-update-complete --region "$REGION" --stack-name "$name"
  else
    aws cloudformation create-stack --region "$REGION" --stack-name "$name" \
      --template-body "file://$template" --parameters "$parameters" \
      --capabilities CAPABILITY_NAMED_IAM >/dev/null
    aws cloudformation wait stack-create-complete --region "$REGION" --stack-name "$name"
  fi
  echo "$name: $(aws cloudformation describe-stacks --region "$REGION" --stack-name "$name" \
    --query 'Stacks[0].StackStatus' --output text)"
}

declare -A OUTPUT
read_outputs() {
  local key value
  while read -r key value; do OUTPUT[$key]=$value; done < <(
    aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
      --query "Stacks[0].Outputs[].[OutputKey,OutputValue]" --output text)
}

step "stack $STACK (queue, dead-letter queue, table, roles, alarms)"
upsert_stack "$STACK" infrastructure/stack.yaml \
  "Stage=$STAGE" \
  "QueueVisibilityTimeoutSeconds=$((6 * PROCESSOR_TIMEOUT))" \
  "ReportSender=$REPORT_SENDER" \
  "AlarmEmail=${ALARM_EMAIL:-}"

read_outputs

step "build (cargo lambda build $BUILD_FLAGS)"
# shellcheck disable=SC2086 # the flags are words on purpose
cargo lambda build $BUILD_FLAGS --locked --bin processor --bin reporter

step "function ${OUTPUT[ProcessorFunctionName]}"
cargo lambda deploy --region "$REGION" --binary-name processor \
  --iam-role "${OUTPUT[ProcessorRoleArn]}" \
  --memory "$PROCESSOR_MEMORY" --timeout "$PROCESSOR_TIMEOUT" \
  --env-var "TABLE_NAME=${OUTPUT[TableName]}" \
  --env-var "DEAD_LETTER_QUEUE_URL=${OUTPUT[DeadLetterQueueUrl]}" \
  --env-var "STAGE=$STAGE" \
  "${OUTPUT[ProcessorFunctionName]}"

step "function ${OUTPUT[ReporterFunctionName]}"
# `--env-var` splits its value on commas and the recipient list is comma-separated, so the
# reporter's settings go through an env file.
env_file="$(mktemp)"
trap 'rm -f "$env_file"' EXIT
printf 'TABLE_NAME=%s\nREPORT_SENDER=%s\nREPORT_RECIPIENTS=%s\nSTAGE=%s\n' \
  "${OUTPUT[TableName]}" "$REPORT_SENDER" "$REPORT_RECIPIENTS" "$STAGE" > "$env_file"
cargo lambda deploy --region "$REGION" --binary-name reporter \
  --iam-role "${OUTPUT[ReporterRoleArn]}" \
  --memory "$REPORTER_MEMORY" --timeout "$REPORTER_TIMEOUT" \
  --env-file "$env_file" \
  "${OUTPUT[ReporterFunctionName]}"

step "wiring $STACK-wiring (SQS trigger, weekly schedule)"
upsert_stack "$STACK-wiring" infrastructure/wiring.yaml \
  "Stage=$STAGE" "QueueArn=${OUTPUT[QueueArn]}" \
  "ProcessorEventSourceEnabled=$EVENT_SOURCE_ENABLED"

step "deployed $STACK"
for key in "${!OUTPUT[@]}"; do printf '%-22s %s\n' "$key" "${OUTPUT[$key]}"; done | sort
