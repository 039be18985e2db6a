#!/usr/bin/env bash
# node-parquet.sh — prepares the independent Parquet implementations of ../shared/node-parquet for tests.
# Copies the (read-only) folder to a temporary folder keyed by the package-lock.json hash, runs `npm ci` there
# once, and prints the folder. Later calls with the same lock file reuse it. Never writes into ../shared.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=${DISTGMM_NODE_PARQUET_SRC:-$(cd "$root/.." && pwd)/shared/node-parquet}
[ -f "$src/package-lock.json" ] || { echo "node-parquet.sh: $src/package-lock.json not found" >&2; exit 1; }
command -v npm >/dev/null || { echo "node-parquet.sh: npm is not installed" >&2; exit 1; }
hash=$(sha256sum "$src/package-lock.json" | cut -c1-16)
dest=${TMPDIR:-/tmp}/distgmm-node-parquet-$hash
if [ ! -f "$dest/.installed" ]; then
  # Serialise concurrent first runs (parallel test projects) on a lock file.
  exec 9>"$dest.lock"
  flock 9
  if [ ! -f "$dest/.installed" ]; then
    rm -rf "$dest"
    mkdir -p "$dest"
    cp -r "$src"/. "$dest"/
    chmod -R u+w "$dest"
    (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$dest/.installed"
  fi
fi
echo "$dest"
