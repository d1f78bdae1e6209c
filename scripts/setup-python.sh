#!/usr/bin/env bash
# Creates .venv with Berth and its development tools; re-installs only when pyproject.toml changed.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=${BERTH_PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "[setup] installing Python 3.11 from Debian" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    python=python3
fi
if [ ! -x .venv/bin/python ]; then
    echo "[setup] creating .venv" >&2
    "$python" -m venv .venv
fi
stamp=.venv/.berth-installed
wanted=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "[setup] installing Python dependencies" >&2
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[dev]'
    echo "$wanted" > "$stamp"
fi
