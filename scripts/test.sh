#!/usr/bin/env bash
# The test command (README, .ci/run). Installs and starts what the tests need, builds the solution,
# runs every test project and ends with one line: "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Services and tools the tests use (idempotent; a no-op when present).
results="$root/TestResults"
rm -rf "$results"; mkdir -p "$results"
export DISTGMM_TEST_ENV_FILE="$results/test-env.sh"
export DISTGMM_RUNS_DB="$results/runs.db"   # runs recorded by tests stay out of ~/.distgmm
bash scripts/setup-test-env.sh || { echo "setup-test-env failed"; echo "0 passed, 1 failed"; exit 1; }
# shellcheck disable=SC1090
. "$DISTGMM_TEST_ENV_FILE"

if ! dotnet build DistGmm.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"; echo "0 passed, 1 failed"; exit 1
fi

dotnet test DistGmm.sln -c Release --no-build --nologo \
  --logger "trx" --results-directory "$results" ${DISTGMM_TEST_FILTER:+--filter "$DISTGMM_TEST_FILTER"} \
  -- RunConfiguration.TreatNoTestsAsError=false
test_rc=$?

# Every command README shows, run as a reader would (each counts as a test).
bash scripts/readme-commands.sh "$results/readme.counts"
read -r readme_passed readme_failed < "$results/readme.counts" || { readme_passed=0; readme_failed=1; }

read -r passed failed < <(python3 - "$results" <<'PY'
import sys, glob, xml.etree.ElementTree as ET
ns = '{http://microsoft.com/schemas/VisualStudio/TeamTest/2010}'
passed = failed = 0
for f in glob.glob(sys.argv[1] + '/**/*.trx', recursive=True):
    for r in ET.parse(f).getroot().iter(ns + 'UnitTestResult'):
        o = r.get('outcome')
        if o == 'Passed': passed += 1
        elif o in ('Failed', 'Error', 'Timeout', 'Aborted'): failed += 1
print(passed, failed)
PY
)
if [ "$test_rc" -ne 0 ] && [ "${failed:-0}" -eq 0 ]; then failed=1; fi  # a crashed test host counts
passed=$(( ${passed:-0} + readme_passed )); failed=$(( ${failed:-1} + readme_failed ))
echo "${passed:-0} passed, ${failed:-1} failed"
[ "$test_rc" -eq 0 ] && [ "${failed:-1}" -eq 0 ]
