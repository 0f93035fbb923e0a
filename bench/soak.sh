#!/usr/bin/env bash
# Soak (issue 13, part 6): two proxy instances over one Redis and one PostgreSQL hold half their saturated rate for
# SOAK_SECONDS with a mix of streamed and non-streamed answers (Ollama NDJSON and JSON, OpenAI SSE and JSON, round
# robin over both instances; bench/Probe's `load`), sampling each proxy's RSS, open fds and threads and the Redis
# usage stream's backlog at the start, every SOAK_SAMPLE_SECONDS and at the end; once the writers have drained the
# stream it compares the soak key's usage rows in PostgreSQL with the answers the loader was served.
#
#   bench/soak.sh           installs what is missing (apt: redis-server redis-tools postgresql), builds Release,
#                           starts everything in a throwaway folder on free loopback ports, prints the summary,
#                           stops everything and removes the folder (also on failure or Ctrl-C; a watchdog bounds
#                           the whole run at SOAK_SECONDS + 20 minutes).
#
# Knobs (environment): SOAK_SECONDS (600), SOAK_RATE (req/s held; default half the saturated rate, measured first
# over SOAK_SATURATION_SECONDS, 20, after 10 s of warm-up), SOAK_CONCURRENCY (requests in flight in the saturation
# measure's closed loop, 32), SOAK_MAX_IN_FLIGHT (the cap during the soak: a request due while that many are in flight
# is skipped and counted as late; 256), SOAK_SAMPLE_SECONDS (60), SOAK_CHUNKS (chunks per streamed answer, 50),
# BENCH_PROXY_ENV, BENCH_SKIP_BUILD=1. Raw output (samples.tsv, the loader's lines, the proxies' logs,
# summary.md) stays in bench/out/<time>-soak/.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
SOAK=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-}
SATURATION=${SOAK_SATURATION_SECONDS:-20}
CONCURRENCY=${SOAK_CONCURRENCY:-32}
MAX_IN_FLIGHT=${SOAK_MAX_IN_FLIGHT:-256}
EVERY=${SOAK_SAMPLE_SECONDS:-60}
CHUNKS=${SOAK_CHUNKS:-50}
bench_begin soak $((SOAK + 1200))

# 1. Tools and the build.
need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
[ -n "$pg_bin" ] || need+=(postgresql)
install_missing "${need[@]}"
pg_bin=$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -1)
build_release

# 2. The fake upstream, Redis, PostgreSQL, two keys (one for the saturation measure, one for the soak, so the soak's
#    rows are counted apart) and two proxy instances.
probe bodies "$tmp/bodies" >/dev/null
start_fake "$CHUNKS"
start_redis
start_postgres
redis_url="redis://127.0.0.1:$redis_port"
init_database soak "$PG_URL" REDIS_URL="$redis_url"
create_key measure measure "$PG_URL" REDIS_URL="$redis_url"
create_key soak soak "$PG_URL" REDIS_URL="$redis_url"
instances=(a b)
for instance in "${instances[@]}"; do
  log "starting proxy instance $instance"
  start_proxy_instance "$instance" "${KEY[measure]}" "$PG_URL" REDIS_URL="$redis_url"
done
urls="${URL[a]},${URL[b]}"

redis() { redis-cli -p "$redis_port" "$@"; }
backlog() { redis XLEN oq:usage; }
pending() { redis XPENDING oq:usage usage-writers 2>/dev/null | head -1; }
rows_of() { psql_value "select count(*) from usage_events e join api_keys k on k.id = e.key_id where k.name = '$1'"; }

wait_for_writers() { # until the stream is empty, nothing is pending and the rows have stood still for 3 s (at most 300 s)
  local start previous=-1 still=0 rows
  start=$(date +%s)
  while [ $(($(date +%s) - start)) -lt 300 ]; do
    rows=$(psql_value 'select count(*) from usage_events')
    if [ "$(backlog)" = 0 ] && [ "$(pending)" = 0 ] && [ "$rows" = "$previous" ]; then
      still=$((still + 1)); [ $still -lt 6 ] || return 0
    else
      still=0
    fi
    previous=$rows
    sleep 0.5
  done
  log "the usage writers did not drain within 300 s"
}

