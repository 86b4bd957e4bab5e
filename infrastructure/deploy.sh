#!/usr/bin/env bash
# The deploy, whole or one part (DEPLOY_PART, set by the Makefile):
#   all        first time and every time: stack.yaml, build, `cargo lambda deploy` of each
#              function with its role and settings from the stack's outputs (publishing a version
#              and moving the alias `live` to it), wiring.yaml, then `cv-analytics verify` (a
#              canary through the deployed queue; VERIFY=false leaves it out);
#   processor, reporter
#              that function alone (`make deploy FUNCTION=...`): built, deployed, its `live`
#              moved, then checked (the canary; for the reporter, a dry run of `live` for the
#              last complete week); the stacks and the other function are not touched;
#   stack      stack.yaml and wiring.yaml alone (`make deploy-stack`): no build, no function
#              update; refused before the functions were ever deployed.
# The settings are the stage's committed file, infrastructure/stages/$STAGE.env
# (load_stage_settings, lib.sh); one given otherwise and different is refused. A part is refused
# when it would change, on its side only, what both a stack and a function hold
# (refuse_one_sided). A function whose live version already runs the same binary with the same
# settings is not deployed again (live_matches). Each version published carries the commit it
# was built from and its binary's sha256 in its environment (BUILD_COMMIT, BUILD_SHA256, which
# the functions do not read; a version's configuration is immutable, so they stay true after a
# rollback), which `make status` shows. Runs on bash 3.2.
set -euo pipefail
cd "$(dirname "$0")/.."
. infrastructure/lib.sh

PART="${DEPLOY_PART:-all}"
case "$PART" in
  all | stack | processor | reporter) ;;
  *) echo "DEPLOY_PART is $PART: all, stack, processor or reporter (FUNCTION=processor|reporter)" >&2; exit 2 ;;
esac
: "${STAGE:?STAGE is not set (dev or prod)}"
# Every setting from the stage's committed file; one given otherwise and different is refused.
load_stage_settings || exit 1
# What each part needs: the stack's parameters, and each function's settings.
if [ "$PART" != processor ] && [ -z "$REPORT_SENDER" ]; then
  echo "REPORT_SENDER is empty in $SETTINGS_FILE: fill in the verified SES identity the report is sent from (and commit the file)" >&2
  exit 1
fi
if [ "$PART" = all ] || [ "$PART" = reporter ]; then
  if [ -z "$REPORT_RECIPIENTS" ]; then
    echo "REPORT_RECIPIENTS is empty in $SETTINGS_FILE: fill in the comma-separated addresses the report goes to (and commit the file)" >&2
    exit 1
  fi
  # SES sends one message to 50 recipients at most; the reporter refuses more at start-up, so a
  # longer list would deploy a reporter that never starts: refused here first.
  RECIPIENT_COUNT=$(tr ',' '\n' <<<"$REPORT_RECIPIENTS" | grep -c '[^[:space:]]' || true)
  if [ "$RECIPIENT_COUNT" -gt 50 ]; then
    echo "REPORT_RECIPIENTS has $RECIPIENT_COUNT addresses: SES sends one message to 50 at most; use a mailing list" >&2
    exit 1
  fi
fi
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

