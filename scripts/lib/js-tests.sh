#!/usr/bin/env bash
# JavaScript unit tests for static/js (tests/js/*.test.mjs): node's built-in test runner in
# a jsdom window, jsdom pinned by package-lock.json and installed from the npm registry.
#
#   scripts/lib/js-tests.sh     install node and npm with apt-get when missing (as root),
#                               `npm ci` when package-lock.json changed, run the tests
#
# scripts/test sources this file and calls js_tests. Exit status: non-zero on any failure.
# Node 18.19 is the oldest that works (node:test mock.timers); Debian 12 ships 18.20.
# shellcheck shell=bash

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# True when `node` is 18.19 or newer.
node_supported() {
    command -v node >/dev/null 2>&1 || return 1
    node -e '
const [major, minor] = process.versions.node.split(".").map(Number);
process.exit(major > 18 || (major === 18 && minor >= 19) ? 0 : 1);
'
}

ensure_node() {
    local packages=()
    command -v node >/dev/null 2>&1 || packages+=(nodejs)
    command -v npm >/dev/null 2>&1 || packages+=(npm)
    if ((${#packages[@]} > 0)); then
        apt_install_missing "${packages[@]}" || return 1
    fi
    if ! node_supported; then
        warn "node $(node --version 2>/dev/null || echo '(none)') is too old: the JavaScript tests need 18.19 or newer"
        return 1
    fi
}

# `npm ci` (exactly the lock file) unless node_modules already holds this lock file.
ensure_node_modules() {
    local stamp="$SMS_ROOT/node_modules/.installed-package-lock.sha256" wanted
    wanted="$(sha256sum "$SMS_ROOT/package-lock.json" | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return 0
    fi
    log "Installing the JavaScript test tools (npm ci)"
    (cd "$SMS_ROOT" && npm ci --no-audit --no-fund --loglevel=error) || return 1
    printf '%s\n' "$wanted" >"$stamp"
}

js_tests() {
    ensure_node || return 1
    ensure_node_modules || return 1
    log "JavaScript tests with node $(node --version)"
    (cd "$SMS_ROOT" && node --test --test-reporter=spec tests/js/*.test.mjs)
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    js_tests
fi
