#!/usr/bin/env bash
# Removes everything `make deploy` made for STAGE: the wiring stack, the two functions, the stack.
# The prod table is retained by its DeletionPolicy (delete it by hand if that is really meant).
set -euo pipefail
: "${STAGE:?STAGE is not set (dev or prod)}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"
STACK="cv-analytics-${STAGE}"

aws cloudformation delete-stack --region "$REGION" --stack-name "$STACK-wiring"
aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$STACK-wiring"
for fn in processor reporter; do
  aws lambda delete-function --region "$REGION" --function-name "$STACK-$fn" 2>/dev/null \
    || echo "function $STACK-$fn was not there"
done
aws cloudformation delete-stack --region "$REGION" --stack-name "$STACK"
aws cloudformation wait stack-delete-complete --region "$REGION" --stack-name "$STACK"
echo "removed $STACK"
