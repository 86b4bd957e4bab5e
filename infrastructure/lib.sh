# Sourced by deploy.sh and the Makefile's region target (not run). Written for bash 3.2,
# the bash of stock macOS: no associative arrays, no mapfile, no ${var,,}.

# One region rule for every command of the project, the AWS SDK's own order: AWS_REGION, then
# AWS_DEFAULT_REGION, then the profile's region (AWS_PROFILE, or the default profile). The
# result is exported under both names, so the AWS CLI (which reads only AWS_DEFAULT_REGION),
# cargo lambda and the SDK-based cv-analytics all use the same one.
resolve_region() {
  local region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
  if [ -z "$region" ]; then
    region=$(aws configure get region 2>/dev/null || true)
  fi
  if [ -z "$region" ]; then
    echo "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or give the profile one with" \
      "\`aws configure set region <region>${AWS_PROFILE:+ --profile $AWS_PROFILE}\`" >&2
    return 1
  fi
  export AWS_REGION="$region" AWS_DEFAULT_REGION="$region"
  REGION="$region"
}

# The deploy settings of a stage, every one of them in its committed file
# infrastructure/stages/<stage>.env (STAGES_DIR overrides the directory, for the tests): one
# NAME=value a line, the value taken as it is. The Makefile's deploy targets pass on only the
# settings given on the command line or in the environment (its own values are the local
# chores'), and this list is the Makefile's STAGE_SETTINGS too (a test holds them equal).
STAGE_SETTINGS="REPORT_SENDER REPORT_RECIPIENTS ALARM_EMAIL OWNER REPORT_TIMEZONE PROCESSOR_MEMORY
PROCESSOR_TIMEOUT REPORTER_MEMORY REPORTER_TIMEOUT RECORD_TTL_DAYS WRITE_CONCURRENCY
PROCESSOR_MAX_CONCURRENCY SEND_EMPTY_REPORT SES_CONFIGURATION_SET WEEK_LOOKUP"

# Reads STAGE's file into the environment (SETTINGS_FILE names it). A setting already in the
# environment (given on the command line) with another value is shown and refused: the file is
# the one place a stage's settings change, so no deploy path resets one silently.
load_stage_settings() {
  SETTINGS_FILE="${STAGES_DIR:-infrastructure/stages}/$STAGE.env"
  if [ ! -f "$SETTINGS_FILE" ]; then
    echo "no settings file $SETTINGS_FILE for the stage $STAGE: copy infrastructure/stages/dev.env to it, fill it in and commit it" >&2
    return 1
  fi
  local line name value seen=" " refused=0 names=" ${STAGE_SETTINGS//$'\n'/ } "
  while IFS= read -r line || [ -n "$line" ]; do
    case "$line" in '' | '#'*) continue ;; esac
    name=${line%%=*}
    value=${line#*=}
    case "$names" in
      *" $name "*) ;;
      *) echo "$SETTINGS_FILE: \"$line\" is not NAME=value of a setting (one of:$names)" >&2; return 1 ;;
    esac
    case "$seen" in *" $name "*) echo "$SETTINGS_FILE sets $name twice" >&2; return 1 ;; esac
    seen="$seen$name "
    if [ -n "${!name+set}" ] && [ "${!name}" != "$value" ]; then
      echo "$name is \"${!name}\" on the command line (or in the environment) and \"$value\" in $SETTINGS_FILE: change the file (and commit it) to change the stage" >&2
      refused=1
    fi
    export "$name=$value"
  done < "$SETTINGS_FILE"
  for name in $STAGE_SETTINGS; do
    case "$seen" in *" $name "*) ;; *) echo "$SETTINGS_FILE has no $name (infrastructure/stages/dev.env lists every setting)" >&2; refused=1 ;; esac
  done
  return "$refused"
}

