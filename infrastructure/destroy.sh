#!/usr/bin/env bash
# Removes everything `make deploy` made for STAGE: the wiring stack, the two functions, the stack.
# The prod table is retained by its DeletionPolicy (`make import-table` brings it back into a new
# stack; delete it by hand if that is really meant). Runs on bash 3.2.
set -euo pipefail
cd "$(dirname "$0")/.."
. infrastructure/lib.sh

: "${STAGE:?STAGE is not set (dev or prod)}"
resolve_region
STACK="cv-analytics-${STAGE}"

# What the dead-letter queue still holds goes with it: say so, with the command that reads it.
dlq_url=$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query "Stacks[0].Outputs[?OutputKey=='DeadLetterQueueUrl'].OutputValue" --output text 2>/dev/null || true)
if [ -n "$dlq_url" ] && [ "$dlq_url" != None ]; then
  held=$(aws sqs get-queue-attributes --region "$REGION" --queue-url "$dlq_url" \
    --attribute-names ApproximateNumberOfMessages --query 'Attributes.ApproximateNumberOfMessages' \
    --output text 2>/dev/null || echo 0)
  if [ "${held:-0}" != 0 ]; then
    echo "note: the dead-letter queue held $held message(s), deleted with the stack (\`make dlq STAGE=$STAGE\` lists them before a destroy)"
  fi
fi

aws cloudformation delete-stack --region "$REGION" --stack-name "$STACK-wiring"
aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$STACK-wiring"
for fn in processor reporter; do
  if ! out=$(aws lambda delete-function --region "$REGION" --function-name "$STACK-$fn" 2>&1); then
    if grep -q ResourceNotFoundException <<<"$out"; then
      echo "function $STACK-$fn was not there"
    else
      echo "could not delete function $STACK-$fn: $out" >&2
      exit 1
    fi
  fi
done
aws cloudformation delete-stack --region "$REGION" --stack-name "$STACK"
aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$STACK"
echo "removed $STACK from $REGION"
