#!/usr/bin/env bash
# Build Berth's offline base workspace image once: debootstrap (Debian bookworm) -> rootfs tarball
# (cached) -> `docker import` as berth/base:<version> and berth/base:latest.
#
# No container registry is reachable on Berth machines, so the base image is made from Debian
# packages fetched through the apt mirror this machine already uses.
#
# Idempotent and cheap to re-run:
#   - berth/base:<version> exists          -> (re)tag :latest, exit 0
#   - the rootfs tarball is cached         -> import only
#   - otherwise                            -> debootstrap, tar, cache, import
# Nothing half-done is left behind: the rootfs is built in a temp dir next to the cache and the
# tarball is moved into place with an atomic rename only once it is complete.
#
# Environment:
#   BERTH_DEBIAN_MIRROR   override the mirror (default: the one in /etc/apt/sources.list[.d])
#   BERTH_CACHE_DIR       override the cache root (default: $HOME/.cache/berth)
#   BERTH_BASE_REBUILD=1  ignore the existing image and cached tarball
set -Eeuo pipefail

# Bump whenever the recipe below changes: it names the cache entry and the image tag.
readonly VERSION="bookworm-1"
readonly SUITE="bookworm"
readonly IMAGE="berth/base"
readonly USER_NAME="berth"
readonly USER_ID=33333
readonly PACKAGES="bash,git,python3,procps,sudo,ca-certificates,locales,curl,less"

readonly CACHE_ROOT="${BERTH_CACHE_DIR:-$HOME/.cache/berth}/base-image"
readonly CACHE_DIR="$CACHE_ROOT/$VERSION"
readonly TARBALL="$CACHE_DIR/rootfs.tar.zst"

step() { printf '\n==> [base-image %s] %s\n' "$VERSION" "$*" >&2; }
die() { printf '\nERROR [base-image %s]: %s\n' "$VERSION" "$*" >&2; exit 1; }

# A failing command anywhere aborts with its line, so a broken step is never silent.
trap 'rc=$?; printf "\nERROR [base-image %s]: command failed (exit %s) at line %s: %s\n" \
  "$VERSION" "$rc" "$LINENO" "$BASH_COMMAND" >&2' ERR

need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    die "debootstrap needs root (run with sudo, or have the image cached already)"
  fi
}

