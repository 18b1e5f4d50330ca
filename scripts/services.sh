#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on 127.0.0.1, on free ports, for the integration tests.
#
#   scripts/services.sh start [DIR]   start both, print `export TEST_...=...` lines
#   scripts/services.sh stop DIR      stop both and remove DIR
#
# scripts/test sources this file and calls services_start / services_stop itself.
# PostgreSQL refuses to run as root, so as root its commands run as the postgres user on
# a data folder that user owns; as any other user they run as that user.
# shellcheck shell=bash

# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

POSTGRES_DB_NAME="${POSTGRES_DB_NAME:-sms}"

pg_bindir() {
    local candidate
    if [[ -n "${PG_BINDIR:-}" ]]; then
        printf '%s\n' "$PG_BINDIR"
        return 0
    fi
    # Debian keeps the server binaries out of PATH, one folder per major version.
    candidate="$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z "$candidate" ]] && command -v pg_ctl >/dev/null 2>&1; then
        candidate="$(dirname "$(readlink -f "$(command -v pg_ctl)")")"
    fi
    printf '%s\n' "$candidate"
}

as_postgres() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_redis() {
    local dir="$1" port="$2" server
    server="$(command -v redis-server)" || die "redis-server is not installed"
    mkdir -p "$dir/redis"
    "$server" --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --daemonize yes --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
        --dir "$dir/redis" >/dev/null ||
        die "redis-server did not start on port $port (see $dir/redis/redis.log)"
    wait_for_port "$port" 15 || die "redis-server does not answer on 127.0.0.1:$port"
}

stop_redis() {
    local pidfile="$1/redis/redis.pid" pid
    [[ -f "$pidfile" ]] || return 0
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

start_postgres() {
    local dir="$1" port="$2" bindir pgdir
    bindir="$(pg_bindir)"
    [[ -x "$bindir/initdb" && -x "$bindir/createdb" ]] ||
        die "PostgreSQL server binaries (initdb, pg_ctl, createdb) not found; set PG_BINDIR"
    pgdir="$dir/pg"
    mkdir -p "$pgdir/socket"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "the postgres system user does not exist"
        chown -R postgres:postgres "$pgdir"
    fi
    as_postgres "$bindir/initdb" -D "$pgdir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        die "initdb failed (see $dir/initdb.log)"
    as_postgres "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgres.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgdir/socket -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || die "PostgreSQL did not start on port $port (see $pgdir/postgres.log)"
    as_postgres "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres "$POSTGRES_DB_NAME" ||
        die "could not create database $POSTGRES_DB_NAME"
}

stop_postgres() {
    local data="$1/pg/data" bindir
    [[ -f "$data/postmaster.pid" ]] || return 0
    bindir="$(pg_bindir)"
    as_postgres "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
}

# Start both services under DIR (which must exist) and export TEST_REDIS_URL and
# TEST_DATABASE_URL. The folder is made enterable by the postgres user.
services_start() {
    local dir="$1" redis_port pg_port
    chmod 755 "$dir"
    redis_port="$(free_port)"
    start_redis "$dir" "$redis_port"
    pg_port="$(free_port)"
    start_postgres "$dir" "$pg_port"
    export TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/$POSTGRES_DB_NAME"
    printf 'export TEST_REDIS_URL=%q\nexport TEST_DATABASE_URL=%q\n' \
        "$TEST_REDIS_URL" "$TEST_DATABASE_URL" >"$dir/env"
}

services_stop() {
    local dir="$1"
    [[ -d "$dir" ]] || return 0
    stop_redis "$dir"
    stop_postgres "$dir"
    rm -rf "$dir"
}

services_main() {
    local command="${1:-}" dir="${2:-}"
    case "$command" in
    start)
        if [[ -z "$dir" ]]; then
            dir="$(mktemp -d "${TMPDIR:-/tmp}/sms-services.XXXXXX")"
        fi
        mkdir -p "$dir"
        trap 'services_stop "$dir"' EXIT
        services_start "$dir"
        trap - EXIT
        cat "$dir/env"
        printf '# stop with: %s stop %q\n' "$0" "$dir"
        ;;
    stop)
        [[ -n "$dir" ]] || die "usage: $0 stop DIR"
        services_stop "$dir"
        ;;
    *) die "usage: $0 start [DIR] | stop DIR" ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    services_main "$@"
fi
