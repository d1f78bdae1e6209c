#!/usr/bin/env bash
# The Docker engine that runs workspaces in the embedded mode and the docker tests.
#
#   scripts/services/docker.sh start|stop|status
#
# Uses a running engine when `docker info` answers (systemd's, or one started earlier). Otherwise
# installs Debian's `docker.io` if dockerd is missing and starts dockerd in the background, logging
# to $BERTH_STATE/docker/dockerd.log. `stop` only stops a dockerd this script started.

BERTH_SERVICE=docker
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="$BERTH_STATE/docker"
PIDFILE="$STATE/dockerd.pid"
DOCKERD_LOG="$STATE/dockerd.log"

engine_answers() { docker info >/dev/null 2>&1; }

start() {
    if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
        need_apt_package docker.io
    fi
    if ! engine_answers; then
        need_root
        mkdir -p "$STATE"
        if ! pid_alive "$PIDFILE" dockerd; then
            log "starting dockerd (log: $DOCKERD_LOG)"
            echo "--- start $(date -Is)" >>"$DOCKERD_LOG"
            run_detached "$DOCKERD_LOG" "$PIDFILE" dockerd
        fi
        wait_for --pidfile "$PIDFILE" 60 "dockerd" engine_answers || die_with_log "dockerd is not answering" "$DOCKERD_LOG"
    fi
    echo "running: $(docker info --format 'Docker {{.ServerVersion}}, {{.Driver}} storage')"
}

stop() {
    if pid_alive "$PIDFILE" dockerd; then
        log "stopping the dockerd this script started"
        stop_pid "$PIDFILE" 30 dockerd
    elif engine_answers; then
        log "the running engine was not started by this script; leaving it alone"
    fi
}

status() {
    if engine_answers; then
        echo "running: $(docker info --format 'Docker {{.ServerVersion}}')"
    else
        echo "stopped"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