# Fresh CI machines may lack the tools; install them through apt (the only reachable source).
ensure_tools() {
  local missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v zstd >/dev/null || missing+=(zstd)
  [[ -e /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
  if ((${#missing[@]})); then
    need_root
    step "installing missing tools: ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

ensure_docker() {
  command -v docker >/dev/null || die "the docker CLI is not installed (Debian package docker.io)"
  docker info >/dev/null 2>&1 || die "the Docker engine is not reachable (is dockerd running? try: nohup dockerd >/tmp/dockerd.log 2>&1 &)"
}

# The mirror apt already uses here for a suite: deb822 *.sources first, then one-line *.list
# entries. Disabled files (e.g. *.list.disabled-*) are not read because only the real suffixes match.
# Prints nothing when no source carries the suite.
mirror_for_suite() {
  local suite="$1" f uri
  shopt -s nullglob
  for f in /etc/apt/sources.list.d/*.sources; do
    # The stanza whose Suites include bookworm (not bookworm-security) and whose URI is a Debian archive.
    uri=$(awk -v suite="$suite" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); uris = $i }
          if ($i ~ /^Suites:/) { n = split($i, s, /[ \t]+/); for (j = 2; j <= n; j++) if (s[j] == suite) ok = 1 }
        }
        if (ok && uris != "") { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f")
    if [[ -n "$uri" ]]; then echo "$uri"; return; fi
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -r "$f" ]] || continue
    uri=$(awk -v suite="$suite" '$1 == "deb" {
        i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
        if ($(i + 1) == suite) { print $i; exit }
      }' "$f")
    if [[ -n "$uri" ]]; then echo "$uri"; return; fi
  done
  shopt -u nullglob
}

detect_mirror() {
  local uri="${BERTH_DEBIAN_MIRROR:-}"
  [[ -n "$uri" ]] || uri=$(mirror_for_suite "$SUITE")
  echo "${uri:-http://deb.debian.org/debian}"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# Unmount whatever debootstrap left mounted under the build dir (deepest first), then delete it
# without ever crossing into a mount: a stray bind of /dev or /proc must never be recursed into.
cleanup_build_dir() {
  local dir="$1"
  [[ -n "$dir" && -d "$dir" ]] || return 0
  local mounts
  mounts=$(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r)
  local m
  for m in $mounts; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$dir"
}

build_tarball() {
  need_root
  ensure_tools
  local mirror security
  mirror=$(detect_mirror)
  security=$(mirror_for_suite "$SUITE-security")
  mkdir -p "$CACHE_ROOT"
  BUILD_DIR=$(mktemp -d "$CACHE_ROOT/.build-$VERSION.XXXXXX")
  trap 'cleanup_build_dir "${BUILD_DIR:-}"' EXIT
  local root="$BUILD_DIR/rootfs"

  step "debootstrap $SUITE (minbase) from $mirror into $root"
  debootstrap --variant=minbase --include="$PACKAGES" --components=main \
    "$SUITE" "$root" "$mirror"

  step "configuring apt sources"
  cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
EOF
  if [[ -n "$security" ]]; then
    echo "deb $security $SUITE-security main" >>"$root/etc/apt/sources.list"
  fi
  # Snapshot mirrors serve Release files whose Valid-Until has passed; mirror the host's apt
  # setting so `apt-get update` inside a workspace works against the same mirror.
  if apt-config dump 2>/dev/null | grep -q '^Acquire::Check-Valid-Until "false"'; then
    printf 'Acquire::Check-Valid-Until "false";\n' >"$root/etc/apt/apt.conf.d/99berth-mirror"
  fi
  # debootstrap installs the release as published; take the point and security updates too.
  step "upgrading from $SUITE-updates and $SUITE-security"
  mount -t proc proc "$root/proc"
  chroot "$root" apt-get update -q
  DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get -y -q upgrade
  umount "$root/proc"
  # debootstrap copied the host's resolver for the build; Docker provides its own at run time.
  : >"$root/etc/resolv.conf"
  step "locale en_US.UTF-8, user $USER_NAME ($USER_ID) with passwordless sudo"
  echo "en_US.UTF-8 UTF-8" >"$root/etc/locale.gen"
  chroot "$root" /usr/sbin/locale-gen
  echo "LANG=en_US.UTF-8" >"$root/etc/default/locale"
  chroot "$root" /usr/sbin/groupadd --gid "$USER_ID" "$USER_NAME"
  chroot "$root" /usr/sbin/useradd --uid "$USER_ID" --gid "$USER_ID" --groups sudo \
    --create-home --home-dir "/home/$USER_NAME" --shell /bin/bash "$USER_NAME"
  printf '%s ALL=(ALL) NOPASSWD:ALL\n' "$USER_NAME" >"$root/etc/sudoers.d/$USER_NAME"
  chmod 0440 "$root/etc/sudoers.d/$USER_NAME"
  chroot "$root" /usr/sbin/visudo -cf "/etc/sudoers.d/$USER_NAME" >/dev/null
  mkdir -p "$root/workspace"
  chown "$USER_ID:$USER_ID" "$root/workspace"
  printf '%s\n' "$VERSION" >"$root/etc/berth-base-version"

  step "trimming caches"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
    "$root"/var/log/*.log \
    "$root"/tmp/* "$root"/var/tmp/*
  : >"$root/etc/machine-id"

  step "archiving the rootfs (tar | zstd)"
  local tmp_tar="$BUILD_DIR/rootfs.tar.zst"
  tar --numeric-owner --xattrs --acls --one-file-system -C "$root" -cf - . | zstd -q -T0 -10 -o "$tmp_tar"
  zstd -q -t "$tmp_tar"

  # Same filesystem as the cache, so the rename is atomic: the cache holds a whole tarball or none.
  mkdir -p "$CACHE_DIR"
  mv -f "$tmp_tar" "$TARBALL"
  step "cached $TARBALL ($(du -h "$TARBALL" | cut -f1))"
}

import_image() {
  step "docker import $TARBALL as $IMAGE:$VERSION"
  # Decompress here: older engines (20.10) do not detect zstd archives on import.
  zstd -q -dc "$TARBALL" | docker import \
    --change "USER $USER_NAME" \
    --change "WORKDIR /home/$USER_NAME" \
    --change "ENV LANG=en_US.UTF-8" \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL org.berth.base-version=$VERSION" \
    --change 'CMD ["/bin/bash"]' \
    --message "berth base image $VERSION (debootstrap $SUITE)" \
    - "$IMAGE:$VERSION" >/dev/null
}

tag_latest() {
  docker tag "$IMAGE:$VERSION" "$IMAGE:latest"
  step "ready: $IMAGE:$VERSION = $IMAGE:latest ($(docker image inspect -f '{{.Id}}' "$IMAGE:$VERSION"))"
}

main() {
  ensure_docker
  local rebuild="${BERTH_BASE_REBUILD:-0}"
  if [[ "$rebuild" != 1 ]] && image_exists "$IMAGE:$VERSION"; then
    tag_latest
    exit 0
  fi

  # One builder at a time per machine: a second run waits and then finds the work done.
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/.lock"
  if ! flock -n 9; then
    step "another build holds $CACHE_ROOT/.lock; waiting"
    flock 9
  fi
  if [[ "$rebuild" != 1 ]] && image_exists "$IMAGE:$VERSION"; then
    tag_latest
    exit 0
  fi

  if [[ "$rebuild" == 1 || ! -s "$TARBALL" ]]; then
    build_tarball
  else
    step "using cached $TARBALL"
  fi
  import_image
  tag_latest
}

main "$@"
