#!/usr/bin/env bash
# Runs each fuzz target for RUNS executions (default 10 million) over the kept seeds in Seeds/ (minimized
# corpora, in the repository) and a working corpus in Corpus/ (not kept), and
# fails on the first crash, hang or unbounded allocation (the input is left as crash-*, timeout-*, oom-*).
# Build first: COFFER_FUZZ=1 swift build -c release --sanitize fuzzer --sanitize address
set -euo pipefail
cd "$(dirname "$0")"
runs="${RUNS:-10000000}"
for target in ${TARGETS:-json query arn policy sigv4 xml http}; do
  mkdir -p "Corpus/$target"
  log="$(mktemp)"
  echo "== $target: $runs runs"
  status=0
  FUZZ_TARGET="$target" .build/release/coffer-fuzz "Corpus/$target" "Seeds/$target" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 > "$log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)" "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $target failed (exit $status):"
    tail -40 "$log"
    exit "$status"
  fi
  rm -f "$log"
done
