#!/usr/bin/env bash
# Brings a records table that outlived its stack (the prod table, kept by `make destroy`) into a
# new stack cv-analytics-<stage>, with CloudFormation's resource import, so that the next
# `make deploy` adds the rest of the stack around it and the records are kept. Runs on bash 3.2.
set -euo pipefail
cd "$(dirname "$0")/.."
. infrastructure/lib.sh

: "${STAGE:?STAGE is not set (dev or prod)}"
resolve_region
STACK="cv-analytics-${STAGE}"
TABLE="cv-analytics-${STAGE}-records"

status=$(stack_status "$STACK")
if [ "$status" != NONE ]; then
  echo "the stack $STACK exists ($status): there is nothing to import; run make deploy STAGE=$STAGE" >&2
  exit 1
fi
# The template must describe the table as it is: with the week index (tables of earlier versions,
# or WEEK_LOOKUP=index) or without. The next `make deploy` moves it to its WEEK_LOOKUP in place.
indexes=$(aws dynamodb describe-table --region "$REGION" --table-name "$TABLE" \
  --query "length(Table.GlobalSecondaryIndexes[?IndexName=='week-index'] || \`[]\`)" --output text)
if [ "$indexes" = 1 ]; then lookup=index; else lookup=scan; fi

template="$(mktemp)"
trap 'rm -f "$template"' EXIT
python3 infrastructure/import_template.py > "$template"

aws cloudformation create-change-set --region "$REGION" --stack-name "$STACK" \
  --change-set-name import-records-table --change-set-type IMPORT \
  --template-body "file://$template" \
  --parameters "ParameterKey=Stage,ParameterValue=$STAGE" "ParameterKey=WeekLookup,ParameterValue=$lookup" \
  --resources-to-import "[{\"ResourceType\":\"AWS::DynamoDB::Table\",\"LogicalResourceId\":\"RecordsTable\",\"ResourceIdentifier\":{\"TableName\":\"$TABLE\"}}]" \
  >/dev/null
aws cloudformation wait change-set-create-complete --region "$REGION" --stack-name "$STACK" \
  --change-set-name import-records-table
aws cloudformation execute-change-set --region "$REGION" --stack-name "$STACK" \
  --change-set-name import-records-table
aws cloudformation wait stack-import-complete --region "$REGION" --stack-name "$STACK"
echo "imported $TABLE (week lookup: $lookup) into $STACK; now run: make deploy STAGE=$STAGE"
