#!/usr/bin/env bash
# Side-by-side references in scikit-learn (Debian's /usr/bin/python3), on the very matrices DistGmm uses.
#
#   scripts/reference-sklearn.sh speed [DATA] [--iterations N] [--configs "seed:full:2 seed:diag:4 kdd-wide:full:4 ..."]
#                                      [--paths "widest 128"]
#       EM seconds per iteration, scikit-learn (tol=0; init excluded by warm-starting the timed iterations) interleaved
#       with `distgmm bench em` on the same preprocessed matrix, once per kernel path (`widest`: what the runtime picks;
#       `256`, `128`: a child process forced there with the runtime's switches); prints per-row GFLOP/s, the fraction of
#       that path's FMA peak (wall clock, and per busy core from CPU time) and the ratio to scikit-learn.
#   scripts/reference-sklearn.sh eval seed|dagmm|subsets|nslkdd DATA [TEST] [distgmm eval options ...]
#       Runs `distgmm eval --export`, then scikit-learn's GaussianMixture (same K, covariance, seed, reg_covar, tol,
#       max_iter as each DistGmm case's final fit, i.e. after DistGmm's selection on the training rows) and IsolationForest (random_state = the case's seed) on the very same exported
#       rows (same split, same preprocessing), with the protocol's rule; prints the three side by side.
#   DISTGMM=path overrides the CLI launcher (default scripts/distgmm).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
distgmm=${DISTGMM:-$root/scripts/distgmm}

ensure_sklearn() {
  if ! $py -c 'import sklearn' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; then
    echo "installing python3-sklearn and libopenblas0-pthread (Debian)" >&2
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-sklearn libopenblas0-pthread >/dev/null
  fi
}

speed() {
  local data="$root/data/kddcup.data_10_percent.gz" iterations=5 paths="widest 128"
  local configs="seed:full:2 seed:full:4 seed:full:8 seed:diag:2 seed:diag:4 seed:diag:8 kdd-wide:full:4"
  while [ $# -gt 0 ]; do
    case "$1" in
      --iterations) iterations=$2; shift 2;;
      --configs) configs=$2; shift 2;;
      --paths) paths=$2; shift 2;;
      *) data=$1; shift;;
    esac
  done
  ensure_sklearn
  local work; work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  local dataset="$data"
  if [ ! -f "$data/manifest.json" ]; then
    dataset="$work/dataset"; $distgmm ingest "$data" --shards 8 --out "$dataset" >/dev/null
  fi
  for p in $paths; do
    case "$p" in widest|256|128) ;; *) echo "--paths: '$p' is not one of widest, 256, 128" >&2; exit 2;; esac
  done
  echo "load average (1/5/15 min) at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-9s %-5s %3s %5s %4s | %12s %12s | %8s %8s %6s %6s | %7s\n' preset cov K d bits "sklearn s/it" "distgmm s/it" \
    "sk GF/s" "dg GF/s" "%peak" "%core" ratio
  local peaks=""
  for c in $configs; do
    IFS=: read -r preset cov k <<<"$c"
    local npy="$work/$preset.npy"
    [ -f "$npy" ] || $distgmm bench matrix "$dataset" --preset "$preset" --out "$npy" >/dev/null
    local sk dg
    sk=$($py - "$npy" "$cov" "$k" "$iterations" <<'PY'
import sys, time, warnings
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
X = np.load(sys.argv[1]); cov = sys.argv[2]; k = int(sys.argv[3]); n = int(sys.argv[4])
# Initialisation is excluded by warm starting: after a first fit (init + 1 iteration) every fit continues from the
# current model. Each fit also ends with one extra E-step (for labels), so the cost per iteration is
# (T(n+1) - T(1)) / n between two warm fits — the issue's "N+1 minus 1 iterations" without k-means init noise,
# which can exceed a cheap diag iteration. Median of three repeats.
gm = GaussianMixture(k, covariance_type=cov, max_iter=1, tol=0, random_state=0, warm_start=True)
gm.fit(X)
def timed(iters):
    gm.max_iter = iters
    t = time.perf_counter(); gm.fit(X); return time.perf_counter() - t
times = sorted((timed(n + 1) - timed(1)) / n for _ in range(3))
print(f"{sorted(times)[1]:.6f} {X.shape[0]} {X.shape[1]}")
PY
)
    for p in $paths; do
      # The runtime's switches (.NET 10): AVX-512 off gives the 256-bit path; with a preferred width of 128 bits, the
      # 128-bit path keeping hardware FMA (as on ARM64). `env` starts the CLI as a child process with them.
      local switches=()
      case "$p" in
        256) switches=(DOTNET_EnableAVX512=0);;
        128) switches=(DOTNET_EnableAVX512=0 DOTNET_PreferredVectorBitWidth=128);;
      esac
      dg=$(env "${switches[@]}" $distgmm bench em "$dataset" --preset "$preset" --covariance "$cov" --k "$k" --iterations "$iterations" --json)
      $py - "$sk" "$dg" "$preset" "$cov" "$k" <<'PY'
