#!/usr/bin/env bash
# The Admin at scale: seeds BENCH_KEYS keys (default 100,000) and BENCH_EVENTS usage events (default 10,000,000)
# over the last 60 days, with their roll-ups (per key, day and model; per day and model; per month and key), and
# BENCH_OWNERS owners (default 1,000) holding four keys in five, straight into a throwaway PostgreSQL (generate_series: no proxy
# in the way), starts the Admin (Release) over it, and times each admin read the UI makes: the keys list (first page,
# a search, a late page), the overview (today, month), the request log (first page, each filter, a deep cursor page),
# the first MB of the CSV, and one retention batch. Prints a table (median of BENCH_RUNS warm runs, and the first,
# cold, run); the query plans of the request log go to the output folder.
#
#   bench/admin-scale.sh                         BENCH_KEYS=100000 BENCH_EVENTS=10000000 BENCH_RUNS=5
#   BENCH_EVENTS=1000000 bench/admin-scale.sh    a smaller run
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEYS=${BENCH_KEYS:-100000}
OWNERS=${BENCH_OWNERS:-1000}
EVENTS=${BENCH_EVENTS:-10000000}
RUNS=${BENCH_RUNS:-5}
CHUNK=1000000

bench_begin admin-scale 7200
build_release
start_postgres
sql() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
seconds_since() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

log "schema (init-db)"
env DATABASE_URL="$PG_URL" OLLAMA_URL=http://127.0.0.1:9 ADMIN_PASSWORD=bench-admin-password dotnet "$ADMIN_DLL" init-db >"$out/init.log" 2>&1

log "seeding $KEYS keys"
started=$(date +%s%N)
sql "INSERT INTO api_keys (id, name, key_prefix, key_hash, created_at, is_active, daily_tokens)
     SELECT gen_random_uuid(), 'key-' || i || CASE WHEN i % 7 = 0 THEN '-team' ELSE '' END, 'sk-' || substr(md5(i::text), 1, 8),
            md5(i::text) || md5((i + 1)::text), now() - i * interval '1 minute', i % 20 <> 0, CASE WHEN i % 3 = 0 THEN 1000000 END
     FROM generate_series(1, $KEYS) i"
sql "INSERT INTO owners (id, name, created_at, keys_version) SELECT gen_random_uuid(), 'owner-' || i, now(), 0 FROM generate_series(1, $OWNERS) i"
sql "WITH o AS (SELECT row_number() OVER (ORDER BY name) - 1 AS n, id FROM owners),
          k AS (SELECT row_number() OVER (ORDER BY created_at) AS n, id FROM api_keys)
     UPDATE api_keys SET owner_id = o.id FROM k JOIN o ON o.n = k.n % $OWNERS WHERE api_keys.id = k.id AND k.n % 5 <> 0"
keys_seconds=$(seconds_since "$started")

# The events: keys drawn with a skew (a few keys make most of the traffic, as in life), four models, four endpoints,
# 2 % refused with 429, 0.2 % with 503 (the ledger down), 0.5 % answered 502. The request-log indexes are dropped
# while loading and built again afterwards (what a bulk import would do; the build is timed too).
log "seeding $EVENTS usage events"
sql "CREATE TABLE bench_keys AS SELECT row_number() OVER (ORDER BY created_at) AS n, id FROM api_keys; ALTER TABLE bench_keys ADD PRIMARY KEY (n)"
indexes=$(sql "SELECT indexdef FROM pg_indexes WHERE tablename = 'usage_events' AND indexname <> 'pk_usage_events'")
sql "SELECT 'DROP INDEX ' || string_agg(indexname, ', ') FROM pg_indexes WHERE tablename = 'usage_events' AND indexname <> 'pk_usage_events'" | sql "$(cat)"
started=$(date +%s%N)
for ((done_rows = 0; done_rows < EVENTS; done_rows += CHUNK)); do
  rows=$((EVENTS - done_rows < CHUNK ? EVENTS - done_rows : CHUNK))
  sql "INSERT INTO usage_events (id, key_id, model, endpoint, prompt_tokens, completion_tokens, status_code, duration_ms, created_at,
         prompt_eval_duration_ns, eval_duration_ns, refused)
       SELECT gen_random_uuid(), k.id, e.model, e.endpoint,
              CASE WHEN e.status >= 400 THEN 0 ELSE 20 + e.r % 400 END, CASE WHEN e.status >= 400 THEN 0 ELSE 50 + e.r % 900 END,
              e.status, CASE WHEN e.refused THEN 1 ELSE 200 + e.r % 3000 END, e.at,
              CASE WHEN e.status < 400 AND e.endpoint LIKE '/api/%' THEN 5000000 + e.r % 100000000 END,
              CASE WHEN e.status < 400 AND e.endpoint LIKE '/api/%' THEN 20000000 + e.r % 900000000 END, e.refused
       FROM (SELECT (1 + floor(power(random(), 4) * $KEYS))::int AS n,
                    (ARRAY['llama3.1:8b', 'qwen2.5:7b', 'mistral:7b', 'nomic-embed-text'])[(1 + (g % 10 + g % 3) % 4)::int] AS model,
                    (ARRAY['/api/chat', '/v1/chat/completions', '/api/generate', '/api/embed'])[(1 + (g / 7) % 4)::int] AS endpoint,
                    CASE WHEN g % 50 = 0 THEN 429 WHEN g % 500 = 1 THEN 503 WHEN g % 200 = 3 THEN 502 ELSE 200 END AS status,
                    (g % 50 = 0 OR g % 500 = 1) AS refused,
                    (g * 7919) % 1000003 AS r,
                    now() - random() * interval '60 days' AS at
             FROM generate_series($done_rows + 1::bigint, $done_rows + $rows::bigint) g) e
       JOIN bench_keys k ON k.n = e.n"
  log "  $((done_rows + rows)) events after $(seconds_since "$started") s"
