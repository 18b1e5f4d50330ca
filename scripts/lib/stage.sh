# The functions of scripts/stage: the production shape on one machine. Source it.
# shellcheck shell=bash

# shellcheck source=../services.sh
source "$(dirname "${BASH_SOURCE[0]}")/../services.sh"

STAGE_DIR="$(realpath -m "${SMS_STAGE_DIR:-$SMS_ROOT/var/stage}")"
STAGE_MARK="$STAGE_DIR/.sms-stage"
ENV_FILE="$STAGE_DIR/stage.env"
STATE_FILE="$STAGE_DIR/run/state"
PG_DIR="$STAGE_DIR/pg"
REDIS_DIR="$STAGE_DIR/redis"
NGINX_DIR="$STAGE_DIR/nginx"
LOG_DIR="$STAGE_DIR/logs"
RUN_DIR="$STAGE_DIR/run"
APP_VAR_DIR="$STAGE_DIR/var"
PROMETHEUS_DIR="$STAGE_DIR/prometheus"
DEPLOY_DIR="$SMS_ROOT/deploy"
NGINX_USER=www-data
STAGE_DB=sms
STAGE_DB_ROLE=sms

# Debian's servers; WeasyPrint's libraries and fonts only warn when missing (PDF only).
STAGE_PACKAGES=(postgresql redis-server nginx)
STAGE_PDF_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2)

# What a caller may hand to the application (an SMTP sink for the end-to-end tests, Sentry,
# the school's settings); the stage's own variables below always win.
PASSTHROUGH='^(EMAIL_[A-Z_]*|SMS_[A-Z0-9_]*|SENTRY_[A-Z_]*|DEFAULT_FROM_EMAIL|SERVER_EMAIL|LOG_LEVEL|TIME_ZONE|CELERY_CONCURRENCY)$'

# --- Packages -----------------------------------------------------------------------------

