#!/usr/bin/env bash
# How the proxy's cost grows with the work (issue 16): throughput and p99 of non-streamed /api/chat (streamed for
# the stream lengths) against
#   (a) distinct keys in use: 1, 1,000, 100,000, with 100,000 keys in the database (bench/wrk/keys.lua)
#   (b) prompt size: 1 KB, 10 KB, 100 KB, 1 MB
#   (c) stream length: 50, 500, 5,000 NDJSON chunks (the fake upstream's ?chunks=N)
#   (d) concurrent connections: 32, 256, 2,048
# and the proxy's resident memory after each keys row (the key cache and per-key quota state filling up), for the
# embedded proxy (SQLite, in-process ledger) and the distributed one (PostgreSQL + Redis), with plain YARP
# (bench/PlainYarp) beside them on (b)–(d) as the floor. One saturated wrk run per cell after a warm-up.
#
#   bench/growth.sh        builds Release (unless BENCH_SKIP_BUILD=1), prints the Markdown tables; raw output in bench/out/
#
# Knobs: GROWTH_DURATION (s per cell, 6), GROWTH_WARMUP (s, 2), GROWTH_TARGETS ("yarp embedded distributed"),
# GROWTH_KEYS (keys in the database, 100000), GROWTH_TABLES ("keys prompt stream connections").
set -euo pipefail

source "$(dirname "$0")/lib.sh"
DURATION=${GROWTH_DURATION:-6}
WARMUP=${GROWTH_WARMUP:-2}
TARGETS=${GROWTH_TARGETS:-"yarp embedded distributed"}
KEYS_IN_DB=${GROWTH_KEYS:-100000}
TABLES=${GROWTH_TABLES:-"keys prompt stream connections"}
bench_begin growth 2400

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v redis-server >/dev/null || need+=(redis-server)
command -v sqlite3 >/dev/null || need+=(sqlite3)
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
install_missing "${need[@]}"
build_release

# wrk opens one socket per connection; 2,048 of them, plus the proxy's to the upstream, need more than 1,024 files.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge 4200 ] || log "only $(ulimit -n) open files allowed; the 2,048-connection row may fail"

probe bodies "$tmp/bodies" >/dev/null
start_fake 50

if [[ " $TARGETS " == *" yarp "* ]]; then
  yarp_port=$(free_port)
  start_dotnet yarp "$tmp/yarp.stats" dotnet "$YARP_DLL" --port "$yarp_port" --upstream "$FAKE_URL"
  PID[yarp]=$LAST_PID; URL[yarp]="http://127.0.0.1:$yarp_port"; KEY[yarp]=-
  wait_http "${URL[yarp]}/api/version"
fi
if [[ " $TARGETS " == *" embedded "* ]]; then
  log "starting the embedded proxy"
  start_proxy embedded "sqlite:///$tmp/embedded.db"
fi
if [[ " $TARGETS " == *" distributed "* ]]; then
  log "starting redis-server, PostgreSQL and the distributed proxy"
  start_redis
  start_postgres
  start_proxy distributed "$PG_URL" REDIS_URL="redis://127.0.0.1:$redis_port"
fi

# Keys: copies of the bench key's row (same limits, none of which triggers) with known plaintexts "sk-growth…" of the
# real keys' length, hashed as ApiKeySecret.Hash does (hex SHA-256 of the UTF-8 bytes). The first line of keys.txt is
# the bench key itself.
python3 - "$tmp/keys.txt" "$KEYS_IN_DB" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for n in range(1, int(sys.argv[2])):
        f.write("sk-growth%034d\n" % n)
