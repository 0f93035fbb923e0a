#!/usr/bin/env bash
# Proxy overhead, side by side, in one run (issue 8): the fake upstream directly, nginx proxy_pass, plain YARP
# (MapForwarder and nothing else: the .NET floor), OllamaQuota.Proxy embedded (SQLite + in-process ledger) and
# distributed (PostgreSQL + Redis), and with BENCH_BASE=<checkout> the same two of that checkout, under the same wrk
# load, on loopback.
#
#   bench/run.sh            installs what is missing (apt: wrk nginx-light redis-server redis-tools sqlite3
#                           postgresql), builds Release, starts everything in a throwaway folder on free loopback ports, runs every scenario,
#                           prints the Markdown tables, stops everything and removes the folder (also on failure).
#
# Knobs (environment): BENCH_DURATION (s per measured run, 8), BENCH_WARMUP (s before each run, 2), BENCH_JIT_WARMUP
# (s of load on each .NET target before the first run, spread over the scenarios, 30), BENCH_CONNECTIONS (32),
# BENCH_THREADS (wrk threads, 2), BENCH_TTFB_N (sequential requests per first-chunk probe, 200),
# BENCH_TARGETS ("direct nginx yarp embedded distributed", plus "base-embedded base-distributed" with BENCH_BASE), BENCH_SCENARIOS ("chat chat-stream-50 openai-sse prompt-100k"),
# BENCH_PROXY_ENV (extra VAR=value words for the proxy processes), BENCH_ALLOC_TYPES=1 (sampling allocation profile
# per scenario, see bench/RESULTS.md), BENCH_SKIP_BUILD=1. Raw output (wrk logs, TSV, the tables) stays in bench/out/.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
TTFB_N=${BENCH_TTFB_N:-200}
TARGETS=${BENCH_TARGETS:-"direct nginx yarp embedded distributed${BASE:+ base-embedded base-distributed}"}
SCENARIOS=${BENCH_SCENARIOS:-"chat chat-stream-50 openai-sse prompt-100k"}
ALLOC_TYPES=${BENCH_ALLOC_TYPES:-0}
JIT_WARMUP=${BENCH_JIT_WARMUP:-30}
bench_begin "" 1500

# 1. Tools (only those missing). PostgreSQL only for the distributed target.
need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx-light)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-benchmark >/dev/null || need+=(redis-tools)
command -v sqlite3 >/dev/null || need+=(sqlite3)
if [[ " $TARGETS " == *"distributed "* ]]; then
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
fi
install_missing "${need[@]}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

# 2. Build (Release): the product, then the bench's own projects.
build_release

# 3. What counts for a target: the process and its children (nginx's workers).
tree() { echo "$1"; pgrep -P "$1" || true; }
cpu_ticks() { local total=0 pid f; for pid in $(tree "$1"); do read -r -a f <"/proc/$pid/stat"; total=$((total + f[13] + f[14])); done; echo $total; }
peak_rss_kb() { local total=0 pid; for pid in $(tree "$1"); do total=$((total + $(awk '/^VmHWM/ {print $2}' "/proc/$pid/status"))); done; echo $total; }
reset_peak_rss() { local pid; for pid in $(tree "$1"); do echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true; done; }
allocated() { [ -n "$1" ] && [ -f "$1" ] && sed -E 's/.*allocated=([0-9]+).*/\1/' "$1" || echo -1; }

# 4. The fake upstream and the request bodies.
probe bodies "$tmp/bodies" >/dev/null
start_fake 50
if [[ " $TARGETS " == *" direct "* ]]; then
  URL[direct]=$FAKE_URL; KEY[direct]=-; STATS[direct]="$tmp/fake.stats"
fi

