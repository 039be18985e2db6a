#!/usr/bin/env bash
# Installs (Debian packages) and starts the service the cluster tests use: PostgreSQL (the coordinator's
# Akka.Persistence.Sql journal), plus docker-compose (used only to validate docker-compose.yml),
# bound to loopback, with a test user distgmm/distgmm. Idempotent: on a machine where they
# already run it only checks them. Runs as root; there is no systemd here, so daemons are started
# through their own scripts and polled (bounded) until they answer.
#
# Everything it logs goes to stderr; stdout carries only the variables the tests read, so callers do
#   eval "$(bash scripts/services.sh)"
# and get DISTGMM_TEST_PG exported.
set -euo pipefail

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts daemons)"

readonly TEST_USER=distgmm TEST_PASSWORD=distgmm TEST_DB=distgmm_test

# Wait up to $1 seconds for the command in "$@" (after the first argument) to succeed.
wait_until() {
  local limit=$1; shift
  local waited=0
  until "$@" >/dev/null 2>&1; do
    [ "$waited" -ge "$limit" ] && return 1
    sleep 1; waited=$((waited + 1))
  done
}

# ---- install (one apt-get update, only when something is missing) ----------------------------------
missing=()
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || missing+=(postgresql)
command -v pg_isready >/dev/null 2>&1 || missing+=(postgresql-client)
# docker-compose (v1, Debian's) only validates docker-compose.yml in the tests; no Docker daemon is used.
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  # Keep package scripts from starting daemons mid-install (we start them below, configured).
  added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; added_policy=1
  fi
  # Other jobs may hold the dpkg lock: wait for it rather than fail.
  apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
  [ "$added_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
fi

# ---- PostgreSQL -----------------------------------------------------------------------------------------
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
[ -n "$pg_version" ] || die "no PostgreSQL server version under /usr/lib/postgresql"
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}' | grep -qx "${pg_version}/main"; then
  log "creating PostgreSQL cluster ${pg_version}/main"
  pg_createcluster "$pg_version" main >&2
fi
pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1==v && $2=="main" {print $3}')
pg_conf=/etc/postgresql/${pg_version}/main/postgresql.conf
# Loopback only (Debian's default is 'localhost'; make it explicit and independent of name resolution).
if ! grep -qE "^listen_addresses = '127.0.0.1'" "$pg_conf"; then
  sed -i -E "s/^#?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$pg_conf"
  pg_ctlcluster "$pg_version" main status >/dev/null 2>&1 && pg_ctlcluster "$pg_version" main restart >&2
fi
if ! pg_ctlcluster "$pg_version" main status >/dev/null 2>&1; then
  log "starting PostgreSQL ${pg_version}/main"
  pg_ctlcluster "$pg_version" main start >&2
fi
wait_until 60 pg_isready -q -h 127.0.0.1 -p "$pg_port" \
  || die "PostgreSQL did not answer on 127.0.0.1:${pg_port} within 60 s"

psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$pg_port" -tA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '${TEST_USER}'")" != "1" ]; then
  psql_admin -c "CREATE ROLE ${TEST_USER} LOGIN PASSWORD '${TEST_PASSWORD}'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '${TEST_DB}'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE ${TEST_DB} OWNER ${TEST_USER}" >&2
fi
PGPASSWORD=$TEST_PASSWORD psql -X -q -h 127.0.0.1 -p "$pg_port" -U "$TEST_USER" -d "$TEST_DB" -tA -c 'SELECT 1' >/dev/null \
  || die "cannot log in to PostgreSQL as ${TEST_USER} on 127.0.0.1:${pg_port}/${TEST_DB}"
log "postgresql ready on 127.0.0.1:${pg_port}, database ${TEST_DB}"

echo "export DISTGMM_TEST_PG='Host=127.0.0.1;Port=${pg_port};Username=${TEST_USER};Password=${TEST_PASSWORD};Database=${TEST_DB}'"
