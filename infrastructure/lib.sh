# Shared by deploy.sh, destroy.sh and import-table.sh (sourced, not run). Written for bash 3.2,
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

# Runs a command that creates or updates a Lambda function with a role, again with backoff while
# Lambda answers that the role cannot be assumed: IAM is eventually consistent, and a role the
# stack created a moment ago is not usable by Lambda for some seconds. Other failures end at once.
# ROLE_RETRY_DELAY (seconds, default 2) is the first wait; each next wait doubles it.
with_role_retry() {
  local attempts=6 delay="${ROLE_RETRY_DELAY:-2}" attempt=1 log status
  log=$(mktemp)
  while :; do
    status=0
    # The command's own status, whatever the caller's errexit and pipefail.
    { "$@" 2>&1 | tee "$log"; status=${PIPESTATUS[0]}; } || true
    if [ "$status" -eq 0 ]; then
      rm -f "$log"
      return 0
    fi
    if [ "$attempt" -ge "$attempts" ] || ! grep -q "cannot be assumed" "$log"; then
      rm -f "$log"
      return "$status"
    fi
    echo "the new role is not assumable by Lambda yet (IAM is eventually consistent); trying again in ${delay}s ($attempt of $((attempts - 1)) retries)" >&2
    sleep "$delay"
    attempt=$((attempt + 1))
    delay=$((delay * 2))
  done
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
    aws cloudformation wait stack-update-complete --region "$REGION" --stack-name "$name"
  else
    aws cloudformation create-stack --region "$REGION" --stack-name "$name" \
      --template-body "file://$template" --parameters "$parameters" \
      --capabilities CAPABILITY_NAMED_IAM >/dev/null
    if ! aws cloudformation wait stack-create-complete --region "$REGION" --stack-name "$name"; then
      echo "$name: creation failed; the events that say why:" >&2
      aws cloudformation describe-stack-events --region "$REGION" --stack-name "$name" \
        --query "StackEvents[?contains(ResourceStatus, 'FAILED')].[LogicalResourceId,ResourceStatusReason]" \
        --output text >&2 || true
      echo "the next \`make deploy\` deletes the rolled-back stack and creates it again" >&2
      return 1
    fi
  fi
  echo "$name: $(stack_status "$name")"
}