# Waits until the function's $LATEST has no update in progress (its LastUpdateStatus is not
# InProgress), at most UPDATE_WAIT_SECONDS (default 300); a function not created yet has
# nothing to wait for. A failed last update is shown with Lambda's reason and is not waited
# for: Lambda keeps that status until the next update succeeds, which the deploy is. cargo-lambda waits on the
# alias it moves, a published version that is always ready, so its next call can otherwise
# meet `$LATEST` still updating ("ResourceConflictException: ... An update is in progress").
wait_for_function() {
  local name=$1 waited=0 limit="${UPDATE_WAIT_SECONDS:-300}" delay="${UPDATE_POLL_SECONDS:-2}" out
  while :; do
    if ! out=$(aws lambda get-function-configuration --region "$REGION" --function-name "$name" \
        --query '[LastUpdateStatus, LastUpdateStatusReason]' --output text 2>&1); then
      if grep -q ResourceNotFoundException <<<"$out"; then
        return 0
      fi
      echo "$out" >&2
      return 1
    fi
    case "$out" in
      InProgress*) ;;
      Failed*)
        echo "$name: its last update failed (${out#Failed}); this deploy updates it again" >&2
        return 0 ;;
      *) return 0 ;;
    esac
    if [ "$waited" -ge "$limit" ]; then
      echo "$name: still updating after ${limit}s; run the deploy again once \`aws lambda get-function-configuration --function-name $name\` shows LastUpdateStatus Successful" >&2
      return 1
    fi
    sleep "$delay"
    waited=$((waited + delay))
  done
}

# Runs a command that creates or updates the Lambda function NAME (`cargo lambda deploy`),
# again while Lambda answers what passes by itself:
#   - "cannot be assumed": IAM is eventually consistent, and a role the stack created a moment
#     ago is not usable by Lambda for some seconds; retried with backoff;
#   - "An update is in progress" (ResourceConflictException): the function's previous update
#     has not finished; retried once $LATEST is ready.
# Other failures end at once. The command is safe to run again: cargo-lambda updates what
# differs and publishes a version. ROLE_RETRY_DELAY (seconds, default 2) is the first wait;
# each next wait doubles it.
with_deploy_retry() {
  local name=$1; shift
  local attempts=6 delay="${ROLE_RETRY_DELAY:-2}" attempt=1 log status
  log=$(mktemp)
  while :; do
    wait_for_function "$name" || { rm -f "$log"; return 1; }
    status=0
    # The command's own status, whatever the caller's errexit and pipefail.
    { "$@" 2>&1 | tee "$log"; status=${PIPESTATUS[0]}; } || true
    if [ "$status" -eq 0 ]; then
      rm -f "$log"
      return 0
    fi
    if [ "$attempt" -ge "$attempts" ]; then
      if grep -q "update is in progress" "$log"; then
        echo "$name: Lambda kept answering that an update is in progress; its configuration may be updated without a new version: run the deploy again (it updates what differs and publishes)" >&2
      fi
      rm -f "$log"
      return "$status"
    fi
    if grep -q "cannot be assumed" "$log"; then
      echo "the new role is not assumable by Lambda yet (IAM is eventually consistent); trying again in ${delay}s ($attempt of $((attempts - 1)) retries)" >&2
      sleep "$delay"
      delay=$((delay * 2))
    elif grep -q "update is in progress" "$log"; then
      echo "$name: an update of the function is still in progress; trying again once it is done ($attempt of $((attempts - 1)) retries)" >&2
    else
      rm -f "$log"
      return "$status"
    fi
    attempt=$((attempt + 1))
  done
}

# Gives an existing function the role ROLE before it is deployed, so that the version the
# deploy publishes runs with it. cargo-lambda 1.9.2 sends its --iam-role for a function that
# exists only inside the UpdateFunctionConfiguration it makes when another setting differs
# (memory, timeout, layers, environment, tracing, VPC; crates/cargo-lambda-deploy/src/
# functions.rs, update_function_config): a role that changes alone would stay as it was. Nothing
# to do for a function not created yet, or one with that role already.
apply_role() {
  local name=$1 role=$2 current
  if ! current=$(aws lambda get-function-configuration --region "$REGION" --function-name "$name" \
      --query Role --output text 2>&1); then
    if grep -q ResourceNotFoundException <<<"$current"; then
      return 0
    fi
    echo "$current" >&2
    return 1
  fi
  if [ "$current" = "$role" ]; then
    return 0
  fi
  echo "$name: role $current becomes $role"
  wait_for_function "$name"
  aws lambda update-function-configuration --region "$REGION" --function-name "$name" \
    --role "$role" >/dev/null
  wait_for_function "$name"
}

