#!/usr/bin/env bash
# Fair share of a model's slots (issue 14, part 3): one GPU box whose model answers FAIRSHARE_PARALLEL generations at
# once and queues the rest first come first served (the fake upstream with --parallel, as Ollama with
# OLLAMA_NUM_PARALLEL), each a stream of FAIRSHARE_CHUNKS chunks FAIRSHARE_TOKEN_MS apart. Key A floods the proxy with
# FAIRSHARE_FLOOD parallel streams; key B sends one streamed request at a time, and its time to first token is
# reported, with model_slots off (today's behaviour: every request goes straight to Ollama's queue) and on
# ({"default": FAIRSHARE_PARALLEL}: the proxy admits round-robin across keys), in embedded mode and in distributed
# mode (two instances over one Redis and PostgreSQL; A's flood through the first, B through the second).
#
#   bench/fairshare.sh      installs what is missing (apt: redis-server redis-tools sqlite3 postgresql), builds
#                           Release, starts everything in a throwaway folder on free loopback ports, prints the
#                           Markdown table, stops everything and removes the folder (also on failure or Ctrl-C).
#
# Knobs (environment): FAIRSHARE_SECONDS (B's measuring time per cell, 20), FAIRSHARE_FLOOD (64), FAIRSHARE_PARALLEL
# (4), FAIRSHARE_CHUNKS (20), FAIRSHARE_TOKEN_MS (10), FAIRSHARE_TARGETS ("embedded distributed"), BENCH_PROXY_ENV,
# BENCH_SKIP_BUILD=1. Raw output stays in bench/out/<time>-fairshare/.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
SECONDS_PER_CELL=${FAIRSHARE_SECONDS:-20}
FLOOD=${FAIRSHARE_FLOOD:-64}
PARALLEL=${FAIRSHARE_PARALLEL:-4}
CHUNKS=${FAIRSHARE_CHUNKS:-20}
TOKEN_MS=${FAIRSHARE_TOKEN_MS:-10}
TARGETS=${FAIRSHARE_TARGETS:-"embedded distributed"}
bench_begin fairshare 1800

# 1. Tools and the build.
need=()
command -v sqlite3 >/dev/null || need+=(sqlite3)
if [[ " $TARGETS " == *" distributed "* ]]; then
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v redis-cli >/dev/null || need+=(redis-tools)
  [ -n "$pg_bin" ] || need+=(postgresql)
fi
install_missing "${need[@]}"
pg_bin=$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -1 || true)
build_release

# 2. The fake GPU box and the request body (a streamed /api/chat).
probe bodies "$tmp/bodies" >/dev/null
start_fake "$CHUNKS" --parallel "$PARALLEL" --token-ms "$TOKEN_MS"
printf 'target\tfair_share\tn\tp50\tp99\tmax\tb_failed\ta_served\ta_failed\n' >"$out/fairshare.tsv"

# Sets the model slots in the settings row (null: off) and waits for the proxies' revision poll to load it.
set_slots() { # target value
  local sql="update settings set model_slots = $2, revision = revision + 1"
  case $1 in
    embedded) sqlite3 -cmd '.timeout 5000' "$tmp/embedded.db" "$sql" ;;
    distributed) psql_value "$sql" >/dev/null ;;
  esac
  sleep 1
}

measure() { # target urls
  local label slots line
  for label in off on; do
    slots=$([ $label = on ] && echo "'{\"default\":$PARALLEL}'" || echo null)
    set_slots "$1" "$slots"
    log "$1, fair share $label: A floods $FLOOD streams, B measures for $SECONDS_PER_CELL s"
    line=$(probe fairshare "$2" "${KEY[$1]}" "${KEY[$1-b]}" "$tmp/bodies/chat-stream.json" "$SECONDS_PER_CELL" "$FLOOD" | tail -1) || true
    printf '%s\t%s\t%s\n' "$1" "$label" "$line" >>"$out/fairshare.tsv"
  done
}

# 3. Embedded: one instance over SQLite.
if [[ " $TARGETS " == *" embedded "* ]]; then
  start_proxy embedded "sqlite:///$tmp/embedded.db" CHANGE_POLL_MS=200
  create_key embedded-b probe "sqlite:///$tmp/embedded.db"
  measure embedded "${URL[embedded]}/api/chat"
  kill "${PID[embedded]}"
fi

# 4. Distributed: two instances over one Redis and one PostgreSQL.
if [[ " $TARGETS " == *" distributed "* ]]; then
  start_redis
  start_postgres
  redis_url="redis://127.0.0.1:$redis_port"
  init_database distributed "$PG_URL" REDIS_URL="$redis_url"
  create_key distributed flood "$PG_URL" REDIS_URL="$redis_url"
  create_key distributed-b probe "$PG_URL" REDIS_URL="$redis_url"
  start_proxy_instance distributed-1 "${KEY[distributed]}" "$PG_URL" REDIS_URL="$redis_url" CHANGE_POLL_MS=200
  start_proxy_instance distributed-2 "${KEY[distributed]}" "$PG_URL" REDIS_URL="$redis_url" CHANGE_POLL_MS=200
  measure distributed "${URL[distributed-1]}/api/chat,${URL[distributed-2]}/api/chat"
fi

# 5. The table.
{
  echo "Fair share of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end):" \
    "the fake model answers $PARALLEL streams at once ($CHUNKS chunks, $TOKEN_MS ms apart) and queues the rest;" \
    "key A floods $FLOOD parallel streams, key B sends one at a time for $SECONDS_PER_CELL s."
  echo
  echo "| target | fair share | B requests | B first token p50 | p99 | max | B failed | A served | A failed |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s ms | %s ms | %s ms | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' "$out/fairshare.tsv"
} >"$out/summary.md"
cat "$out/summary.md"
log "raw output: $out"