load_field() { sed -nE "s/^LOAD .*\\b$1=([0-9.]+).*/\\1/p" "$2"; }

# 3. Warm-up, then the saturation measure (closed loop), unless a rate was given.
log "warm-up: 10 s closed loop, $CONCURRENCY in flight"
probe load "$urls" "${KEY[measure]}" "$tmp/bodies" 10 0 "$CONCURRENCY" >"$out/warmup.log"
if [ -z "$RATE" ]; then
  log "saturation: $SATURATION s closed loop, $CONCURRENCY in flight"
  probe load "$urls" "${KEY[measure]}" "$tmp/bodies" "$SATURATION" 0 "$CONCURRENCY" >"$out/saturation.log"
  cat "$out/saturation.log" >&2
  saturated=$(load_field rps "$out/saturation.log")
  RATE=$(awk -v r="$saturated" 'BEGIN { printf "%d", r / 2 }')
else
  saturated=""
fi
wait_for_writers

# 4. The soak: the loader in the background, a sample every EVERY seconds while it runs.
printf 'label\tseconds' >"$out/samples.tsv"
for instance in "${instances[@]}"; do printf '\t%s_rss_kb\t%s_fds\t%s_threads' "$instance" "$instance" "$instance" >>"$out/samples.tsv"; done
printf '\tstream_length\tstream_pending\tusage_rows\tload_average\n' >>"$out/samples.tsv"

sample() { # label
  local line pid
  line="$1\t$(($(date +%s) - soak_started))"
  for instance in "${instances[@]}"; do
    pid=${PID[$instance]}
    line+="\t$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")\t$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)"
    line+="\t$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")"
  done
  line+="\t$(backlog)\t$(pending)\t$(psql_value 'select count(*) from usage_events')\t$(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%b\n' "$line" >>"$out/samples.tsv"
}

log "soak: $RATE req/s for $SOAK s across ${instances[*]} (sample every $EVERY s)"
soak_started=$(date +%s)
sample start
# (dotnet itself in the background, not the probe function, so that $! is the process the cleanup stops)
dotnet "$PROBE_DLL" load "$urls" "${KEY[soak]}" "$tmp/bodies" "$SOAK" "$RATE" "$MAX_IN_FLIGHT" >"$out/soak.log" &
loader=$!
pids+=("$loader")
next=$EVERY
while kill -0 "$loader" 2>/dev/null; do
  if [ $(($(date +%s) - soak_started)) -ge "$next" ] && [ "$next" -lt "$SOAK" ]; then
    sample "${next}s"
    next=$((next + EVERY))
  fi
  sleep 1
done
wait "$loader"
sample end
cat "$out/soak.log" >&2

# 5. Drained: the soak key's rows against the answers served.
wait_for_writers
sample drained
served=$(load_field served "$out/soak.log")
rows=$(rows_of soak)
not_ok=$(psql_value "select count(*) from usage_events e join api_keys k on k.id = e.key_id where k.name = 'soak' and e.status_code <> 200")

# 6. The summary.
{
  echo "Soak of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "two proxy instances, one Redis, one PostgreSQL, the fake upstream ($CHUNKS chunks per stream)."
  echo
  if [ -n "$saturated" ]; then
    echo "- Saturation (closed loop, $CONCURRENCY in flight, $SATURATION s): $saturated req/s; held: $RATE req/s for $SOAK s."
  else
    echo "- Held: $RATE req/s (SOAK_RATE) for $SOAK s."
  fi
  echo "- Loader: $(sed -n 's/^LOAD //p' "$out/soak.log")"
  echo "- Usage rows of the soak key: $rows; answers served: $served; rows == served: $([ "$rows" = "$served" ] && echo yes || echo NO); rows with a status other than 200: $not_ok."
  echo
  echo "| sample | s | a RSS | a fds | a threads | b RSS | b fds | b threads | stream length | pending | usage rows | load average |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %.0f MB | %s | %s | %.0f MB | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3 / 1024, $4, $5, $6 / 1024, $7, $8, $9, $10, $11, $12 }' "$out/samples.tsv"
} >"$out/summary.md"
cat "$out/summary.md"
log "raw output: $out"
[ "$rows" = "$served" ]
