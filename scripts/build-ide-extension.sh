#!/usr/bin/env bash
# Package Berth's own VS Code extension (ide_extension/: the workspace's task terminals in the IDE) as a .vsix,
# once per source, so the node agent can bind-mount it read-only into every workspace, where the supervisor
# installs it into code-server before it starts (no image rebuild, no npm: it is plain JavaScript, zipped).
#
#   scripts/build-ide-extension.sh       prints the .vsix path on stdout
#
# Cached by content, like scripts/build-supervisor.sh: $BERTH_CACHE_DIR/ide-extension/<hash of the shipped
# files>/berth.task-terminals.vsix (default ~/.cache/berth). The packaging is node_agent/ide_extension.py, the
# same code the node agent runs when it starts, so both always agree on the file.
#
# Environment:
#   BERTH_CACHE_DIR   override the cache root (default: $HOME/.cache/berth)
#   BERTH_PYTHON      the Python to run it with (default: .venv/bin/python of this repository)
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly PYTHON="${BERTH_PYTHON:-$PWD/.venv/bin/python}"
[[ -x "$PYTHON" ]] || { printf 'ERROR [build-ide-extension]: no Python at %s (run scripts/setup-python.sh)\n' \
  "$PYTHON" >&2; exit 1; }
exec "$PYTHON" -m node_agent.ide_extension