# 5. nginx: proxy_pass with keep-alive to the upstream, no buffering of responses (streams pass chunk by chunk, as
#    an LLM gateway must), request bodies held in memory (the proxy reads them whole too), no access log.
if [[ " $TARGETS " == *" nginx "* ]]; then
  nginx_port=$(free_port)
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
user root;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  client_max_body_size 16m;
  client_body_buffer_size 1m;
  keepalive_requests 1000000;
  upstream fake { server 127.0.0.1:$fake_port; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://fake;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
EOF
  "$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' >"$out/nginx.log" 2>&1 &
  PID[nginx]=$!; pids+=("${PID[nginx]}")
  wait_http "http://127.0.0.1:$nginx_port/api/version"
  URL[nginx]="http://127.0.0.1:$nginx_port"; KEY[nginx]=-; STATS[nginx]=""
fi

# 5b. Plain YARP: the same upstream through MapForwarder (bench/PlainYarp).
if [[ " $TARGETS " == *" yarp "* ]]; then
  yarp_port=$(free_port)
  start_dotnet yarp "$tmp/yarp.stats" dotnet "$YARP_DLL" --port "$yarp_port" --upstream "$FAKE_URL"
  PID[yarp]=$LAST_PID
  URL[yarp]="http://127.0.0.1:$yarp_port"; KEY[yarp]=-; STATS[yarp]="$tmp/yarp.stats"
  wait_http "${URL[yarp]}/api/version"
fi

# 6. The proxy: a database with a key whose four limits never trigger, and the proxy over it (bench/lib.sh).
note() { printf '%s\t%s\n' "$1" "$2" >>"$out/notes.tsv"; log "$1: $2"; }

if [[ " $TARGETS " == *" embedded "* ]]; then
  log "starting the embedded proxy"
  start_proxy embedded "sqlite:///$tmp/embedded.db"
fi

# 7. Distributed: a throwaway redis-server and PostgreSQL. Measured only if this build's proxy really uses Redis for
#    its ledger (EVALSHA calls seen after a request); otherwise reported as not measurable, with the reason.
if [[ " $TARGETS " == *" distributed "* ]]; then
  log "starting redis-server, PostgreSQL and the distributed proxy"
  if [ -z "$pg_bin" ]; then
    note distributed "not measured: no PostgreSQL server (/usr/lib/postgresql/*/bin)."
  else
    start_redis
    start_postgres
    if start_proxy distributed "$PG_URL" REDIS_URL="redis://127.0.0.1:$redis_port"; then
      evalsha=$(redis-cli -p "$redis_port" info commandstats | grep -cE '^cmdstat_(evalsha|eval|fcall):' || true)
      if [ "$evalsha" = 0 ]; then
        note distributed "not yet measurable: with REDIS_URL and a PostgreSQL DATABASE_URL this build's proxy served the request but sent no EVALSHA to Redis (its quota ledger is still the in-process one: distributed mode, issue 5, is not in this build). Harness ready: it starts redis-server + PostgreSQL and runs this target as soon as the proxy uses them."
        kill "${PID[distributed]}" 2>/dev/null || true
        unset 'URL[distributed]'
      fi
    else
      note distributed "not yet measurable: the proxy did not serve a first request with REDIS_URL + PostgreSQL (see bench/out/*/distributed.log)."
      unset 'URL[distributed]'
    fi
  fi
fi

# 7b. The base checkout's proxy, embedded and distributed, beside this one's: its own SQLite file; its own PostgreSQL
#     database and Redis database (so that neither proxy's usage writer reads the other's stream).
if [[ " $TARGETS " == *" base-embedded "* ]]; then
  log "starting the base checkout's embedded proxy ($BASE)"
  PROXY_DLL=$BASE_PROXY_DLL ADMIN_DLL=$BASE_ADMIN_DLL start_proxy base-embedded "sqlite:///$tmp/base-embedded.db"
fi
if [[ " $TARGETS " == *" base-distributed "* ]] && [ -n "$pg_bin" ]; then
  log "starting the base checkout's distributed proxy"
  [ -n "$redis_port" ] || start_redis
  [ -n "${pg_port:-}" ] || start_postgres
  psql_value 'create database base' >/dev/null
  PROXY_DLL=$BASE_PROXY_DLL ADMIN_DLL=$BASE_ADMIN_DLL start_proxy base-distributed "postgresql://postgres@127.0.0.1:$pg_port/base" \
    REDIS_URL="redis://127.0.0.1:$redis_port/1"
fi

# Usage events in the database, and the wait for the batch writer to catch up after a run: the proxy answers before
# its usage is written, so a burst leaves a backlog that is written afterwards (and competes with what comes next).
usage_rows() {
  case $1 in
    embedded) sqlite3 -cmd '.timeout 5000' "$tmp/embedded.db" 'select count(*) from usage_events' 2>/dev/null || echo -1 ;;
    distributed) psql_value 'select count(*) from usage_events' 2>/dev/null || echo -1 ;;
    base-embedded) sqlite3 -cmd '.timeout 5000' "$tmp/base-embedded.db" 'select count(*) from usage_events' 2>/dev/null || echo -1 ;;
    base-distributed) psql_value 'select count(*) from usage_events' base 2>/dev/null || echo -1 ;;
    *) echo 0 ;;
  esac
}

