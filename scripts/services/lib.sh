# Shared helpers of the service scripts: logging, installing what is missing, waiting for a service.
# Sourced, never run. Every function is safe to call again: the scripts must be rerunnable at will.

# shellcheck shell=bash
set -euo pipefail

BERTH_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BERTH_STATE="${BERTH_STATE:-$HOME/.cache/berth/state}"
BERTH_CACHE="${BERTH_CACHE:-$HOME/.cache/berth}"
BERTH_PYTHON="${BERTH_PYTHON:-$BERTH_REPO/.venv/bin/python}"
export BERTH_REPO BERTH_STATE BERTH_CACHE BERTH_PYTHON

log() { printf '[%s] %s\n' "${BERTH_SERVICE:-berth}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# die, showing the end of a log file: a service that does not come up says why in its log.
die_with_log() {
    local message=$1 file=$2
    log "error: $message"
    if [[ -f $file ]]; then
        log "last lines of $file:"
        tail -n 40 "$file" >&2 || true
    fi
    exit 1
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "run as root (it installs packages and starts system services)"
}

# need_apt_package PACKAGE... : install the Debian packages that are not installed yet.
need_apt_package() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    need_root
    log "installing ${missing[*]}"
    # A fresh CI image has no package lists yet; an update is cheap next to a failed install.
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; then
        apt-get update >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
    fi
}

# wait_for [--pidfile FILE] SECONDS DESCRIPTION COMMAND... : retry COMMAND until it succeeds or
# SECONDS pass; with --pidfile, give up at once when that process dies (its log says why).
wait_for() {
    local pidfile=""
    if [[ $1 == --pidfile ]]; then pidfile=$2; shift 2; fi
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [[ -n $pidfile ]] && ! pid_alive "$pidfile"; then
            log "$what exited while starting"
            return 1
        fi
        ((SECONDS < deadline)) || { log "$what did not answer within ${timeout}s"; return 1; }
        sleep 0.5
    done
}

# pid_alive PIDFILE [PATTERN] : the process recorded in PIDFILE runs (and its command line has
# PATTERN: after a reboot the recorded pid may belong to something else).
pid_alive() {
    local pidfile=$1 pattern=${2:-} pid
    [[ -f $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    [[ -z $pattern ]] && return 0
    local cmdline
    cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmdline == *"$pattern"* ]]
}

# port_free PORT : nothing listens on 127.0.0.1:PORT.
port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# stop_pid PIDFILE SECONDS [PATTERN] : SIGTERM the recorded process (if it is still the one PATTERN
# names), SIGKILL it if it lingers, forget it.
stop_pid() {
    local pidfile=$1 timeout=$2 pattern=${3:-} pid
    if pid_alive "$pidfile" "$pattern"; then
        pid=$(<"$pidfile")
        kill -TERM "$pid"
        local deadline=$((SECONDS + timeout))
        while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
        if kill -0 "$pid" 2>/dev/null; then
            log "pid $pid ignored SIGTERM for ${timeout}s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# run_detached LOGFILE PIDFILE COMMAND... : start COMMAND in its own session (so it outlives this
# script and the caller's process group), output appended to LOGFILE, its pid in PIDFILE.
run_detached() {
    local logfile=$1 pidfile=$2
    shift 2
    # Not a group leader when backgrounded from a script, so setsid execs in place and $! is COMMAND's pid.
    setsid "$@" </dev/null >>"$logfile" 2>&1 &
    echo $! >"$pidfile"
}

usage() {
    echo "usage: $0 ${1:-start|stop|status}" >&2
    exit 2
}