done
events_seconds=$(seconds_since "$started")
started=$(date +%s%N)
while IFS= read -r definition; do [ -z "$definition" ] || sql "$definition"; done <<<"$indexes"
index_seconds=$(seconds_since "$started")

log "roll-ups"
started=$(date +%s%N)
sql "INSERT INTO usage_daily (key_id, day, model, requests, prompt_tokens, completion_tokens, total_duration_ns, load_duration_ns,
       prompt_eval_duration_ns, eval_duration_ns, gpu_duration_ns, timed_requests, errors, refused_rate_limited, refused_unavailable)
     SELECT key_id, (created_at AT TIME ZONE 'Europe/Berlin')::date, model, count(*) FILTER (WHERE status_code < 400),
            sum(prompt_tokens), sum(completion_tokens), 0, 0, coalesce(sum(prompt_eval_duration_ns), 0), coalesce(sum(eval_duration_ns), 0),
            coalesce(sum(prompt_eval_duration_ns + eval_duration_ns), 0), count(eval_duration_ns),
            count(*) FILTER (WHERE status_code >= 500 AND NOT refused), count(*) FILTER (WHERE refused AND status_code = 429),
            count(*) FILTER (WHERE refused AND status_code = 503)
     FROM usage_events GROUP BY 1, 2, 3"
# The overview's coarser grains, from the daily roll-ups, as the migration that added them backfills them
# (UsageRollupBackfill.PostgreSql).
sums="requests, prompt_tokens, completion_tokens, gpu_duration_ns, timed_requests, errors, refused_rate_limited, refused_unavailable"
sums_of="sum(requests), sum(prompt_tokens), sum(completion_tokens), sum(gpu_duration_ns), sum(timed_requests), sum(errors), sum(refused_rate_limited), sum(refused_unavailable)"
sql "INSERT INTO usage_model_daily (day, model, $sums) SELECT day, model, $sums_of FROM usage_daily GROUP BY 1, 2"
sql "INSERT INTO usage_key_monthly (month, key_id, $sums) SELECT CAST(date_trunc('month', day) AS date), key_id, $sums_of FROM usage_daily GROUP BY 1, 2"
rollup_seconds=$(seconds_since "$started")
sql "DROP TABLE bench_keys"
sql "VACUUM ANALYZE"
rollup_rows=$(sql "SELECT (SELECT count(*) FROM usage_daily) || ' per key, day and model; ' || (SELECT count(*) FROM usage_key_monthly) || ' per month and key; ' || (SELECT count(*) FROM usage_model_daily) || ' per day and model'")
db_size=$(sql "SELECT pg_size_pretty(pg_database_size('postgres'))")

