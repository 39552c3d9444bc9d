#!/usr/bin/env bash
# Runs every test: the Swift unit tests, then the end-to-end suite against the real `coffer serve`
# with the real aws CLI and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests
swift test --skip-build
swift build --product coffer
COFFER_BIN="$PWD/.build/debug/coffer" python3 -m pytest -q tests/e2e "$@"