# Install what is missing with apt-get (the packages' own services are not started).
stage_install_packages() {
    local missing
    mapfile -t missing < <(missing_packages "${STAGE_PACKAGES[@]}" "${STAGE_PDF_PACKAGES[@]}")
    ((${#missing[@]} == 0)) && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        mapfile -t missing < <(missing_packages "${STAGE_PACKAGES[@]}")
        ((${#missing[@]} == 0)) || die "missing system packages: ${missing[*]}; run scripts/stage up as root once to install them"
        warn "PDF exports need: ${STAGE_PDF_PACKAGES[*]}"
        return 0
    fi
    apt_install_missing "${missing[@]}" || die "apt-get could not install: ${missing[*]}"
}

# --- Files and secrets --------------------------------------------------------------------

stage_prepare_dirs() {
    if [[ -e "$STAGE_DIR" && ! -e "$STAGE_MARK" && -n "$(ls -A "$STAGE_DIR" 2>/dev/null)" ]]; then
        die "$STAGE_DIR exists and is not a stage folder; choose another SMS_STAGE_DIR"
    fi
    mkdir -p "$STAGE_DIR" "$LOG_DIR" "$RUN_DIR" "$NGINX_DIR" "$REDIS_DIR" "$APP_VAR_DIR" "$PG_DIR"
    touch "$STAGE_MARK"
    # The postgres and nginx users enter it (their own folders inside stay private).
    chmod 755 "$STAGE_DIR"
}

# A generated secret in STAGE_DIR/NAME, owner-only, made once and reused.
stage_secret() {
    local file="$STAGE_DIR/$1"
    if [[ ! -s "$file" ]]; then
        (
            umask 077
            "$VENV_PY" -c 'import secrets; print(secrets.token_hex(24))' >"$file.new"
        ) && mv "$file.new" "$file"
    fi
    chmod 600 "$file"
    tr -d '[:space:]' <"$file"
}

# Folders another user needs to reach: every parent must let them pass.
stage_check_access() {
    local user="$1" path="$2" what="$3"
    is_root || return 0
    runuser -u "$user" -- test -r "$path" ||
        die "the $user user cannot read $path ($what); put SMS_STAGE_DIR where every parent folder is enterable (chmod o+x)"
}

# --- Processes ----------------------------------------------------------------------------

pidfile() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }

# The pid of NAME when it runs and is still that program (a stale pid file after a reboot
# may name somebody else's process).
running_pid() {
    local name="$1" pattern="$2" file pid
    file="$(pidfile "$name")"
    [[ -s "$file" ]] || return 1
    pid="$(head -n 1 "$file")"
    [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$pattern" || return 1
    printf '%s\n' "$pid"
}

# Processes get exactly the stage environment (stage.env over this minimal base), so
# nothing from the caller's shell (a test run's DEBUG or settings module) leaks in.
STAGE_BASE_ENV=(PATH="$PATH" HOME="${HOME:-/root}" LANG=C.UTF-8 PYTHONUNBUFFERED=1)
[[ -n "${TMPDIR:-}" ]] && STAGE_BASE_ENV+=(TMPDIR="$TMPDIR")
STAGE_LOAD_ENV='set -a; . "$1"; set +a; shift; exec "$@"'

stage_exec() {
    (cd "$SMS_ROOT" && env -i "${STAGE_BASE_ENV[@]}" bash -c "$STAGE_LOAD_ENV" stage-env "$ENV_FILE" "$@")
}

# Start a program in its own session, detached, output to logs/NAME.log; pid to run/.
start_daemon() {
    local name="$1"
    shift
    (
        cd "$SMS_ROOT"
        exec env -i "${STAGE_BASE_ENV[@]}" setsid bash -c "$STAGE_LOAD_ENV" stage-env "$ENV_FILE" \
            "$@" </dev/null >>"$LOG_DIR/$name.log" 2>&1
    ) &
    printf '%s\n' "$!" >"$(pidfile "$name")"
}

# Send SIGNAL (TERM; "" when already sent) to a process and wait up to TIMEOUT seconds,
# then SIGKILL it. Its group goes too (a Celery worker's pool, nginx's workers): every
# daemon here leads its own session.
stop_pid() {
    local pid="$1" timeout="$2" signal="${3-TERM}" deadline
    kill -0 "$pid" 2>/dev/null || return 0
    if [[ -n "$signal" ]]; then
        kill "-$signal" "$pid" 2>/dev/null || true
    fi
    deadline=$((SECONDS + timeout))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
}

# --- Services -----------------------------------------------------------------------------

stage_start_postgres() {
    local port="$1" password="$2" bindir data="$PG_DIR/data" sql
    bindir="$(pg_bindir)"
    [[ -x "$bindir/initdb" && -x "$bindir/pg_ctl" && -x "$bindir/psql" ]] ||
        die "PostgreSQL server binaries (initdb, pg_ctl, psql) not found; set PG_BINDIR"
    mkdir -p "$PG_DIR/socket"
    if is_root; then
        id postgres >/dev/null 2>&1 || die "the postgres system user does not exist"
        chown -R postgres:postgres "$PG_DIR"
    fi
    chmod 700 "$PG_DIR"
    stage_check_access postgres "$PG_DIR" "PostgreSQL's data"
    if [[ ! -s "$data/PG_VERSION" ]]; then
        log "Creating the PostgreSQL cluster"
        as_postgres "$bindir/initdb" -D "$data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --encoding=UTF8 --locale=C >"$LOG_DIR/initdb.log" 2>&1 ||
            die "initdb failed (see $LOG_DIR/initdb.log)"
    fi
    # fsync and synchronous commit stay on: this is the production shape, not a test run.
    as_postgres "$bindir/pg_ctl" -D "$data" -l "$PG_DIR/postgres.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$PG_DIR/socket" \
        start </dev/null >/dev/null || die "PostgreSQL did not start (see $PG_DIR/postgres.log)"
    # The application's role and database; the password goes through stdin, not argv.
    sql="DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$STAGE_DB_ROLE') THEN
    CREATE ROLE $STAGE_DB_ROLE LOGIN;
  END IF;
END \$\$;
ALTER ROLE $STAGE_DB_ROLE PASSWORD '$password';
SELECT 'CREATE DATABASE $STAGE_DB OWNER $STAGE_DB_ROLE'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$STAGE_DB')\\gexec"
    as_postgres "$bindir/psql" -q -h "$PG_DIR/socket" -p "$port" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 <<<"$sql" >/dev/null || die "could not create the $STAGE_DB database"
}

stage_stop_postgres() {
    local bindir data="$PG_DIR/data"
    [[ -f "$data/postmaster.pid" ]] || return 0
    bindir="$(pg_bindir)"
    # Fast shutdown: sessions are ended, the checkpoint is written, nothing to recover.
    as_postgres "$bindir/pg_ctl" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
        as_postgres "$bindir/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
}

stage_start_redis() {
    local port="$1" password="$2" config="$REDIS_DIR/redis.conf"
    (
        umask 077
        cat >"$config" <<EOF
bind 127.0.0.1
port $port
requirepass $password
dir $REDIS_DIR
# Append-only persistence: queued imports and exports (the Celery broker) and the job
# leases survive a restart; at most the last second of writes is lost.
appendonly yes
appendfsync everysec
save ""
daemonize yes
pidfile $RUN_DIR/redis.pid
logfile $LOG_DIR/redis.log
EOF
    )
    "$(command -v redis-server || echo /usr/bin/redis-server)" "$config" </dev/null >/dev/null 2>&1 ||
        die "redis-server did not start (see $LOG_DIR/redis.log)"
    wait_for_port "$port" 15 || die "Redis does not answer on 127.0.0.1:$port"
}

# SIGTERM is Redis's SHUTDOWN: the append-only file is flushed and fsynced before it exits.
stage_stop_redis() {
    local pid
    pid="$(running_pid redis redis-server)" || return 0
    stop_pid "$pid" 15
}

stage_render_nginx() {
    local port="$1" template servers="" web_port user=""
    shift
    for web_port in "$@"; do
        servers+="        server 127.0.0.1:$web_port max_fails=0;"$'\n'
    done
    if is_root; then
        user="user $NGINX_USER;"
    fi
    [[ -f /etc/nginx/mime.types ]] || die "/etc/nginx/mime.types is missing (package nginx-common)"
    template="$(<"$DEPLOY_DIR/stage-nginx.conf.template")"
    template="${template//@USER@/"$user"}"
    template="${template//@STAGE_DIR@/"$STAGE_DIR"}"
    template="${template//@DEPLOY_DIR@/"$DEPLOY_DIR"}"
    template="${template//@MIME_TYPES@//etc/nginx/mime.types}"
    template="${template//@STATIC_ROOT@/"$APP_VAR_DIR/staticfiles"}"
    template="${template//@PORT@/"$port"}"
    template="${template//@UPSTREAM_SERVERS@$'\n'/"$servers"}"
    printf '%s\n' "$template" >"$NGINX_DIR/nginx.conf"
}

nginx_args() {
    printf '%s\n' -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$LOG_DIR/nginx-error.log"
}

stage_start_nginx() {
    local port="$1" args nginx
    # Debian's binary, in /usr/sbin, which a non-root PATH may lack.
    nginx="$(command -v nginx || echo /usr/sbin/nginx)"
    mapfile -t args < <(nginx_args)
    "$nginx" -t -q "${args[@]}" 2>>"$LOG_DIR/nginx-error.log" ||
        die "the generated nginx configuration is invalid (see $LOG_DIR/nginx-error.log)"
    # nginx's own pid file (run/nginx.pid, from the template) names its master process.
    "$nginx" "${args[@]}" </dev/null >>"$LOG_DIR/nginx-error.log" 2>&1 ||
        die "nginx did not start (see $LOG_DIR/nginx-error.log)"
    wait_for_port "$port" 15 || die "nginx does not answer on 127.0.0.1:$port"
}

# QUIT: finish the requests in flight, then exit.
stage_stop_nginx() {
    local pid
    pid="$(running_pid nginx nginx)" || return 0
    stop_pid "$pid" 10 QUIT
}

# --- Application --------------------------------------------------------------------------

stage_manage() { stage_exec "$VENV_PY" manage.py "$@"; }

# collectstatic, migrate and `check --deploy` (failing on a warning) in one start-up of
# Django instead of three. collectstatic goes first: with the manifest, the URL
# configuration the other two check names a hashed file (favicon.ico in sms/urls.py).
STAGE_PREPARE='
import django
from django.core.management import call_command

django.setup()
call_command("collectstatic", interactive=False, verbosity=0)
call_command("migrate", interactive=False, verbosity=0, skip_checks=True)
call_command("check", deploy=True, fail_level="WARNING")
'

stage_prepare_app() { stage_exec "$VENV_PY" -c "$STAGE_PREPARE"; }

web_names() {
    local n
    for ((n = 1; n <= $1; n++)); do printf 'web%d\n' "$n"; done
}

stage_start_web() {
    local name="$1" port="$2"
    # No --proxy-headers: daphne would take the client-written, leftmost X-Forwarded-For
    # entry; the application reads the one nginx wrote (SMS_NUM_PROXIES=1).
    # -v 0: the app writes its own JSON access line per request; daphne's plain-text one
    # would interleave with them.
    start_daemon "$name" "$VENV_PY" -m daphne -v 0 -b 127.0.0.1 -p "$port" sms.asgi:application
}

stage_start_celery() {
    local concurrency="${CELERY_CONCURRENCY:-2}"
    start_daemon worker "$VENV_PY" -m celery -A sms worker -l info -n "stage@%h" \
        --concurrency "$concurrency"
    start_daemon beat "$VENV_PY" -m celery -A sms beat -l info --pidfile= \
        --schedule "$RUN_DIR/celerybeat-schedule"
}

# Wait until the site is ready through nginx: /health/ answers 200 (database, Redis, the
# cache and the disk all ok); the last reason goes to stderr when it never is.
stage_wait_ready() {
    local url="$1" timeout="$2" deadline problem=""
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if problem="$(stage_exec "$VENV_PY" "$DEPLOY_DIR/healthcheck.py" "$url/health/" 2>&1)"; then
            return 0
        fi
        stage_all_alive || break
        sleep 0.5
    done
    [[ -n "$problem" ]] && warn "$problem"
    return 1
}

# The worker says "ready." once it consumes; its log is appended to, so look past OFFSET.
stage_wait_worker() {
    local offset="$1" timeout="$2" deadline log="$LOG_DIR/worker.log"
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if tail -c "+$((offset + 1))" "$log" 2>/dev/null | grep -q ' ready\.'; then
            return 0
        fi
        running_pid worker celery >/dev/null || return 1
        sleep 0.3
    done
    return 1
}

# --- State --------------------------------------------------------------------------------

# Every process of the stage with the pattern its command line must match.
stage_components() {
    local web_count=0
    # shellcheck disable=SC1090
    [[ -f "$STATE_FILE" ]] && web_count="$(. "$STATE_FILE" && printf '%s' "${WEB_COUNT:-0}")"
    printf '%s %s\n' nginx nginx
    web_names "$web_count" | sed 's/$/ daphne/'
    printf '%s %s\n' worker celery beat celery redis redis-server
}

stage_postgres_pid() {
    local data="$PG_DIR/data" pid
    [[ -f "$data/postmaster.pid" ]] || return 1
    pid="$(head -n 1 "$data/postmaster.pid")"
    kill -0 "$pid" 2>/dev/null || return 1
    printf '%s\n' "$pid"
}

stage_all_alive() {
    local name pattern
    stage_postgres_pid >/dev/null || return 1
    while read -r name pattern; do
        running_pid "$name" "$pattern" >/dev/null || return 1
    done < <(stage_components)
}

stage_any_alive() {
    local name pattern
    stage_postgres_pid >/dev/null && return 0
    while read -r name pattern; do
        running_pid "$name" "$pattern" >/dev/null && return 0
    done < <(stage_components)
    return 1
}

stage_url() {
    # shellcheck disable=SC1090
    [[ -f "$STATE_FILE" ]] && (. "$STATE_FILE" && printf 'http://127.0.0.1:%s\n' "$NGINX_PORT")
}

# --- Environment file ---------------------------------------------------------------------

# stage.env: one KEY=value a line, shell-quoted (`set -a; . stage.env`), owner-only.
stage_write_env() {
    local -n stage_vars="$1"
    local key
    (
        umask 077
        {
            printf '# Written by scripts/stage up; the environment of every process of the stage.\n'
            while read -r key; do
                [[ -n "${stage_vars[$key]+set}" ]] && continue
                printf '%s=%q\n' "$key" "${!key}"
            done < <(compgen -e | grep -E "$PASSTHROUGH" | grep -v '^SMS_STAGE_DIR$' | sort)
            for key in $(printf '%s\n' "${!stage_vars[@]}" | sort); do
                printf '%s=%q\n' "$key" "${stage_vars[$key]}"
            done
        } >"$ENV_FILE.new"
    )
    mv "$ENV_FILE.new" "$ENV_FILE"
}

# --- Commands -----------------------------------------------------------------------------

stage_down() {
    local name pattern pid pids=() stop_timeout
    [[ -d "$STAGE_DIR" ]] || return 0
    # As the run command: longer than the longest task's hard limit (docs/operations.md).
    # shellcheck disable=SC1090
    stop_timeout="$(
        [[ -f "$ENV_FILE" ]] && . "$ENV_FILE"
        printf '%s' "${SMS_STOP_TIMEOUT:-$((${SMS_LONG_TASK_TIME_LIMIT:-660} + 30))}"
    )"
    # The edge first, so no new request arrives; then the application processes together
    # (the worker finishes its running task: up to SMS_STOP_TIMEOUT); the stores last.
    stage_stop_nginx
    while read -r name pattern; do
        case "$name" in nginx | redis) continue ;; esac
        pid="$(running_pid "$name" "$pattern")" && pids+=("$name:$pid")
    done < <(stage_components)
    for pid in "${pids[@]}"; do
        kill -TERM "${pid#*:}" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        case "${pid%%:*}" in
        worker) stop_pid "${pid#*:}" "$stop_timeout" "" ;;
        *) stop_pid "${pid#*:}" 15 "" ;;
        esac
    done
    # The two stores are independent of each other: stop them together.
    stage_stop_redis &
    stage_stop_postgres
    wait
    rm -f "$RUN_DIR"/*.pid
}

stage_status() {
    local name pattern pid state all=0 url
    url="$(stage_url || true)"
    if pid="$(stage_postgres_pid)"; then state=running; else state=stopped all=1 pid=-; fi
    printf '%-9s %-8s %s\n' postgres "$state" "$pid"
    while read -r name pattern; do
        if pid="$(running_pid "$name" "$pattern")"; then
            state=running
        else
            state=stopped all=1 pid=-
        fi
        printf '%-9s %-8s %s\n' "$name" "$state" "$pid"
    done < <(stage_components)
    if ((all == 0)); then
        printf 'up: %s (state in %s)\n' "$url" "$STAGE_DIR"
    else
        printf 'not (fully) up; state in %s\n' "$STAGE_DIR"
    fi
    return $((all == 0 ? 0 : 3))
}
