#!/usr/bin/env bash
# Runs moto's own test files against Coffer: each test gets a fresh `coffer serve --dev` (account
# 123456789012, as moto's tests expect), boto3 points at it, mock_aws does nothing, and tests moto
# marks as verified against AWS run as if against AWS. A fidelity probe, not part of CI: failures are
# read one by one (many are moto's own behaviour where AWS differs; docs/fidelity.md lists the ones
# looked at).
#
#   scripts/moto_suite/run.sh .build/debug/coffer tests/test_secretsmanager/ [pytest options]
set -euo pipefail
binary=$(realpath "$1"); shift
here=$(cd "$(dirname "$0")" && pwd)
version=$(python3 -c 'import moto; print(moto.__version__)')
work=${MOTO_SUITE_DIR:-/tmp/moto-suite}
if [ ! -d "$work/moto-$version/tests" ]; then
    mkdir -p "$work"
    (cd "$work" && pip download -q "moto==$version" --no-deps --no-binary :all: && tar xzf "moto-$version.tar.gz")
fi
pip install -q freezegun cryptography >/dev/null 2>&1 || true
cd "$work/moto-$version"
PYTHONPATH="$here" COFFER_BIN="$binary" exec python3 -m pytest -p coffer_shim -p no:cacheprovider -q --tb=line --color=no "$@"
