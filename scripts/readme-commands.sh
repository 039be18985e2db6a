#!/usr/bin/env bash
# Runs every command shown in README.md's ```sh blocks, in order, the way a reader would paste them.
# Each command counts as one test. `serve` (which runs until stopped) is started, probed on /healthz and stopped;
# scripts/test.sh itself is the runner of this check and is not re-entered; a long command whose comment ends in
# "CI runs it with ARGS" (a benchmark) runs in that quick form: the command as shown, ARGS appended. A line ending in
# "# not run by CI: why" is listed as skipped with its reason. A command ending in '&' (a cluster worker node) is
# started in the background as shown; it passes if it is still running when the commands after it are done, and is
# then stopped with SIGTERM (a graceful leave).
# Usage: scripts/readme-commands.sh [COUNTS_FILE]   (writes "passed failed").
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
counts=${1:-/dev/null}
logs=$(mktemp -d)
passed=0; failed=0; skipped=0; n=0
background=()   # "pid|command|log" of the '&' commands

mapfile -t lines < <(python3 - README.md <<'PY'
import sys, re
inside = False
for raw in open(sys.argv[1], encoding="utf-8"):
    line = raw.rstrip("\n")
    if line.startswith("```"):
        inside = (not inside) and line.strip() in ("```sh", "```bash")
        continue
    if inside and (line.startswith("scripts/") or line.startswith("dotnet ")):
        print(line)
PY
)

for line in "${lines[@]}"; do
  n=$((n + 1))
  cmd=$(python3 -c 'import sys,re; print(re.split(r"\s{2,}#", sys.argv[1])[0].strip())' "$line")
  quick=$(python3 -c 'import sys,re; m = re.search(r"\s{2,}#.*CI runs it with (.+)$", sys.argv[1]); print(m.group(1).strip() if m else "")' "$line")
  [ -n "$quick" ] && cmd="$cmd $quick"
  log="$logs/$n.log"
  if [[ "$line" == *"# not run by CI"* ]]; then
    echo "readme: skipped  $cmd  (${line##*# not run by CI: })"; skipped=$((skipped + 1)); continue
  fi
  if [[ "$cmd" == "scripts/test.sh"* ]]; then
    echo "readme: (runner) $cmd"; continue
  fi
  start=$(date +%s)
  if [[ "$cmd" == *"&" ]]; then
    bash -c "exec ${cmd%&}" > "$log" 2>&1 &
    background+=("$!|$cmd|$log")
    echo "readme: started  $cmd"
    continue
  fi
  if [[ "$cmd" == "scripts/distgmm serve "* ]]; then
    url=$(sed -E 's/.*--urls ([^ ]+).*/\1/' <<<"$cmd")
    bash -c "$cmd" > "$log" 2>&1 &
    pid=$!
    ok=1
    for _ in $(seq 1 120); do   # bounded: up to 60 s for the server to answer
      if curl -fsS "$url/healthz" >/dev/null 2>&1; then ok=0; break; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    rc=$ok
  else
    timeout 900 bash -c "$cmd" > "$log" 2>&1
    rc=$?
  fi
  secs=$(( $(date +%s) - start ))
  if [ "$rc" -eq 0 ]; then
    echo "readme: ok       $cmd  (${secs} s)"; passed=$((passed + 1))
  else
    echo "readme: FAILED   $cmd  (exit $rc, ${secs} s); last lines:"; tail -n 15 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
for entry in "${background[@]}"; do
  IFS='|' read -r pid cmd log <<<"$entry"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done   # bounded: 30 s to leave
    kill -KILL "$pid" 2>/dev/null
    echo "readme: ok       $cmd  (ran until stopped)"; passed=$((passed + 1))
  else
    echo "readme: FAILED   $cmd  (exited before the commands after it were done); last lines:"; tail -n 15 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done
echo "readme commands: $passed passed, $failed failed, $skipped skipped"
echo "$passed $failed" > "$counts"
rm -rf "$logs"
[ "$failed" -eq 0 ]
