# Shared helpers for the project's bash scripts. Source it; do not run it.
# shellcheck shell=bash

SMS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV_DIR="${VENV_DIR:-$SMS_ROOT/.venv}"
VENV_PY="$VENV_DIR/bin/python"

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# The newest Python 3 that is at least 3.11, by name first, then plain python3.
find_python() {
    local candidate
    for candidate in python3.11 python3.12 python3.13 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

# Hash of a requirements file together with the files it includes with -r.
requirements_hash() {
    local file="$1" dir included
    dir="$(dirname "$file")"
    {
        cat "$file"
        while read -r included; do
            [[ -f "$dir/$included" ]] && cat "$dir/$included"
        done < <(sed -n 's/^-r[[:space:]]*//p' "$file")
    } | sha256sum | cut -d' ' -f1
}

# Create .venv when missing and install a requirements file when it changed since the
# last install (a stamp under .venv keeps the hash).
ensure_venv() {
    local requirements="$SMS_ROOT/${1:-requirements.txt}" python stamp wanted
    if [[ ! -x "$VENV_PY" ]]; then
        python="$(find_python)" || die "Python 3.11 or newer is required (python3.11 not found)."
        log "Creating virtualenv .venv with $("$python" --version 2>&1)"
        "$python" -m venv "$VENV_DIR"
    fi
    stamp="$VENV_DIR/.installed-$(basename "$requirements").sha256"
    wanted="$(requirements_hash "$requirements")"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return 0
    fi
    log "Installing $(basename "$requirements") into .venv"
    "$VENV_PY" -m pip install --disable-pip-version-check -q --upgrade pip
    "$VENV_PY" -m pip install --disable-pip-version-check -q -r "$requirements"
    printf '%s\n' "$wanted" >"$stamp"
}

package_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Print the Debian packages of the arguments that are not installed.
missing_packages() {
    local package
    command -v dpkg-query >/dev/null 2>&1 || return 0
    for package in "$@"; do
        package_installed "$package" || printf '%s\n' "$package"
    done
}

# Install the missing Debian packages among the arguments. Returns non-zero when some are
# missing and cannot be installed here (not root, or no apt-get).
apt_install_missing() {
    local missing status=0 policy=/usr/sbin/policy-rc.d own_policy=0
    mapfile -t missing < <(missing_packages "$@")
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if ! is_root || ! command -v apt-get >/dev/null 2>&1; then
        warn "missing system packages: ${missing[*]} (install them as root with apt-get)"
        return 1
    fi
    # While apt-get runs, a policy-rc.d (unless the machine has one) keeps Debian from
    # starting the packages' own services: nginx would take port 80, PostgreSQL 5432.
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        own_policy=1
    fi
    log "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    {
        apt-get -o DPkg::Lock::Timeout=300 update -qq &&
            apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
                "${missing[@]}" >/dev/null
    } || status=$?
    ((own_policy)) && rm -f "$policy"
    return "$status"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    local python
    python="$(find_python)" || python="$VENV_PY"
    "$python" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
'
}

# Wait until a TCP port on 127.0.0.1 accepts connections (seconds, default 15).
wait_for_port() {
    local port="$1" timeout="${2:-15}" deadline
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# The demo run: scripts/run with DEBUG unset or on (read as settings read it: 1, true, yes
# or on). With DEBUG set to anything else it is a production start: no generated key, no
# demo data, no demo logins.
is_demo_run() {
    local debug="${DEBUG-1}"
    debug="$(printf '%s' "$debug" | tr '[:upper:]' '[:lower:]' | tr -d '[:space:]')"
    [[ "$debug" == 1 || "$debug" == true || "$debug" == yes || "$debug" == on ]]
}

# Print the demo run's SECRET_KEY: generated once into <var dir>/secret_key, readable by
# its owner only, and reused on every later start so sessions and tokens survive restarts.
demo_secret_key() {
    local var_dir="$1" file="$1/secret_key" python
    if [[ ! -s "$file" ]]; then
        python="$(find_python)" || python="$VENV_PY"
        mkdir -p "$var_dir"
        (
            umask 077
            "$python" -c 'import secrets; print(secrets.token_urlsafe(50))' >"$file.new"
        ) && mv "$file.new" "$file"
    fi
    chmod 600 "$file"
    tr -d '[:space:]' <"$file"
}