wait_for_usage_writer() { # target → seconds until the row count has not moved for 2 s (at most 150 s), 2 s included
  local target=$1 start now rows previous=-2 still=0
  start=$(date +%s%N)
  while :; do
    rows=$(usage_rows "$target")
    if [ "$rows" = "$previous" ]; then still=$((still + 1)); else still=0; previous=$rows; fi
    now=$(date +%s%N)
    if [ $still -ge 4 ] || [ $(((now - start) / 1000000000)) -ge 150 ]; then break; fi
    sleep 0.5
  done
  awk -v ns=$((now - start)) 'BEGIN { printf "%.1f", ns / 1e9 - 2 }'
}

scenario_path() { case $1 in openai-sse) echo /v1/chat/completions ;; *) echo /api/chat ;; esac; }
scenario_body() {
  case $1 in
    chat) echo "$tmp/bodies/chat-small.json" ;;
    chat-stream-50) echo "$tmp/bodies/chat-stream.json" ;;
    openai-sse) echo "$tmp/bodies/sse.json" ;;
    prompt-100k) echo "$tmp/bodies/chat-100k.json" ;;
  esac
}

# The BENCH line of wrk/post.lua → "requests rps p50 p99 p999 errors".
parse_wrk() {
  sed -nE 's/^BENCH requests=([0-9]+) seconds=([0-9.]+) p50=([0-9]+) p99=([0-9]+) p999=([0-9]+) errors=([0-9]+)$/\1 \2 \3 \4 \5 \6/p' "$1" |
    awk '{ printf "%d\t%.1f\t%d\t%d\t%d\t%d\n", $1, $1 / $2, $3, $4, $5, $6 }'
}

run_wrk() { # target scenario connections seconds output [PACE_MS]
  local target=$1 scenario=$2
  BODY_FILE=$(scenario_body "$scenario") API_KEY=${KEY[$target]} PACE_MS=${6:-} \
    wrk -t"$THREADS" -c"$3" -d"$4"s --latency -s "$bench/wrk/post.lua" "${URL[$target]}$(scenario_path "$scenario")" >"$5" 2>&1
}

printf 'clk_tck\t%s\n' "$(getconf CLK_TCK)" >"$out/meta.tsv"
printf 'load\twrk -t%s -c%s, %s s per cell after %s s warm-up (and %s s on each .NET target first); load average before: %s\n' \
  "$THREADS" "$CONNS" "$DURATION" "$WARMUP" "$JIT_WARMUP" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/meta.tsv"

writes_usage() { [[ $1 == *embedded || $1 == *distributed ]]; } # the proxies, which write usage after answering

# 8. Saturation: every target, every scenario, the same wrk load.
active=()
for target in $TARGETS; do [ -n "${URL[$target]:-}" ] && active+=("$target"); done
log "targets: ${active[*]}; scenarios: $SCENARIOS"