import sys, json
sk_s, n, d = sys.argv[1].split(); sk_s = float(sk_s); n = int(n); d = int(d)
dg = json.loads(sys.argv[2]); preset, cov, k = sys.argv[3], sys.argv[4], int(sys.argv[5])
flops = 2.0 * k * n * d * d if cov in ("full", "tied") else 6.0 * k * n * d
print(f"{preset:<9} {cov:<5} {k:>3} {d:>5} {dg['vectorBits']:>4} | {sk_s:>12.4f} {dg['secondsPerIteration']:>12.4f} | "
      f"{flops / sk_s / 1e9:>8.2f} {dg['gflops']:>8.2f} {100 * dg['fractionOfPeak']:>5.1f}% {100 * dg['fractionOfCorePeak']:>5.1f}% | "
      f"{sk_s / dg['secondsPerIteration']:>6.1f}x", flush=True)
PY
      # The double-precision FMA peak each path's GFLOP/s compare against, as `distgmm bench em` computes it
      # (cores x clock x 2 FMA pipes x doubles per pipe x 2; Zen 2-4 run AVX-512 on 256-bit pipes), with its inputs.
      # One line per path (the measured part of the peak varies a little from run to run; the first is shown).
      local kernel line
      kernel=$($py -c 'import json, sys; print(json.loads(sys.argv[1])["kernelPath"])' "$dg")
      line=$($py -c 'import json, sys; r = json.loads(sys.argv[1]); print("%s: FP64 FMA peak %s" % (r["kernelPath"], r["peak"]))' "$dg")
      case "$peaks" in *"$kernel: "*) ;; *) peaks+="$line"$'\n';; esac
    done
  done
  printf '%s' "$peaks"
  echo "%peak: GFLOP/s over that path's peak (wall clock); %core: per busy core, from the process's CPU time (robust to other load)"
  echo "load average (1/5/15 min) at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
}

