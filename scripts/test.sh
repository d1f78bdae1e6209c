#!/usr/bin/env bash
# Runs every check and every test; exits non-zero when any of them fails (all of them still run).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mkdir -p artifacts

failed=()
step() {
    local name=$1; shift
    echo "==> $name" >&2
    "$@" || failed+=("$name")
}

step "ruff" .venv/bin/ruff check .
step "mypy --strict" .venv/bin/mypy .
step "import contracts" .venv/bin/lint-imports
step "pytest" .venv/bin/pytest -p no:cacheprovider "$@"

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "all checks and tests passed" >&2