# First each .NET process (all but nginx) is brought to its steady state: for its first tens of seconds under load the
# runtime is still compiling (tiered compilation re-JITs hot methods with profile data), which on these two cores took
# a fifth of a fresh proxy's CPU 5–15 s into a run and 1–2 % after 45 s (perf, bench/RESULTS.md). A short per-cell
# warm-up would measure that transient, the more so the more code a target runs; a server runs for days.
scenario_count=$(wc -w <<<"$SCENARIOS")
for target in "${active[@]}"; do
  [ "$target" != nginx ] || continue
  for scenario in $SCENARIOS; do
    run_wrk "$target" "$scenario" "$CONNS" $(((JIT_WARMUP + scenario_count - 1) / scenario_count)) /dev/null
  done
  if writes_usage "$target"; then wait_for_usage_writer "$target" >/dev/null; fi
done
for scenario in $SCENARIOS; do
  for target in "${active[@]}"; do
    pid=${PID[$target]}
    run_wrk "$target" "$scenario" "$CONNS" "$WARMUP" "$out/warmup-$target-$scenario.txt"
    if writes_usage "$target"; then wait_for_usage_writer "$target" >/dev/null; fi
    sleep 0.3
    types="$tmp/$target.types"
    [ "$ALLOC_TYPES" != 1 ] || cp "$types" "$tmp/types-before" 2>/dev/null || : >"$tmp/types-before"
    reset_peak_rss "$pid"
    cpu0=$(cpu_ticks "$pid"); alloc0=$(allocated "${STATS[$target]}")
    run_wrk "$target" "$scenario" "$CONNS" "$DURATION" "$out/wrk-$target-$scenario.txt"
    sleep 0.3
    cpu1=$(cpu_ticks "$pid"); alloc1=$(allocated "${STATS[$target]}"); rss=$(peak_rss_kb "$pid")
    read -r requests rps p50 p99 p999 errors <<<"$(parse_wrk "$out/wrk-$target-$scenario.txt")"
    catchup=-1; cpu2=$cpu1
    if writes_usage "$target"; then
      catchup=$(wait_for_usage_writer "$target"); cpu2=$(cpu_ticks "$pid")
    fi
    [ -n "${requests:-}" ] || { log "$target/$scenario: no result"; cat "$out/wrk-$target-$scenario.txt"; exit 1; }
    alloc=-1; [ "$alloc0" = -1 ] || alloc=$((alloc1 - alloc0))
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$scenario" "$CONNS" "$DURATION" \
      "$requests" "$rps" "$p50" "$p99" "$p999" "$errors" "$((cpu1 - cpu0))" "$rss" "$alloc" "$catchup" "$((cpu2 - cpu0))" >>"$out/sat.tsv"
    log "$(printf '%-12s %-15s %8s req/s  p50 %6s µs  p99 %7s µs  errors %s  usage writer caught up after %s s' "$target" "$scenario" "$rps" "$p50" "$p99" "$errors" "$catchup")"
    if [ "$ALLOC_TYPES" = 1 ] && [ -f "$types" ]; then
      sleep 0.5
      { echo "#### $target, $scenario"; echo; probe allocdiff "$tmp/types-before" "$types" "$requests" 12; echo; } >>"$out/alloc-types.md"
    fi
  done
done

