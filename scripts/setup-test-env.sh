#!/usr/bin/env bash
# Installs (Debian packages, npm) and starts what the test suite needs. Idempotent.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
