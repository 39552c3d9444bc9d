#!/usr/bin/env bash
# Runs every test: the Swift unit tests, then the end-to-end suite against the real `coffer serve`
# with the real aws CLI and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
# The store contract and shared-store suites also run on a throw-away PostgreSQL server.
scripts/with-postgres.sh swift test --skip-build
swift build --product coffer
COFFER_BIN="$PWD/.build/debug/coffer" python3 -m pytest -q tests/e2e "$@"