EOF
seed_sqlite() { # database file
  python3 - "$1" "$tmp/keys.txt" <<'EOF'
import hashlib, sqlite3, sys, uuid
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT * FROM api_keys LIMIT 1")
columns = [c[0] for c in row.description]
template = dict(zip(columns, row.fetchone()))
rows = []
for n, line in enumerate(open(sys.argv[2]), 1):
    key = line.strip()
    values = dict(template, id=str(uuid.uuid4()).upper(), name=f"growth-{n}", key_prefix=key[:11],
                  key_hash=hashlib.sha256(key.encode()).hexdigest())
    rows.append([values[c] for c in columns])
db.executemany(f"INSERT INTO api_keys ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows)
db.commit()
EOF
}
seed_postgres() {
  psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 <<EOF >/dev/null
CREATE TEMP TABLE plaintexts (n serial, key text);
\copy plaintexts (key) FROM '$tmp/keys.txt'
CREATE TEMP TABLE copies AS SELECT a.*, p.n AS seed_n, p.key AS seed_key FROM api_keys a CROSS JOIN plaintexts p;
UPDATE copies SET id = gen_random_uuid(), name = 'growth-' || seed_n, key_prefix = left(seed_key, 11),
  key_hash = encode(sha256(convert_to(seed_key, 'UTF8')), 'hex');
ALTER TABLE copies DROP COLUMN seed_n, DROP COLUMN seed_key;
INSERT INTO api_keys SELECT * FROM copies;
EOF
}
if [ -n "${URL[embedded]:-}" ]; then log "seeding $KEYS_IN_DB keys (SQLite)"; seed_sqlite "$tmp/embedded.db"; fi
if [ -n "${URL[distributed]:-}" ]; then log "seeding $KEYS_IN_DB keys (PostgreSQL)"; seed_postgres; fi

rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# The BENCH line of the wrk scripts → "req/s p99(ms) errors".
parse() {
  sed -nE 's/^BENCH requests=([0-9]+) seconds=([0-9.]+) p50=([0-9]+) p99=([0-9]+) p999=([0-9]+) errors=([0-9]+)$/\1 \2 \4 \6/p' "$1" |
    awk '{ printf "%.0f\t%.2f\t%d\n", $1 / $2, $3 / 1000, $4 }'
}

cell() { # table row target connections path body [keys-file] → appends a TSV line: table row target req/s p99 errors rss
  local table=$1 row=$2 target=$3 connections=$4 path=$5 body=$6 keys=${7:-} script=post.lua log="$out/$1-$2-$3.log"
  local env=(BODY_FILE="$body" API_KEY="${KEY[$target]}")
  if [ -n "$keys" ]; then script=keys.lua; env=(BODY_FILE="$body" KEYS_FILE="$keys"); fi
  env "${env[@]}" wrk -t2 -c"$connections" -d"$WARMUP"s -s "$bench/wrk/$script" "${URL[$target]}$path" >/dev/null 2>&1 || true
  env "${env[@]}" wrk -t2 -c"$connections" -d"$DURATION"s --timeout 30s --latency -s "$bench/wrk/$script" "${URL[$target]}$path" >"$log" 2>&1 || true
  local result; result=$(parse "$log")
  [ -n "$result" ] || result=$'0\t0\t-1'
  printf '%s\t%s\t%s\t%s\t%s\n' "$table" "$row" "$target" "$result" "$(rss_mb "${PID[$target]}")" >>"$out/growth.tsv"
  log "$table $row $target: $(tr '\t' ' ' <<<"$result") (req/s p99-ms errors)"
}

proxies() { for t in embedded distributed; do [ -n "${URL[$t]:-}" ] && echo "$t"; done; }
all() { for t in yarp embedded distributed; do [ -n "${URL[$t]:-}" ] && echo "$t"; done; }
small="$tmp/bodies/chat-small.json"

if [[ " $TABLES " == *" keys "* ]]; then
  for n in 1 1000 100000; do
    [ "$n" -le "$KEYS_IN_DB" ] || continue
    for target in $(proxies); do
      if [ "$n" = 1 ]; then printf '%s\n' "${KEY[$target]}" >"$tmp/keys-$n.txt"; else head -n "$n" "$tmp/keys.txt" >"$tmp/keys-$n.txt"; fi
      cell keys "$n" "$target" 32 /api/chat "$small" "$tmp/keys-$n.txt"
    done
  done
fi
if [[ " $TABLES " == *" prompt "* ]]; then
  for size in 1k 10k 100k 1m; do
    for target in $(all); do cell prompt "$size" "$target" 32 /api/chat "$tmp/bodies/chat-$size.json"; done
  done
fi
if [[ " $TABLES " == *" stream "* ]]; then
  for chunks in 50 500 5000; do
    for target in $(all); do cell stream "$chunks" "$target" 32 "/api/chat?chunks=$chunks" "$tmp/bodies/chat-stream.json"; done
  done
fi
if [[ " $TABLES " == *" connections "* ]]; then
  for connections in 32 256 2048; do
    for target in $(all); do cell connections "$connections" "$target" "$connections" /api/chat "$small"; done
  done
fi

# The tables: one per dimension, a row per size, req/s and p99 per target (errors noted), RSS for the keys table.
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $KEYS_IN_DB keys in each database; ${DURATION} s per cell after ${WARMUP} s of warm-up."
  awk -F'\t' -v targets="$(all | tr '\n' ' ')" '
    BEGIN { n = split(targets, t, " "); title["keys"] = "Distinct keys in use"; title["prompt"] = "Prompt size";
            title["stream"] = "Stream length (chunks)"; title["connections"] = "Concurrent connections" }
    { key = $1 SUBSEP $2 SUBSEP $3; rps[key] = $4; p99[key] = $5; err[key] = $6; rss[key] = $7
      if (!(($1, $2) in seen)) { seen[$1, $2] = 1; rows[$1] = rows[$1] " " $2 }
      if (!($1 in order)) { order[$1] = ++tables; name[tables] = $1 } }
    END {
      for (i = 1; i <= tables; i++) {
        table = name[i]; printf "\n### %s\n\n| %s |", title[table], table
        for (j = 1; j <= n; j++) printf " %s req/s | %s p99 |%s", t[j], t[j], (table == "keys" ? " " t[j] " RSS |" : "")
        printf "\n| --- |"; for (j = 1; j <= n; j++) printf " ---: | ---: |%s", (table == "keys" ? " ---: |" : ""); printf "\n"
        m = split(rows[table], r, " ")
        for (k = 1; k <= m; k++) {
          printf "| %s |", r[k]
          for (j = 1; j <= n; j++) {
            key = table SUBSEP r[k] SUBSEP t[j]
            if (key in rps) printf " %s%s | %s ms |%s", rps[key], (err[key] > 0 ? " (" err[key] " errors)" : ""), p99[key], (table == "keys" ? " " rss[key] " MB |" : "")
            else printf " – | – |%s", (table == "keys" ? " – |" : "")
          }
          printf "\n"
        }
      }
    }' "$out/growth.tsv"
} | tee "$out/growth.md"
