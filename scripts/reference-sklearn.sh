#!/usr/bin/env bash
# Side-by-side references in scikit-learn (Debian's /usr/bin/python3), on the very matrices DistGmm uses.
#
#   scripts/reference-sklearn.sh speed [DATA] [--iterations N] [--configs "seed:full:2 seed:diag:4 kdd-wide:full:4 ..."]
#       EM seconds per iteration, scikit-learn (tol=0; init cost cancelled by timing N+1 and 1 iterations) interleaved
#       with `distgmm bench em` on the same preprocessed matrix; prints per-row ratios and GFLOP/s.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3

ensure_sklearn() {
  if ! $py -c 'import sklearn' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    echo "installing python3-sklearn and libopenblas0-pthread (Debian)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn libopenblas0-pthread >/dev/null
  fi
}

speed() {
  local data="$root/data/kddcup.data_10_percent.gz" iterations=5
  local configs="seed:full:2 seed:full:4 seed:full:8 seed:diag:2 seed:diag:4 seed:diag:8 kdd-wide:full:4"
  while [ $# -gt 0 ]; do
    case "$1" in
      --iterations) iterations=$2; shift 2;;
      --configs) configs=$2; shift 2;;
      *) data=$1; shift;;
    esac
  done
  ensure_sklearn
  local work; work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  local dataset="$data"
  if [ ! -f "$data/manifest.json" ]; then
    dataset="$work/dataset"; "$root/scripts/distgmm" ingest "$data" --shards 8 --out "$dataset" >/dev/null
  fi
  printf '%-9s %-5s %3s %5s | %12s %12s | %8s %8s | %7s\n' preset cov K d "sklearn s/it" "distgmm s/it" "sk GF/s" "dg GF/s" ratio
  for c in $configs; do
    IFS=: read -r preset cov k <<<"$c"
    local npy="$work/$preset.npy"
    [ -f "$npy" ] || "$root/scripts/distgmm" bench matrix "$dataset" --preset "$preset" --out "$npy" >/dev/null
    local sk dg
    sk=$($py - "$npy" "$cov" "$k" "$iterations" <<'PY'
import sys, time, warnings
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
X = np.load(sys.argv[1]); cov = sys.argv[2]; k = int(sys.argv[3]); n = int(sys.argv[4])
def fit(iters):
    gm = GaussianMixture(k, covariance_type=cov, max_iter=iters, tol=0, random_state=0)
    t = time.perf_counter(); gm.fit(X); return time.perf_counter() - t
t1 = fit(1); tn = fit(n + 1)
print(f"{max(tn - t1, 1e-9) / n:.6f} {X.shape[0]} {X.shape[1]}")
PY
)
    dg=$("$root/scripts/distgmm" bench em "$dataset" --preset "$preset" --covariance "$cov" --k "$k" --iterations "$iterations" --json)
    $py - "$sk" "$dg" "$preset" "$cov" "$k" <<'PY'
import sys, json
sk_s, n, d = sys.argv[1].split(); sk_s = float(sk_s); n = int(n); d = int(d)
dg = json.loads(sys.argv[2]); preset, cov, k = sys.argv[3], sys.argv[4], int(sys.argv[5])
flops = 2.0 * k * n * d * d if cov in ("full", "tied") else 6.0 * k * n * d
print(f"{preset:<9} {cov:<5} {k:>3} {d:>5} | {sk_s:>12.4f} {dg['secondsPerIteration']:>12.4f} | "
      f"{flops / sk_s / 1e9:>8.2f} {dg['gflops']:>8.2f} | {sk_s / dg['secondsPerIteration']:>6.1f}x")
PY
  done
}

cmd=${1:-}; shift || true
case "$cmd" in
  speed) speed "$@";;
  *) echo "usage: scripts/reference-sklearn.sh speed [DATA] [--iterations N] [--configs \"preset:cov:K ...\"]" >&2; exit 2;;
esac
