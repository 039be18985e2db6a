#!/usr/bin/env bash
# Installs (Debian packages, npm) and starts what the test suite needs; idempotent, quiet when all is present.
# Exports nothing itself: scripts/test.sh sources the env file this writes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
envfile="${DISTGMM_TEST_ENV_FILE:-$root/TestResults/test-env.sh}"
mkdir -p "$(dirname "$envfile")"; : > "$envfile"

apt_updated=0
apt_install() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ $apt_updated -eq 0 ]; then apt-get update -qq >/dev/null; apt_updated=1; fi
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

apt_install python3 curl
command -v node >/dev/null || apt_install nodejs
command -v npm >/dev/null || apt_install npm
# PostgreSQL for the cluster tests (the coordinator journal on Akka.Persistence.Sql).
if [ -x scripts/services.sh ]; then
  bash scripts/services.sh >> "$envfile"
fi
# Debian chromium for the browser tests (never a downloaded browser).
if [ -x scripts/install-chromium.sh ]; then bash scripts/install-chromium.sh; fi
# Independent Parquet implementations (npm) for the interop tests.
if [ -x scripts/node-parquet.sh ]; then
  dir=$(bash scripts/node-parquet.sh | tail -n 1)
  echo "export DISTGMM_NODE_PARQUET='$dir'" >> "$envfile"
fi
