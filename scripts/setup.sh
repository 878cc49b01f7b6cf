#!/usr/bin/env bash
# Bootstrap a machine for building and testing Isotyp.
#
# Written for a fresh Debian 12 host that has only Node 20 and npm, and safe to run again on a
# machine that already has everything (each step checks first and does nothing when satisfied).
# Needs no stdin and behaves the same with CI=true.
#
#   1. system packages (apt, only as root and only when something is missing)
#   2. pnpm at the version pinned in package.json ("packageManager")
#   3. pnpm install --frozen-lockfile
#   4. pnpm build
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PNPM_VERSION="10.34.9"

# Never wait for an answer: no TTY prompts from pnpm/corepack/apt, and nothing reads our stdin.
export CI="${CI:-true}"
export DEBIAN_FRONTEND=noninteractive
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
# Corepack's signature check fails against this registry's metadata; 0 skips it (see
# /work/shared/ENVIRONMENT.md). Needed for `corepack prepare` and when the shim runs pnpm.
export COREPACK_INTEGRITY_KEYS=0
exec </dev/null

log() { printf '\n==> %s\n' "$*"; }

# --- 1. system packages ---------------------------------------------------------------------
# python3, make and g++ let node-gyp compile native modules (better-sqlite3) from source, since
# prebuilt binaries are downloaded from GitHub, which is unreachable here. postgresql and sqlite3
# are used by the test suites (a throwaway PostgreSQL server; the sqlite3 CLI).
APT_PACKAGES=(python3 make g++ postgresql sqlite3)
# ss (iproute2): the server test reads a listening socket's backlog with it.
APT_PACKAGES+=(iproute2)
# The replica-set harness (scripts/test-support/replica-set.mjs) and the load bench put nginx in
# front of several control planes as a loopback load balancer, passing TLS through at layer 4:
# Debian builds nginx's stream module as a separate package.
APT_PACKAGES+=(nginx libnginx-mod-stream)
# The control plane can relay its events to NATS JetStream; its test runs Debian's nats-server.
APT_PACKAGES+=(nats-server)
# keytar (OS keychain) compiles against libsecret; its tests talk to a real Secret Service:
# gnome-keyring on a D-Bus session bus of their own (dbus-run-session).
if grep -q "^  keytar@" pnpm-lock.yaml 2>/dev/null; then
  APT_PACKAGES+=(libsecret-1-dev gnome-keyring dbus-daemon)
fi
# The web console's tests drive Debian's Chromium through playwright-core (which never
# downloads a browser of its own here).
if grep -q "^  playwright-core@" pnpm-lock.yaml 2>/dev/null; then
  APT_PACKAGES+=(chromium)
fi

missing_apt_packages() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_system_packages() {
  if ! command -v dpkg-query >/dev/null 2>&1; then
    log "Not a Debian-like system (no dpkg-query); skipping system packages"
    return
  fi
  local missing
  mapfile -t missing < <(missing_apt_packages)
  if [ "${#missing[@]}" -eq 0 ]; then
    log "System packages present: ${APT_PACKAGES[*]}"
    return
  fi
  if [ "$(id -u)" -ne 0 ]; then
    log "WARNING: not root, so not installing missing system packages: ${missing[*]}"
    echo "    Ask an administrator to run: apt-get install -y ${missing[*]}"
    return
  fi
  log "Installing system packages: ${missing[*]}"
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
}

# --- 2. pnpm --------------------------------------------------------------------------------
pnpm_is_pinned_version() {
  command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]
}

install_pnpm() {
  if pnpm_is_pinned_version; then
    log "pnpm $PNPM_VERSION present"
    return
  fi
  # Corepack ships with Node and honours "packageManager" in package.json, so it is preferred.
  log "Installing pnpm $PNPM_VERSION with corepack"
  if command -v corepack >/dev/null 2>&1 &&
    corepack enable &&
    corepack prepare "pnpm@$PNPM_VERSION" --activate &&
    pnpm_is_pinned_version; then
    return
  fi
  # --force replaces a corepack shim that may already sit where npm wants to put pnpm.
  log "corepack did not provide pnpm $PNPM_VERSION; installing it with npm"
  npm install --global "pnpm@$PNPM_VERSION" --force
  hash -r
  if ! pnpm_is_pinned_version; then
    echo "ERROR: could not install pnpm $PNPM_VERSION (found: $(pnpm --version 2>&1 || echo none))" >&2
    exit 1
  fi
}

# --- 3. dependencies ------------------------------------------------------------------------
install_dependencies() {
  # node-gyp normally downloads Node's headers from nodejs.org, which is unreachable here.
  # Point it at the headers installed with Node itself (/usr/include/node for Debian's and
  # NodeSource's packages), unless the user configured a nodedir already.
  if [ -z "${npm_config_nodedir:-}" ]; then
    local node_prefix
    node_prefix="$(cd "$(dirname "$(command -v node)")/.." && pwd)"
    if [ -f "$node_prefix/include/node/node_api.h" ]; then
      export npm_config_nodedir="$node_prefix"
    fi
  fi
  log "pnpm install --frozen-lockfile"
  pnpm install --frozen-lockfile
}

# --- 4. build -------------------------------------------------------------------------------
build() {
  log "pnpm build"
  pnpm build
}

install_system_packages
install_pnpm
install_dependencies
build
log "Setup complete"
