#!/usr/bin/env bash
# The deployer of a stage, made once by an administrator (`make deployer-role`): the stack
# cv-analytics-<stage>-deployer from infrastructure/deployer.yaml, with the deployer's two
# managed policies and, with GITHUB_REPOSITORY=owner/name, the role the deploy workflow assumes.
# Runs again after deployer.yaml changes. Runs on bash 3.2.
set -euo pipefail
cd "$(dirname "$0")/.."
. infrastructure/lib.sh

: "${STAGE:?STAGE is not set (dev or prod)}"
GITHUB_REPOSITORY="${GITHUB_REPOSITORY:-}"
CREATE_OIDC_PROVIDER="${CREATE_OIDC_PROVIDER:-true}"
OWNER="${OWNER:-}"
resolve_region
STACK="cv-analytics-${STAGE}-deployer"

upsert_stack "$STACK" infrastructure/deployer.yaml \
  "Stage=$STAGE" \
  "GitHubRepository=$GITHUB_REPOSITORY" \
  "CreateGitHubOidcProvider=$CREATE_OIDC_PROVIDER" \
  "Owner=$OWNER"
aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
  --query "Stacks[0].Outputs[].[OutputKey,OutputValue]" --output text | sort |
  awk '{ printf "%-28s %s\n", $1, $2 }'
