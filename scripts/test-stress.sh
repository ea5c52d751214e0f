#!/usr/bin/env bash
# Runs the whole test suite N times (default 3), each time with a CPU load
# of one busy worker per core alongside (stress-ng, or shell loops where it
# is missing), and prints one line per run and a summary. Exits non-zero
# if any run failed; the output of a failed run is kept in a file.
set -uo pipefail
runs="${1:-3}"
cores="$(nproc)"
logdir="$(mktemp -d -t pgtls-stress-XXXXXX)"
load_pids=()

start_load() {
  if command -v stress-ng >/dev/null 2>&1; then
    stress-ng --cpu "$cores" --quiet >/dev/null 2>&1 &
    load_pids+=("$!")
  else
    for _ in $(seq "$cores"); do
      (while :; do :; done) &
      load_pids+=("$!")
    done
  fi
}

stop_load() {
  for pid in "${load_pids[@]}"; do
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  load_pids=()
}
trap stop_load EXIT INT TERM

passed=0
failed=0
for i in $(seq "$runs"); do
  start_load
  begin=$(date +%s)
  log="$logdir/run-$i.log"
  if CI=true go test -count=1 -timeout 40m ./... >"$log" 2>&1; then
    passed=$((passed + 1)); verdict=ok
  else
    failed=$((failed + 1)); verdict="FAILED (output: $log)"
  fi
  stop_load
  echo "stress run $i/$runs with $cores busy workers: $verdict in $(( $(date +%s) - begin ))s"
  grep -E '^(--- FAIL|FAIL|panic:)' "$log" | head -20
done
echo "stress: $passed of $runs runs passed"
[ "$failed" -eq 0 ]
