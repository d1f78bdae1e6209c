#!/usr/bin/env bash
# Headless Chromium and Playwright for the browser tests and bench/ide_ready.py; installs only what is missing.
#
# Chromium is Debian's (/usr/bin/chromium) and the Python `playwright` package drives it through
# `executable_path`: `playwright install` is never run (it downloads browser builds of its own).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { echo "[browser] $*" >&2; }

if [[ ! -x /usr/bin/chromium ]] || ! fc-list 2>/dev/null | grep -qi 'dejavu'; then
    step "installing Debian chromium and fonts"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fontconfig >/dev/null
fi
/usr/bin/chromium --version >&2

if [[ ! -x .venv/bin/python ]]; then
    echo "[browser] no .venv: run scripts/setup-python.sh first" >&2
    exit 1
fi
if ! .venv/bin/python -c 'import playwright.sync_api' 2>/dev/null; then
    step "installing the Python playwright package into .venv"
    .venv/bin/python -m pip install -q 'playwright>=1.48'
fi
.venv/bin/python -c 'import importlib.metadata as m; print("playwright", m.version("playwright"))' >&2