# 9. Latency at a fixed offered load: half the embedded proxy's saturated rate on non-streamed chat (nginx's if the
#    proxy was not run), the same offered load for every target. Each connection waits PACE ms between requests.
reference=$(awk -F'\t' '$2 == "chat" && $1 == "embedded" { print $6 }' "$out/sat.tsv")
[ -n "$reference" ] || reference=$(awk -F'\t' '$2 == "chat" && $1 == "nginx" { print $6 }' "$out/sat.tsv")
if [ -n "$reference" ] && [[ " $SCENARIOS " == *" chat "* ]]; then
  pace=10
  offered=$(awk -v r="$reference" 'BEGIN { printf "%d", r / 2 }')
  conns=$(awk -v o="$offered" -v p=$pace -v t="$THREADS" 'BEGIN { c = int(o * (p + 0.3) / 1000 + 0.5); if (c < t) c = t; if (c > 512) c = 512; print c }')
  printf 'paced\tnon-streamed chat at %s req/s offered (half the %s req/s of the embedded proxy at saturation): %s connections each waiting %s ms between requests, %s s\n' \
    "$offered" "${reference%.*}" "$conns" "$pace" "$DURATION" >>"$out/meta.tsv"
  for target in "${active[@]}"; do
    run_wrk "$target" chat "$conns" 1 /dev/null "$pace"
    run_wrk "$target" chat "$conns" "$DURATION" "$out/paced-$target.txt" "$pace"
    read -r requests rps p50 p99 p999 errors <<<"$(parse_wrk "$out/paced-$target.txt")"
    printf '%s\tchat\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$offered" "$rps" "$p50" "$p99" "$p999" "$errors" >>"$out/paced.tsv"
    log "$(printf '%-12s paced chat      %8s req/s  p50 %6s µs  p99 %7s µs' "$target" "$rps" "$p50" "$p99")"
  done
fi

# 10. Time to first chunk: sequential streamed requests, one connection, per target.
printf 'ttfb\t%s sequential streamed requests per cell after 20 warm-up, one kept-alive connection, .NET HttpClient probe; the fake waits 2 ms after the first chunk, so the first chunk stands apart\n' "$TTFB_N" >>"$out/meta.tsv"
for scenario in chat-stream-50 openai-sse; do
  [[ " $SCENARIOS " == *" $scenario "* ]] || continue
  for target in "${active[@]}"; do
    line=$(probe ttfb "${URL[$target]}$(scenario_path "$scenario")?gap_ms=2" "$(scenario_body "$scenario")" "${KEY[$target]}" "$TTFB_N")
    printf '%s\t%s\t%s\n' "$target" "$scenario" "$line" >>"$out/ttfb.tsv"
    log "$target $scenario first chunk: $line"
  done
done

# 11. The ledger: in-process reserve+settle per second, the Redis client's CPU per call, and the raw EVALSHA ceiling of this machine's redis-server
#     for a reserve-shaped script (bench/ledger/reserve.lua); a reserve+settle is two such calls.
log "ledger microbenchmark"
probe ledger 3 >>"$out/ledger.tsv"
[ -n "$redis_port" ] || start_redis
# What the proxy's own Redis calls cost it (client CPU per call, bench/Probe/RedisClientCost.cs).
probe redis "127.0.0.1:$redis_port" 3 >>"$out/ledger.tsv"
sha=$(redis-cli -p "$redis_port" script load "$(cat "$bench/ledger/reserve.lua")")
redis_args=(EVALSHA "$sha" 1 "{k:bench}:c" 1000000000 1000000000000 1000000000 1000000000000 30 8192 3000000)
redis-cli -p "$redis_port" "${redis_args[@]}" >/dev/null
redis-benchmark -p "$redis_port" -n 200000 -c 50 -P 1 --csv "${redis_args[@]}" >"$out/redis-benchmark.csv" 2>&1
eval_rps=$(awk -F'","' 'NR > 1 { print $2; exit }' "$out/redis-benchmark.csv" | tr -d '"')
printf 'redis EVALSHA ceiling\t%.0f\tredis-benchmark -n 200000 -c 50 -P 1 EVALSHA reserve.lua (one call per request)\n' "$eval_rps" >>"$out/ledger.tsv"
printf 'redis reserve+settle ceiling\t%.0f\thalf the EVALSHA rate: one script call to reserve, one to settle\n' "$(awk -v r="$eval_rps" 'BEGIN { print r / 2 }')" >>"$out/ledger.tsv"

# 12. The tables.
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  probe report "$out"
  if [ -f "$out/alloc-types.md" ]; then echo; echo "### Sampled allocations by type"; echo; cat "$out/alloc-types.md"; fi
} >"$out/results.md"
cat "$out/results.md"
log "raw output: $out"
