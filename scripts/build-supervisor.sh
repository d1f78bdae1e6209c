#!/usr/bin/env bash
# Build the workspace supervisor as a self-contained executable (PyInstaller --onedir), so it runs in
# any glibc image, with or without Python: the executable is bind-mounted read-only at
# /.berth/supervisor and its runtime directory (`supervisor-lib`: the Python runtime and the bundled
# modules) beside it at /.berth/supervisor-lib. Not --onefile: a one-file executable unpacks itself
# into a temporary directory at every start (about 0.15-0.3 s of every workspace start), while this
# one runs straight from the read-only mounts.
#
#   scripts/build-supervisor.sh          prints the executable's path on stdout (progress on stderr)
#
# Cached by content: the version is a hash of supervisor/**/*.py and of this script, and the build
# lives at $BERTH_CACHE_DIR/supervisor/<version>/ (default ~/.cache/berth): the executable
# `berth-supervisor` and the directory `supervisor-lib` beside it. A changed source means a new
# version and a new build; an unchanged one returns the cached path at once. Concurrent runs
# serialize on a lock; the version directory appears only complete (atomic rename).
#
# The executable needs a glibc at least as new as the build machine's (Debian bookworm: 2.36).
#
# Environment:
#   BERTH_CACHE_DIR          override the cache root (default: $HOME/.cache/berth)
#   BERTH_SUPERVISOR_PYTHON  the Python with PyInstaller (default: .venv/bin/python of this repository)
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '==> [build-supervisor] %s\n' "$*" >&2; }
die() { printf 'ERROR [build-supervisor]: %s\n' "$*" >&2; exit 1; }
trap 'rc=$?; printf "ERROR [build-supervisor]: command failed (exit %s) at line %s: %s\n" \
  "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

readonly PYTHON="${BERTH_SUPERVISOR_PYTHON:-$PWD/.venv/bin/python}"
readonly CACHE_ROOT="${BERTH_CACHE_DIR:-$HOME/.cache/berth}/supervisor"
# Modules the supervisor never uses that its imports would otherwise drag in. No TLS or OpenSSL:
# asyncio imports ssl only if present, hashlib and hmac fall back to built-in code, and the endpoint
# is plain HTTP behind docker's loopback-only publish. The rest is never imported at run time.
readonly EXCLUDES=(ssl _ssl _hashlib tkinter unittest pydoc doctest lib2to3 email http.client
  xmlrpc xml sqlite3 _sqlite3 bz2 _bz2 lzma _lzma decimal _decimal pdb)

# Names and contents of every source file, then this script: any change gives another version.
version=$(
  {
    (cd supervisor && find . -type f -name '*.py' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum < scripts/build-supervisor.sh
  } | sha256sum | cut -c1-16
)
readonly version
readonly KEEP_VERSIONS=10  # older builds are pruned; a running container keeps its mounted file anyway
readonly dest_dir="$CACHE_ROOT/$version"
readonly binary="$dest_dir/berth-supervisor"
# Where the bootloader looks for its runtime: beside the executable, under this name (the node agent
# mounts it there too: node_agent/container_config.py SUPERVISOR_LIB_PATH).
readonly LIB_NAME=supervisor-lib

if [[ -x "$binary" && -d "$dest_dir/$LIB_NAME" ]]; then
  step "version $version is cached: $binary"
  printf '%s\n' "$binary"
  exit 0
fi

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.lock"
flock 9
if [[ -x "$binary" && -d "$dest_dir/$LIB_NAME" ]]; then  # built by a concurrent run while we waited for the lock
  step "version $version was just built: $binary"
  printf '%s\n' "$binary"
  exit 0
fi

[[ -x "$PYTHON" ]] || die "no Python at $PYTHON (run scripts/setup-python.sh, or set BERTH_SUPERVISOR_PYTHON)"
"$PYTHON" -c 'import PyInstaller' 2>/dev/null \
  || die "PyInstaller is not installed for $PYTHON (it is in the dev extras: scripts/setup-python.sh)"

work=$(mktemp -d "$CACHE_ROOT/.build-$version-XXXXXX")
trap 'rm -rf "$work"' EXIT

step "building version $version with $("$PYTHON" -m PyInstaller --version 2>/dev/null | head -1 | sed 's/^/PyInstaller /')"
# Build from a copy so the generated version module never lands in the source tree.
mkdir -p "$work/src"
cp -r supervisor "$work/src/supervisor"
find "$work/src" -name '__pycache__' -type d -prune -exec rm -rf {} +
printf 'VERSION = "%s"\n' "$version" > "$work/src/supervisor/_build.py"
printf 'from supervisor.main import main\n\nraise SystemExit(main())\n' > "$work/src/entry.py"

exclude_args=()
for module in "${EXCLUDES[@]}"; do exclude_args+=(--exclude-module "$module"); done

step "PyInstaller --onedir (about 20 s)"
"$PYTHON" -m PyInstaller \
  --onedir --contents-directory "$LIB_NAME" --name berth-supervisor --strip --noconfirm --clean --log-level WARN \
  --distpath "$work/dist" --workpath "$work/build" --specpath "$work" \
  --paths "$work/src" --hidden-import supervisor._build "${exclude_args[@]}" \
  "$work/src/entry.py" >&2

step "checking the executable"
reported=$("$work/dist/berth-supervisor/berth-supervisor" --version)
[[ "$reported" == "berth-supervisor $version" ]] || die "the executable reports '$reported', expected version $version"

rm -rf "$dest_dir.tmp"
mkdir -p "$dest_dir.tmp"
install -m 0755 "$work/dist/berth-supervisor/berth-supervisor" "$dest_dir.tmp/berth-supervisor"
cp -a "$work/dist/berth-supervisor/$LIB_NAME" "$dest_dir.tmp/$LIB_NAME"
chmod -R a+rX "$dest_dir.tmp/$LIB_NAME"
rm -rf "$dest_dir"
mv "$dest_dir.tmp" "$dest_dir"
# Every source change is a new version: keep the newest few, so the cache does not grow without end.
find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9a-f]\{16\}' -printf '%T@ %p\n' \
  | sort -rn | tail -n +$((KEEP_VERSIONS + 1)) | cut -d' ' -f2- | while read -r old; do
    step "pruning old build $(basename "$old")"
    rm -rf "$old"
  done
step "built $binary ($(du -sh "$dest_dir" | cut -f1) with $LIB_NAME)"
printf '%s\n' "$binary"
