#!/usr/bin/env bash
# Installs (Debian packages) and starts the services the cluster tests use: RabbitMQ and PostgreSQL,
# (plus docker-compose, used only to validate docker-compose.yml),
# both bound to loopback, with a test user distgmm/distgmm. Idempotent: on a machine where they
# already run it only checks them. Runs as root; there is no systemd here, so daemons are started
# through their own scripts and polled (bounded) until they answer.
#
# Everything it logs goes to stderr; stdout carries only the variables the tests read, so callers do
#   eval "$(bash scripts/services.sh)"
# and get DISTGMM_TEST_AMQP and DISTGMM_TEST_PG exported.
set -euo pipefail

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts daemons)"

readonly TEST_USER=distgmm TEST_PASSWORD=distgmm TEST_DB=distgmm_test TEST_VHOST=distgmm
readonly AMQP_PORT=5672

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
command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
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

# ---- RabbitMQ -----------------------------------------------------------------------------------------
# A fixed node name (independent of the host name, which may not resolve in containers) and loopback
# listeners for AMQP, epmd and Erlang distribution. +sbwt none: the Erlang schedulers do not spin-wait for work
# after each message burst, which on a 2-core machine took CPU from the workers computing beside the broker.
mkdir -p /etc/rabbitmq
env_conf=/etc/rabbitmq/rabbitmq-env.conf
want_env=$'NODENAME=rabbit@localhost\nNODE_IP_ADDRESS=127.0.0.1\nERL_EPMD_ADDRESS=127.0.0.1\nSERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none"'
conf=/etc/rabbitmq/rabbitmq.conf
want_conf="listeners.tcp.default = 127.0.0.1:${AMQP_PORT}"
config_changed=0
if [ "$(cat "$env_conf" 2>/dev/null)" != "$want_env" ]; then printf '%s\n' "$want_env" > "$env_conf"; config_changed=1; fi
if [ "$(cat "$conf" 2>/dev/null)" != "$want_conf" ]; then printf '%s\n' "$want_conf" > "$conf"; config_changed=1; fi
export ERL_EPMD_ADDRESS=127.0.0.1

rabbit_up() { rabbitmq-diagnostics -q -n rabbit@localhost check_port_connectivity >/dev/null 2>&1; }
rabbit_ping() { rabbitmq-diagnostics -q -n rabbit@localhost ping >/dev/null 2>&1; }

if rabbit_ping && [ "$config_changed" -eq 1 ]; then
  log "rabbitmq configuration changed: restarting it"
  rabbitmqctl -q -n rabbit@localhost stop >&2 || true
fi
if ! rabbit_ping; then
  log "starting rabbitmq-server"
  if [ -x /etc/init.d/rabbitmq-server ]; then
    service rabbitmq-server start >&2 || true
  fi
  rabbit_ping || (cd /var/lib/rabbitmq 2>/dev/null || cd /; rabbitmq-server -detached >&2 || true)
fi
wait_until 120 rabbit_ping || die "rabbitmq-server did not answer a ping within 120 s (see /var/log/rabbitmq/)"
wait_until 120 rabbitmqctl -q -n rabbit@localhost await_startup \
  || die "rabbitmq-server did not finish starting within 120 s (see /var/log/rabbitmq/)"
wait_until 60 rabbit_up || die "rabbitmq-server does not accept AMQP connections on 127.0.0.1:${AMQP_PORT}"

rmq() { rabbitmqctl -q -n rabbit@localhost "$@"; }
rmq list_vhosts | grep -qx "$TEST_VHOST" || rmq add_vhost "$TEST_VHOST" >&2
if ! rmq list_users | awk '{print $1}' | grep -qx "$TEST_USER"; then
  rmq add_user "$TEST_USER" "$TEST_PASSWORD" >&2
fi
rmq set_permissions -p "$TEST_VHOST" "$TEST_USER" '.*' '.*' '.*' >&2
log "rabbitmq ready on 127.0.0.1:${AMQP_PORT}, vhost ${TEST_VHOST}"

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

echo "export DISTGMM_TEST_AMQP='amqp://${TEST_USER}:${TEST_PASSWORD}@127.0.0.1:${AMQP_PORT}/${TEST_VHOST}'"
echo "export DISTGMM_TEST_PG='Host=127.0.0.1;Port=${pg_port};Username=${TEST_USER};Password=${TEST_PASSWORD};Database=${TEST_DB}'"
