#!/usr/bin/env bash
# Runs every test suite: xunit (unit, integration against real PostgreSQL and Redis servers that the tests start,
# a fake Ollama), Vitest (Admin UI components) and the end-to-end test in headless Chromium.
# Installs what it needs first: Debian's postgresql, redis-server and chromium, and the UI's npm packages.
# Ends with one line, "N passed, M failed", summing every suite; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
out="$root/test-output"
rm -rf "$out" && mkdir -p "$out"

step() { printf '\n==> %s\n' "$*"; }

# 1. System packages (only those missing). PostgreSQL and Redis are started by the tests themselves.
need=()
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
command -v chromium >/dev/null || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  step "Installing ${need[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null \
    || { echo "could not install ${need[*]}: run 'apt-get install -y ${need[*]}' yourself"; echo "0 passed, 1 failed"; exit 1; }
fi

passed=0
failed=0
count() { passed=$((passed + $1)); failed=$((failed + $2)); }

# 2. xunit: every test project of the solution (the main suite and the AppHost's), one .trx file each.
step "xunit (dotnet test)"
dotnet test "$root/OllamaQuota.slnx" --logger "trx;LogFilePrefix=xunit" --results-directory "$out/xunit" 2>&1 | tee "$out/xunit.log"
xunit_status=${PIPESTATUS[0]}
x_failed_all=0
for trx in "$out"/xunit/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx")
  x_passed=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")
  x_total=$(sed -E 's/.* total="([0-9]+)".*/\1/' <<<"$counters")
  # Tests that did not run (a crashed host, an error outside any test) count as failed.
  count "$x_passed" "$((x_total - x_passed))"
  x_failed_all=$((x_failed_all + x_total - x_passed))
done
if [ "$xunit_status" -ne 0 ] && [ "$x_failed_all" -eq 0 ]; then count 0 1; fi

# 2b. The benchmarks' own projects are outside the solution; a change to Core's interfaces must not break them unseen.
step "Benchmark projects build (bench/Bench.slnx)"
# Not a test: a broken build counts as one failure, a good one adds nothing.
dotnet build "$root/bench/Bench.slnx" -nologo -v q >"$out/bench-build.log" 2>&1 || { tail -20 "$out/bench-build.log"; count 0 1; }

# 3. Admin UI: Vitest, then the end-to-end test in Chromium.
ui="$root/src/OllamaQuota.AdminUi"
if [ -f "$ui/package.json" ]; then
  step "npm ci (Admin UI)"
  (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error) || count 0 1

  step "Vitest"
  (cd "$ui" && npx vitest run --reporter=default --reporter=json --outputFile="$out/vitest.json") 2>&1 | tee "$out/vitest.log"
  vitest_status=${PIPESTATUS[0]}
  if [ -f "$out/vitest.json" ]; then
    count "$(node -p "require('$out/vitest.json').numPassedTests")" "$(node -p "const r=require('$out/vitest.json'); r.numTotalTests - r.numPassedTests")"
  fi
  if [ "$vitest_status" -ne 0 ] && [ ! -f "$out/vitest.json" ]; then count 0 1; fi

  if [ -f "$ui/e2e/run.mjs" ]; then
    step "End-to-end (Chromium)"
    (cd "$ui" && node e2e/run.mjs --output "$out/e2e") 2>&1 | tee "$out/e2e.log"
    e2e_status=${PIPESTATUS[0]}
    e2e_line=$(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$out/e2e.log" | tail -1)
    if [ -n "$e2e_line" ]; then
      count "$(sed -E 's/e2e: ([0-9]+) passed.*/\1/' <<<"$e2e_line")" "$(sed -E 's/.* ([0-9]+) failed/\1/' <<<"$e2e_line")"
    fi
    if [ "$e2e_status" -ne 0 ] && [ -z "$e2e_line" ]; then count 0 1; fi
  fi
fi

# Servers the tests started stop with them; these catch any a crashed test host left behind. Then their throwaway
# folders go too (a test host's exit handler does not always get to delete the PostgreSQL data folder).
tmp=${TMPDIR:-/tmp}
pkill -f "$tmp/oq-pg-" 2>/dev/null && sleep 1
pkill -f 'redis-server 127.0.0.1:.*oq-redis' 2>/dev/null
rm -rf "$tmp"/oq-pg-* "$tmp"/oq-tests "$tmp"/oq-env*

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