evaluate() {
  [ $# -ge 2 ] || { echo "usage: scripts/reference-sklearn.sh eval seed|dagmm|subsets|nslkdd DATA [TEST] [options]" >&2; exit 2; }
  local protocol=$1; shift
  ensure_sklearn
  local work; work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  $distgmm eval --protocol "$protocol" "$@" --out "$work" --export "$work/export" >&2
  $py - "$work/eval.json" "$work/export" <<'PY'
import json, sys, warnings
import numpy as np
from sklearn.mixture import GaussianMixture
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score, average_precision_score
from sklearn.exceptions import ConvergenceWarning
warnings.simplefilter("ignore", ConvergenceWarning)
report = json.load(open(sys.argv[1])); folder = sys.argv[2]
protocol = report["protocol"]

def flag_lowest(score, q):  # the floor(q*n) lowest scores, ties in row order (as DistGmm)
    n = int(np.floor(q * len(score))); order = np.argsort(score, kind="stable")
    flagged = np.zeros(len(score), bool); flagged[order[:n]] = True; return flagged

def metrics(train_score, test_score, y):
    m = {"rocAuc": roc_auc_score(y, -test_score), "prAuc": average_precision_score(y, -test_score)}
    if protocol == "dagmm":
        flagged = flag_lowest(test_score, report["contamination"])
    elif protocol in ("seed", "nslkdd"):
        std_k = report["stdK"]
        flagged = test_score < train_score.mean() - std_k * train_score.std()
    else:
        return m
    tp = int(np.sum(flagged & y)); fp = int(np.sum(flagged & ~y)); fn = int(np.sum(~flagged & y))
    m.update(flagged=int(flagged.sum()), precision=tp / max(tp + fp, 1), recall=tp / max(tp + fn, 1),
             f1=2 * tp / max(2 * tp + fp + fn, 1))
    return m

names = ["flagged", "precision", "recall", "f1", "rocAuc", "prAuc"]
rows = {"distgmm": [], "sklearn-gmm": [], "iforest": []}
print(f"eval {protocol} on the same rows: preset {report['preset']}, covariance {report['covariance']}; "
      f"positive class {report['positiveClass']}; {report['rule']}")
print(f"{'case':<10} {'method':<12} {'K':>3} " + " ".join(f"{n:>9}" for n in names))
for case in report["cases"]:
    files = case["files"]
    X = np.load(f"{folder}/{files['train']}"); T = np.load(f"{folder}/{files['test']}")
    y = np.load(f"{folder}/{files['testPositive']}") > 0.5
    gm = GaussianMixture(case["k"], covariance_type=report["covariance"], random_state=case["seed"], init_params="kmeans",
                         max_iter=report["maxIter"], tol=report["tol"], reg_covar=case["regCovar"]).fit(X)
    sk = metrics(gm.score_samples(X), gm.score_samples(T), y)
    forest = IsolationForest(random_state=case["seed"]).fit(X)
    fo = metrics(forest.score_samples(X), forest.score_samples(T), y)
    dg = {n: case.get(n) for n in names}
    for method, m in (("distgmm", dg), ("sklearn-gmm", sk), ("iforest", fo)):
        rows[method].append(m)
        cells = " ".join(f"{m[n]:>9}" if n == "flagged" and m.get(n) is not None else
                         (f"{m[n]:>9.4f}" if m.get(n) is not None else f"{'-':>9}") for n in names)
        print(f"{case['name']:<10} {method:<12} {case['k'] if method != 'iforest' else '-':>3} {cells}", flush=True)
names_seen = [c["name"] for c in report["cases"]]
if protocol == "subsets" and len(set(names_seen)) < len(names_seen):
    print("mean ± std over seeds (ROC AUC, attacks positive)")
    for name in dict.fromkeys(names_seen):
        idx = [i for i, n in enumerate(names_seen) if n == name]
        cells = []
        for method, ms in rows.items():
            v = np.array([ms[i]["rocAuc"] for i in idx], float); cells.append(f"{method} {v.mean():.4f} ± {v.std():.4f}")
        print(f"{name:<10} " + " | ".join(cells))
if len(report["cases"]) > 1 and protocol == "dagmm":
    for method, ms in rows.items():
        parts = []
        for n in ("f1", "rocAuc", "prAuc"):
            v = np.array([m[n] for m in ms], float); parts.append(f"{n} {v.mean():.4f} ± {v.std():.4f}")
        print(f"mean ± std over {len(ms)} seeds, {method:<12}: " + ", ".join(parts))
PY
}

cmd=${1:-}; shift || true
case "$cmd" in
  speed) speed "$@";;
  eval) evaluate "$@";;
  *) echo "usage: scripts/reference-sklearn.sh speed [DATA] [--iterations N] [--configs \"preset:cov:K ...\"] [--paths \"widest 256 128\"]" >&2
     echo "       scripts/reference-sklearn.sh eval seed|dagmm|subsets|nslkdd DATA [TEST] [distgmm eval options]" >&2; exit 2;;
esac