# Removes the function's `Owner` tag when OWNER is not set any more: cargo-lambda adds the
# tags it is given and never removes one.
drop_owner_tag() {
  local name=$1 arn
  if [ -n "${OWNER:-}" ]; then
    return 0
  fi
  arn=$(aws lambda get-function --region "$REGION" --function-name "$name" \
    --query Configuration.FunctionArn --output text)
  if aws lambda list-tags --region "$REGION" --resource "$arn" --query 'Tags.Owner' \
      --output text | grep -qv '^None$'; then
    echo "$name: OWNER is not set; removing its Owner tag"
    aws lambda untag-resource --region "$REGION" --resource "$arn" --tag-keys Owner
  fi
}

# The status of a CloudFormation stack, or NONE when there is no such stack.
stack_status() {
  local out
  if out=$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$1" \
      --query 'Stacks[0].StackStatus' --output text 2>&1); then
    echo "$out"
  elif grep -q "does not exist" <<<"$out"; then
    echo NONE
  else
    echo "$out" >&2
    return 1
  fi
}

# The reasons CloudFormation gives for the failures of the stack's last operation, on stderr: its
# failed events (newest first), back to where that operation began (the stack's own
# CREATE_IN_PROGRESS or UPDATE_IN_PROGRESS), so that no earlier failure is shown as this one's.
failure_reasons() {
  aws cloudformation describe-stack-events --region "$REGION" --stack-name "$1" \
    --query "StackEvents[].[ResourceType,ResourceStatus,LogicalResourceId,ResourceStatusReason]" \
    --output text | awk -F'\t' '
      $1 == "AWS::CloudFormation::Stack" && ($2 == "UPDATE_IN_PROGRESS" || $2 == "CREATE_IN_PROGRESS") { exit }
      $2 ~ /FAILED/ { print "  " $3 ": " $4 }' >&2 || true
}

# Creates the stack, or updates it ("no updates" is not an error), and waits for it. A stack
# whose first creation rolled back (ROLLBACK_COMPLETE) cannot be updated, only deleted: it is
# deleted and created again.
# (create/update-stack rather than `aws cloudformation deploy`: the emulator the tests use
# leaves a change-set stack's outputs empty.)
upsert_stack() {
  local name=$1 template=$2; shift 2
  local parameters status
  parameters=$(python3 -c 'import json, sys; print(json.dumps([{"ParameterKey": k, "ParameterValue": v} for k, v in (a.split("=", 1) for a in sys.argv[1:])]))' "$@")
  status=$(stack_status "$name")
  if [ "$status" = ROLLBACK_COMPLETE ]; then
    echo "$name: its first creation rolled back (ROLLBACK_COMPLETE), which CloudFormation cannot update; deleting it to create it again"
    aws cloudformation delete-stack --region "$REGION" --stack-name "$name"
    aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$name"
    status=NONE
  fi
  if [ "$status" != NONE ]; then
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
    if ! aws cloudformation wait stack-update-complete --region "$REGION" --stack-name "$name"; then
      echo "$name: the update failed (the stack is $(stack_status "$name")); the events that say why:" >&2
      failure_reasons "$name"
      return 1
    fi
  else
    aws cloudformation create-stack --region "$REGION" --stack-name "$name" \
      --template-body "file://$template" --parameters "$parameters" \
      --capabilities CAPABILITY_NAMED_IAM >/dev/null
    if ! aws cloudformation wait stack-create-complete --region "$REGION" --stack-name "$name"; then
      echo "$name: creation failed; the events that say why:" >&2
      failure_reasons "$name"
      echo "the next \`make deploy\` deletes the rolled-back stack and creates it again" >&2
      return 1
    fi
  fi
  echo "$name: $(stack_status "$name")"
}