# The owner's time zone, checked before anything is deployed: the functions refuse an unknown
# name at start-up, so a typo would publish functions that never start (and the processor's
# batches would go to the dead-letter queue). Checked against this machine's tz database
# (Python's zoneinfo); without one (Python before 3.9, or no database) it is not checked here.
check_timezone() {
  local status=0
  python3 -c '
import sys
try:
    import zoneinfo
except ImportError:
    sys.exit(0)
if not zoneinfo.available_timezones():
    sys.exit(0)
try:
    zoneinfo.ZoneInfo(sys.argv[1])
except Exception:
    sys.exit(1)
' "$REPORT_TIMEZONE" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "REPORT_TIMEZONE is \"$REPORT_TIMEZONE\": no such time zone in this machine's tz database; give an IANA name such as Europe/London or UTC (a zone newer than the database: \`python3 -m pip install --upgrade tzdata\`)" >&2
    exit 1
  fi
}
check_timezone

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
    then turn its deletion protection off and delete it
    (\`aws dynamodb update-table --region $REGION --table-name $TABLE --no-deletion-protection-enabled\`,
    \`aws dynamodb delete-table --region $REGION --table-name $TABLE\`), and deploy again.
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

deploy_stack() {
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
}

deploy_wiring() {
  step "wiring $STACK-wiring (SQS trigger, daily report schedule, retries)"
  upsert_stack "$STACK-wiring" infrastructure/wiring.yaml \
    "Stage=$STAGE" "QueueArn=$(output QueueArn)" "Owner=$OWNER" \
    "ProcessorMaxConcurrency=$PROCESSOR_MAX_CONCURRENCY" \
    "ProcessorEventSourceEnabled=$EVENT_SOURCE_ENABLED" \
    "ReportTimezone=$REPORT_TIMEZONE" \
    "ReportScheduleRoleArn=$(output ReportScheduleRoleArn)"
}

# A part deploys into a stage that exists: the stack for a function, and for the stacks alone,
# the functions too (the wiring points at their alias `live`).
refuse_missing() {
  if [ "$(stack_status "$STACK")" = NONE ]; then
    echo "$STACK does not exist in $REGION: deploy everything first (make deploy STAGE=$STAGE)" >&2
    exit 1
  fi
  if [ "$PART" = stack ]; then
    local fn out
    for fn in processor reporter; do
      if ! out=$(aws lambda get-alias --region "$REGION" --function-name "$STACK-$fn" --name live 2>&1); then
        if grep -q ResourceNotFoundException <<<"$out"; then
          echo "$STACK-$fn has never been deployed (no alias live): make deploy-stack changes the stacks of a deployed stage; deploy everything first (make deploy STAGE=$STAGE)" >&2
        else
          echo "$out" >&2
        fi
        exit 1
      fi
    done
  fi
  refuse_one_sided
}

# The parameters of the two live stacks, "key<TAB>value" lines.
live_parameters() {
  local stack out
  for stack in "$STACK" "$STACK-wiring"; do
    if ! out=$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$stack" \
        --query "Stacks[0].Parameters[].[ParameterKey,ParameterValue]" --output text 2>&1); then
      if grep -q "does not exist" <<<"$out"; then
        echo "$stack does not exist in $REGION: the stage's whole deploy never finished; make deploy STAGE=$STAGE" >&2
      else
        echo "$out" >&2
      fi
      return 1
    fi
    echo "$out"
  done
}

# What a stack and a function both hold, and so only the whole deploy changes: a part alone
# would change it on its side only. Each is compared with the live stage's before anything is
# deployed, where the part holds one side of it:
#   parameter (stack)              setting                 parts holding a side
#   ReportSender (stack)           REPORT_SENDER           stack (the reporter role's SES permission), reporter
#   SesConfigurationSet (stack)    SES_CONFIGURATION_SET   stack (the same permission), reporter
#   WeekLookup (stack)             WEEK_LOOKUP             stack (the week index), reporter (its queries)
#   QueueVisibilityTimeoutSeconds  6 × PROCESSOR_TIMEOUT   stack (the queue), processor
#   ReportTimezone (wiring)        REPORT_TIMEZONE         stack (the schedule), processor, reporter
# A stage deployed before a parameter existed ran with its default (scan, UTC).
refuse_one_sided() {
  local live refused=0 check parameter setting value default parts deployed note
  live=$(live_parameters) || exit 1
  for check in "ReportSender REPORT_SENDER - stack,reporter" \
      "SesConfigurationSet SES_CONFIGURATION_SET - stack,reporter" \
      "WeekLookup WEEK_LOOKUP scan stack,reporter" \
      "QueueVisibilityTimeoutSeconds PROCESSOR_TIMEOUT - stack,processor" \
      "ReportTimezone REPORT_TIMEZONE UTC stack,processor,reporter"; do
    read -r parameter setting default parts <<<"$check"
    case ",$parts," in *",$PART,"*) ;; *) continue ;; esac
    value=${!setting}
    note=""
    if [ "$parameter" = QueueVisibilityTimeoutSeconds ]; then
      value=$((6 * PROCESSOR_TIMEOUT))
      note=" (the queue's visibility timeout, 6 times it: $value)"
    fi
    deployed=$(awk -F'\t' -v key="$parameter" -v default="$default" \
      '$1 == key { print $2; found = 1 } END { if (!found) print default }' <<<"$live")
    if [ "$deployed" = None ] || [ "$deployed" = - ]; then
      deployed=""
    fi
    if [ "$deployed" != "$value" ]; then
      echo "$setting is \"${!setting}\" in $SETTINGS_FILE$note and the live stage's $parameter is \"$deployed\": a stack and a function both hold it, so a part alone ($PART) would change one side only; make deploy STAGE=$STAGE (the whole deploy) changes them together" >&2
      refused=1
    fi
  done
  [ "$refused" -eq 0 ] || exit 1
}

# The commit the functions are built from, in each published version's BUILD_COMMIT (`make
# status` shows it); "-dirty" when the work tree differs from it. DEPLOY_COMMIT overrides.
commit_built() {
  local commit
  commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
  if [ "$commit" != unknown ] && ! git diff --quiet HEAD 2>/dev/null; then
    commit="$commit-dirty"
  fi
  echo "${DEPLOY_COMMIT:-$commit}"
}

# What `cargo lambda deploy` deploys for a function: what `cargo lambda build` made, or a binary
# of BINARY_DIR; and the file itself.
binary() {
  if [ -n "$BINARY_DIR" ]; then
    echo --binary-path "$BINARY_DIR/$1"
  else
    echo --binary-name "$1"
  fi
}
binary_file() {
  if [ -n "$BINARY_DIR" ]; then
    echo "$BINARY_DIR/$1"
  else
    echo "target/lambda/$1/bootstrap"
  fi
}

# Builds the functions given (processor, reporter), unless BINARY_DIR has them. The packages
# alone (`-p`), so that their features are their own: the workspace's tools turn on the SDK's
# aws-lc client and the processor's test fakes, which a workspace-wide build would put in the
# functions too.
build() {
  if [ -n "$BINARY_DIR" ]; then
    step "binaries from $BINARY_DIR (no build)"
    return 0
  fi
  local packages=() fn
  for fn in "$@"; do
    packages+=(-p "$fn" --bin "$fn")
  done
  step "build (cargo lambda build $BUILD_FLAGS ${packages[*]})"
  # shellcheck disable=SC2086 # the flags are words on purpose
  cargo lambda build $BUILD_FLAGS --locked "${packages[@]}"
}

# Each deploy publishes a version and moves this alias to it; the trigger and the schedule
# invoke the alias, and `make rollback` moves it back.
LIVE_ALIAS=live

# Whether FUNCTION's live version already is what this deploy would publish: the same binary
# (BUILD_SHA256, which each version's environment records beside BUILD_COMMIT), role, memory,
# timeout and environment (ENV_FILE), and the function the same tags. cargo-lambda publishes a
# version on every deploy (its zip holds the binary's modification time, so Lambda never sees
# the same code twice): an unchanged function is left alone instead, and `make rollback` never
# lands on a twin of the live version.
live_matches() {
  local name=$1 role=$2 memory=$3 timeout=$4 live arn tags
  live=$(aws lambda get-function-configuration --region "$REGION" --function-name "$name" \
    --qualifier "$LIVE_ALIAS" --output json 2>/dev/null) || return 1
  arn=$(aws lambda get-function --region "$REGION" --function-name "$name" \
    --query Configuration.FunctionArn --output text) || return 1
  tags=$(aws lambda list-tags --region "$REGION" --resource "$arn" --output json) || return 1
  python3 -c '
import json, sys
live, tags, env_file, role, memory, timeout = sys.argv[1:7]
live = json.loads(live)
wanted_env = dict(line.rstrip("\n").split("=", 1) for line in open(env_file) if line.strip())
wanted_tags = dict(tag.split("=", 1) for tag in sys.argv[7:] if tag != "--tag")
have = (live.get("Role"), live.get("MemorySize"), live.get("Timeout"),
        (live.get("Environment") or {}).get("Variables") or {}, json.loads(tags).get("Tags") or {})
sys.exit(have != (role, int(memory), int(timeout), wanted_env, wanted_tags))
' "$live" "$tags" "$ENV_FILE" "$role" "$memory" "$timeout" "${TAGS[@]}"
}

# Deploys FUNCTION (processor or reporter) with the settings of ENV_FILE, unless its live
# version already is what it would publish.
deploy_function() {
  local fn=$1 name role memory timeout
  name=$(output "$2FunctionName")
  role=$(output "$2RoleArn")
  memory=$3
  timeout=$4
  step "function $name (alias $LIVE_ALIAS, commit $COMMIT)"
  if live_matches "$name" "$role" "$memory" "$timeout"; then
    echo "$name: its live version $(aws lambda get-alias --region "$REGION" --function-name "$name" \
      --name "$LIVE_ALIAS" --query FunctionVersion --output text) already runs this binary with these settings; no version published"
    return 0
  fi
  apply_role "$name" "$role"
  # `--env-var` splits its value on commas (the recipient list is comma-separated): an env file.
  # shellcheck disable=SC2046 # the binary's flag and value are two words on purpose
  with_deploy_retry "$name" cargo lambda deploy --region "$REGION" $(binary "$fn") \
    --iam-role "$role" --alias "$LIVE_ALIAS" "${TAGS[@]}" \
    --memory "$memory" --timeout "$timeout" --env-file "$ENV_FILE" "$name"
  drop_owner_tag "$name"
}

# The processor's settings, and the reporter's (the lifetime of records is the processor's
# RECORD_TTL_DAYS, which the reporter needs too: no backfill of weeks already expired). The
# binary's sha256 and the commit are the functions' only settings they do not read.
deploy_processor() {
  {
    printf 'TABLE_NAME=%s\nDEAD_LETTER_QUEUE_URL=%s\nSTAGE=%s\n' \
      "$(output TableName)" "$(output DeadLetterQueueUrl)" "$STAGE"
    printf 'RECORD_TTL_DAYS=%s\nWRITE_CONCURRENCY=%s\n' "$RECORD_TTL_DAYS" "$WRITE_CONCURRENCY"
    printf 'REPORT_TIMEZONE=%s\n' "$REPORT_TIMEZONE"
    printf 'BUILD_COMMIT=%s\nBUILD_SHA256=%s\n' "$COMMIT" "$(sha256 "$(binary_file processor)")"
  } > "$ENV_FILE"
  deploy_function processor Processor "$PROCESSOR_MEMORY" "$PROCESSOR_TIMEOUT"
}

deploy_reporter() {
  {
    printf 'TABLE_NAME=%s\nREPORT_SENDER=%s\nREPORT_RECIPIENTS=%s\nSTAGE=%s\n' \
      "$(output TableName)" "$REPORT_SENDER" "$REPORT_RECIPIENTS" "$STAGE"
    printf 'SEND_EMPTY_REPORT=%s\nRECORD_TTL_DAYS=%s\n' "$SEND_EMPTY_REPORT" "$RECORD_TTL_DAYS"
    printf 'WEEK_LOOKUP=%s\n' "$(output WeekLookup)"
    printf 'REPORT_TIMEZONE=%s\n' "$REPORT_TIMEZONE"
    if [ -n "$SES_CONFIGURATION_SET" ]; then
      printf 'SES_CONFIGURATION_SET=%s\n' "$SES_CONFIGURATION_SET"
    fi
    printf 'BUILD_COMMIT=%s\nBUILD_SHA256=%s\n' "$COMMIT" "$(sha256 "$(binary_file reporter)")"
  } > "$ENV_FILE"
  deploy_function reporter Reporter "$REPORTER_MEMORY" "$REPORTER_TIMEOUT"
}

sha256() {
  python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
}

cv_analytics() {
  cargo run --locked -q -p ops --bin cv-analytics -- --stage "$STAGE" --region "$REGION" "$@"
}

verify_processor() {
  step "verify: a canary question and answer through $(output QueueUrl)"
  if [ "$PART" = processor ]; then
    # The processor alone: SES is the reporter's, checked when it is deployed.
    cv_analytics verify --timeout "$VERIFY_TIMEOUT" --no-email
  else
    cv_analytics verify --timeout "$VERIFY_TIMEOUT"
  fi
}

# The reporter's live version renders the last complete week without sending it: the week
# before today's in REPORT_TIMEZONE, as the reporter counts weeks (`cv-analytics backfill` takes
# no default week). Where this machine's Python cannot load the zone, the week is counted in
# UTC, said: it differs only in the hours around Monday's midnight, and any week is a dry run.
verify_reporter() {
  local week
  week=$(python3 -c '
import datetime, sys
try:
    from zoneinfo import ZoneInfo
    zone = ZoneInfo(sys.argv[1])
except Exception:
    print(f"note: this machine cannot load the time zone {sys.argv[1]}; the last complete week is counted in UTC", file=sys.stderr)
    zone = datetime.timezone.utc
year, week, _ = (datetime.datetime.now(zone) - datetime.timedelta(days=7)).isocalendar()
print(f"{year}-W{week:02d}")
' "$REPORT_TIMEZONE")
  step "verify: the reporter's live version renders $week (a dry run, nothing sent)"
  cv_analytics backfill --from "$week" --to "$week" --dry-run
}

COMMIT=$(commit_built)
case "$PART" in
  all)
    deploy_stack
    read_outputs
    build processor reporter
    deploy_processor
    deploy_reporter
    deploy_wiring
    if [ "$VERIFY" = true ]; then
      verify_processor
    fi
    ;;
  stack)
    refuse_missing
    deploy_stack
    read_outputs
    deploy_wiring
    ;;
  processor | reporter)
    refuse_missing
    read_outputs
    build "$PART"
    "deploy_$PART"
    if [ "$VERIFY" = true ]; then
      "verify_$PART"
    fi
    ;;
esac

if [ "$PART" = all ]; then
  step "deployed $STACK in $REGION"
else
  step "deployed $PART of $STACK in $REGION"
fi
sort "$OUTPUTS_FILE" | awk '{ printf "%-22s %s\n", $1, $2 }'
