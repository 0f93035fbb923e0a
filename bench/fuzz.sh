#!/usr/bin/env bash
# A longer fuzz campaign: the property tests of tests/OllamaQuota.Tests/Fuzzing (request parser and body rewriter,
# NDJSON and SSE meters, admin body reader), each sampled for a fixed time instead of the test command's few hundred
# cases. CsCheck draws a fresh random seed per property; a failure is shrunk and printed with the seed that replays it.
#   FUZZ_SECONDS  seconds per property (default 150; the classes run side by side, so the wall time is about
#                 4 x FUZZ_SECONDS: ten minutes by default)
# To replay a failure: FUZZ_SEED=<seed> dotnet test tests/OllamaQuota.Tests --filter <its test> (the seed comes first).
# Prints one line per property (iterations, or the failure) and keeps the whole log in bench/out/fuzz-<time>.log.
set -euo pipefail

bench="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$bench")"
out="$bench/out"
mkdir -p "$out"
log="$out/fuzz-$(date -u +%Y%m%dT%H%M%SZ).log"
export FUZZ_SECONDS="${FUZZ_SECONDS:-150}"

echo "== building the tests (Release)" >&2
dotnet build "$repo/tests/OllamaQuota.Tests" -c Release -nologo -v q >&2

echo "== fuzzing for ${FUZZ_SECONDS} s per property; log: $log" >&2
status=0
dotnet test "$repo/tests/OllamaQuota.Tests" -c Release --no-build \
  --filter "FullyQualifiedName~OllamaQuota.Tests.Fuzzing" --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?

# "Passed <test> [time]" is followed by CsCheck's "Passed N iterations."; a failure by the seed and the shrunk input.
awk '
  /^  Passed OllamaQuota\.Tests\.Fuzzing\./ { name = $2; sub(/.*Fuzzing\./, "", name) }
  /^ Passed [0-9,]+ iterations\./ && name != "" { printf "passed  %-85s %s iterations\n", name, $2; name = "" }
  /^  Failed OllamaQuota\.Tests\.Fuzzing\./ { failed = $2; sub(/.*Fuzzing\./, "", failed); printf "FAILED  %s\n", failed }
  /CsCheckException/ && failed != "" { sub(/^ +/, ""); print "        " $0; failed = "" }
' "$log"
grep -E '^(Total tests|     Passed|     Failed):' "$log" || true
exit "$status"
