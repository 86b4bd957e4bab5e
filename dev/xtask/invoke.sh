#!/usr/bin/env bash
# Runs FUNCTION under `cargo lambda watch` and invokes it once with a fixture; meant to run
# inside `cargo xtask local-stack` (see `make invoke-processor`). Stops the watcher by PID.
set -euo pipefail
function=$1 fixture=$2
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo lambda watch --invoke-port "$port" -p "$function" > "target/watch-$function.log" 2>&1 &
watcher=$!
trap 'kill "$watcher" 2>/dev/null || true; wait "$watcher" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.5
done
echo "invoking $function with $fixture (function log: target/watch-$function.log)"
cargo lambda invoke "$function" --invoke-port "$port" --data-file "$fixture"
echo