log "starting the Admin"
admin_port=$(free_port)
mkdir -p "$tmp/cwd-admin"
(cd "$tmp/cwd-admin" && exec env DATABASE_URL="$PG_URL" ADMIN_PASSWORD=bench-admin-password ADMIN_HOST=127.0.0.1 ADMIN_PORT="$admin_port" \
  OLLAMA_URL=http://127.0.0.1:9 dotnet "$ADMIN_DLL") >"$out/admin.log" 2>&1 &
pids+=($!)
ADMIN="http://127.0.0.1:$admin_port"
wait_http "$ADMIN/alive" 60

# Values for the filters: the busiest key, a quiet one, a name to search, a cursor half way down the log.
busy_key=$(sql "SELECT key_id FROM usage_daily GROUP BY key_id ORDER BY sum(requests) DESC LIMIT 1")
quiet_key=$(sql "SELECT key_id FROM usage_daily GROUP BY key_id ORDER BY sum(requests) LIMIT 1")
deep_cursor=$(sql "SELECT ((extract(epoch FROM created_at) * 10000000)::bigint + 621355968000000000) || '.' || replace(id::text, '-', '')
                   FROM usage_events ORDER BY created_at DESC, id DESC OFFSET $((EVENTS / 2)) LIMIT 1")
from=$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d '-29 days' +%Y-%m-%dT%H:%M:%SZ)

# Each read: RUNS+1 times; the first (cold) apart, the median of the rest.
declare -a rows_out=()
time_read() { # label path
  local label=$1 path=$2 i status first="" times=()
  for ((i = 0; i <= RUNS; i++)); do
    read -r status t < <(curl -s -o "$tmp/body" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer bench-admin-password" "$ADMIN$path")
    [ "$status" = 200 ] || { log "$label: HTTP $status"; head -c 400 "$tmp/body"; echo; return 1; }
    if [ $i -eq 0 ]; then first=$t; else times+=("$t"); fi
  done
  local median; median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
  rows_out+=("$(awk -v l="$label" -v p="${path:0:90}" -v m="$median" -v f="$first" -v b="$(wc -c <"$tmp/body")" \
    'BEGIN { printf "| %s | `%s` | %.0f | %.0f | %s |", l, p, m * 1000, f * 1000, b }')")
}

log "timing the reads"
time_read "keys: first page (50)" "/api/api-keys?limit=50"
time_read "keys: search a name" "/api/api-keys?search=key-4242&limit=50"
time_read "keys: search, many matches" "/api/api-keys?search=team&limit=50"
time_read "keys: sorted by name" "/api/api-keys?sort=name&limit=50"
time_read "keys: late page" "/api/api-keys?limit=50&offset=$((KEYS - 50))"
time_read "keys: status filter" "/api/api-keys?status=deactivated&limit=50"
time_read "overview: today" "/api/overview?period=today"
time_read "overview: month" "/api/overview?period=month"
time_read "request log: first page" "/api/requests?limit=50"
time_read "request log: busiest key" "/api/requests?key_id=$busy_key"
time_read "request log: quietest key" "/api/requests?key_id=$quiet_key"
time_read "request log: model" "/api/requests?model=mistral:7b"
time_read "request log: endpoint" "/api/requests?endpoint=/api/embed"
time_read "request log: status 429" "/api/requests?status=429"
time_read "request log: status 503" "/api/requests?status=503"
time_read "request log: status none has" "/api/requests?status=418"
time_read "request log: one day, 30 days ago" "/api/requests?from=$from&to=$to"
time_read "request log: key + model + day" "/api/requests?key_id=$busy_key&model=qwen2.5:7b&from=$from&to=$to"
time_read "request log: deep cursor ($((EVENTS / 2)) down)" "/api/requests?cursor=$deep_cursor"

# The CSV: time to the first MB of the unfiltered export.
csv_started=$(date +%s%N)
curl -s -H "Authorization: Bearer bench-admin-password" "$ADMIN/api/requests.csv" | head -c 1000000 >"$tmp/csv" || true
csv_ms=$(( ($(date +%s%N) - csv_started) / 1000000 ))
rows_out+=("| CSV: first MB, no filter | \`/api/requests.csv\` | $csv_ms | $csv_ms | $(wc -c <"$tmp/csv") |")

# Retention: one batch of the Admin's delete (10,000 rows, the oldest), as the job runs it.
batch_sql="DELETE FROM usage_events WHERE id IN (SELECT id FROM usage_events WHERE created_at < now() - interval '59 days' ORDER BY created_at LIMIT 10000)"
started=$(date +%s%N)
deleted=$(psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc "$batch_sql" | grep -oE '[0-9]+' | tail -1 || echo '?')
batch_ms=$(( ($(date +%s%N) - started) / 1000000 ))
rows_out+=("| retention: one batch of 10,000 | \`DELETE … LIMIT 10000\` | $batch_ms | $batch_ms | deleted ${deleted:-?} |")

# The plans, for the record.
for where in "" "WHERE key_id = '$busy_key'" "WHERE model = 'mistral:7b'" "WHERE endpoint = '/api/embed'" "WHERE status_code = 503"; do
  echo "-- $where" >>"$out/plans.txt"
  psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -qtAc \
    "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM usage_events $where ORDER BY created_at DESC, id DESC LIMIT 50" >>"$out/plans.txt"
done

{
  echo "## Admin at scale: $KEYS keys, $EVENTS usage events ($(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "Seeding: keys ${keys_seconds} s, events ${events_seconds} s, request-log indexes ${index_seconds} s, roll-ups ${rollup_seconds} s ($rollup_rows); database $db_size."
  echo
  echo "| read | request | median ms (of $RUNS warm) | first (cold) ms | bytes |"
  echo "| --- | --- | ---: | ---: | ---: |"
  printf '%s\n' "${rows_out[@]}"
} | tee "$out/results.md"
