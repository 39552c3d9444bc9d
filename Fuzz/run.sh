#!/usr/bin/env bash
# Runs each fuzz target for RUNS executions (default 10 million) over its corpus in Corpus/.
# Build first: swift build -c release --sanitize fuzzer --sanitize address
set -euo pipefail
cd "$(dirname "$0")"
runs="${RUNS:-10000000}"
for target in ${TARGETS:-json query arn policy sigv4}; do
  mkdir -p "Corpus/$target"
  echo "== $target: $runs runs"
  FUZZ_TARGET="$target" .build/release/coffer-fuzz "Corpus/$target" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 2>&1 | grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY)|crash-|timeout-|oom-" || true
done
