# Shared by bench/run.sh, bench/soak.sh and bench/fairshare.sh (sourced, not run): the throwaway folder, the watchdog and the cleanup that
# stops everything started, the tools, the Release build, and the servers: the fake upstream, redis-server,
# PostgreSQL and proxy instances, each on a free loopback port.
#
#   bench_begin NAME SECONDS    output folder bench/out/<time>[-NAME], throwaway folder, cleanup on exit, and a
#                               watchdog that ends the script after SECONDS whatever happens
# BENCH_PROXY_ENV (extra VAR=value words for the proxy processes) and BENCH_SKIP_BUILD=1 apply to every script.
# The calling script sets `set -euo pipefail` itself.

bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$bench")
release=net10.0
PROXY_DLL="$root/src/OllamaQuota.Proxy/bin/Release/$release/OllamaQuota.Proxy.dll"
ADMIN_DLL="$root/src/OllamaQuota.Admin/bin/Release/$release/OllamaQuota.Admin.dll"
FAKE_DLL="$bench/FakeUpstream/bin/Release/$release/FakeUpstream.dll"
PROBE_DLL="$bench/Probe/bin/Release/$release/OllamaQuota.Bench.Probe.dll"
HOOK_DLL="$bench/AllocHook/bin/Release/$release/OllamaQuota.Bench.AllocHook.dll"
YARP_DLL="$bench/PlainYarp/bin/Release/$release/PlainYarp.dll"
# BENCH_BASE: another checkout of this repository (say, the commit a change started from), built and measured in the
# same run as targets base-embedded and base-distributed, so that a change is read against its base on one machine.
BASE=${BENCH_BASE:+$(cd "$BENCH_BASE" && pwd)}
BASE_PROXY_DLL="$BASE/src/OllamaQuota.Proxy/bin/Release/$release/OllamaQuota.Proxy.dll"
BASE_ADMIN_DLL="$BASE/src/OllamaQuota.Admin/bin/Release/$release/OllamaQuota.Admin.dll"
read -r -a PROXY_ENV <<<"${BENCH_PROXY_ENV:-}"
pids=()
pg_data=""
redis_port=""
declare -A URL KEY PID STATS

log() { printf '==> %s\n' "$*" >&2; }

probe() { dotnet "$PROBE_DLL" "$@"; }

bench_begin() { # name seconds
  out="$bench/out/$(date +%Y%m%d-%H%M%S)${1:+-$1}"
  mkdir -p "$out"
  tmp=$(mktemp -d /tmp/oq-bench.XXXXXX)
  chmod 755 "$tmp" # PostgreSQL runs as the postgres user and must reach its folder inside.
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM

  # A bound on the whole run, whatever happens: nothing here may go on by itself.
  # (Its sleep is ended with it, and it holds no output open.)
  ( exec >/dev/null 2>&1; sleep "$2" & nap=$!; trap 'kill $nap; exit 0' TERM; wait $nap; kill -TERM $$ ) &
  pids+=($!)
}

bench_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$pg_data" ]; then pg "$pg_bin/pg_ctl" stop -m immediate -D "$pg_data" >/dev/null 2>&1 || true; fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  [ $status -eq 0 ] || log "failed (exit $status); logs in $out"
  exit $status
}

install_missing() { # apt package names of the missing tools
  [ $# -gt 0 ] || return 0
  log "installing $*"
  local sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { "${sudo_cmd[@]}" apt-get update -qq && "${sudo_cmd[@]}" apt-get install -y -qq "$@" >/dev/null; }
}

build_release() { # unless BENCH_SKIP_BUILD=1: the product, then the bench's own projects
  [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || return 0
  log "building Release"
  dotnet build "$root/OllamaQuota.slnx" -c Release -nologo -v q >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
  dotnet build "$bench/Bench.slnx" -c Release -nologo -v q >>"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
  [ -z "$BASE" ] || dotnet build "$BASE/OllamaQuota.slnx" -c Release -nologo -v q >>"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
  done
}

wait_http() { # url [seconds]
  local i
  for ((i = 0; i < ${2:-30} * 10; i++)); do
    curl -s -o /dev/null --max-time 1 "$1" && return 0
    sleep 0.1
  done
  log "no answer from $1"; return 1
}

start_dotnet() { # name stats-file [VAR=value…] dotnet dll args…; sets LAST_PID
  local name=$1 stats=$2 types=""; shift 2
  [ "${ALLOC_TYPES:-0}" != 1 ] || [ "$name" = fake ] || types="$tmp/$name.types"
  # Each in an empty folder of its own: ASP.NET Core watches its content root (the working directory) for
  # configuration changes, and a busy tree there (this repository while others build) costs it CPU.
  mkdir -p "$tmp/cwd-$name"
  (cd "$tmp/cwd-$name" && exec env DOTNET_STARTUP_HOOKS="$HOOK_DLL" BENCH_STATS_FILE="$stats" BENCH_ALLOC_TYPES_FILE="$types" "$@") >"$out/$name.log" 2>&1 &
  LAST_PID=$!
  pids+=("$LAST_PID")
}

start_fake() { # chunks per stream [more FakeUpstream arguments…]; sets FAKE_URL, fake_port and PID[direct]
  fake_port=$(free_port)
  start_dotnet fake "$tmp/fake.stats" dotnet "$FAKE_DLL" --port "$fake_port" --chunks "$@"
  PID[direct]=$LAST_PID
  FAKE_URL="http://127.0.0.1:$fake_port"
  wait_http "$FAKE_URL/api/version"
}

start_redis() {
  redis_port=$(free_port)
  mkdir -p "$tmp/redis"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp/redis" --daemonize no >"$out/redis.log" 2>&1 &
  pids+=($!)
  local i
  for ((i = 0; i < 50; i++)); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && return 0; sleep 0.1; done
  log "redis-server did not start"; return 1
}

pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin=$(compgen -G "/usr/lib/postgresql/*/bin" | sort -V | tail -1 || true)
start_postgres() { # sets PG_URL and pg_port
  local port; port=$(free_port)
  pg_data="$tmp/pg"
  mkdir -p "$pg_data"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$pg_data"
  pg "$pg_bin/initdb" -D "$pg_data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >"$out/pg-init.log" 2>&1
  pg "$pg_bin/pg_ctl" start -w -t 60 -D "$pg_data" -l "$pg_data/server.log" \
    -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    >>"$out/pg-init.log" 2>&1
  PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
  pg_port=$port
}

psql_value() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d "${2:-postgres}" -tAc "$1"; } # sql [database]

init_database() { # log-name database-url [VAR=value…]
  local name=$1 database=$2; shift 2
  env DATABASE_URL="$database" OLLAMA_URL="$FAKE_URL" ADMIN_PASSWORD=bench-admin "$@" dotnet "$ADMIN_DLL" init-db >"$out/$name-init.log" 2>&1
}

create_key() { # target key-name database-url [VAR=value…]; sets KEY[target]: a key whose four limits never trigger
  local target=$1 name=$2 database=$3; shift 3
  env DATABASE_URL="$database" OLLAMA_URL="$FAKE_URL" ADMIN_PASSWORD=bench-admin "$@" dotnet "$ADMIN_DLL" create-key --name "$name" \
    --daily-tokens 1000000000000 --monthly-tokens 1000000000000 --daily-requests 1000000000 --monthly-requests 1000000000 \
    >"$out/$target-key.log" 2>&1
  KEY[$target]=$(grep -oE '^sk-[A-Za-z0-9_-]+' "$out/$target-key.log" | head -1)
  [ -n "${KEY[$target]}" ] || { log "no key printed by create-key"; cat "$out/$target-key.log"; return 1; }
}

start_proxy_instance() { # target key database-url [VAR=value…]: starts it and checks one request with the key
  local target=$1 key=$2 database=$3; shift 3
  local port; port=$(free_port)
  start_dotnet "$target" "$tmp/$target.stats" env DATABASE_URL="$database" OLLAMA_URL="$FAKE_URL" ADMIN_PASSWORD=bench-admin "$@" \
    PROXY_HOST=127.0.0.1 PROXY_PORT="$port" "${PROXY_ENV[@]}" dotnet "$PROXY_DLL"
  PID[$target]=$LAST_PID
  URL[$target]="http://127.0.0.1:$port"; STATS[$target]="$tmp/$target.stats"
  wait_http "${URL[$target]}/alive" 60
  local status
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "${URL[$target]}/api/chat" --data-binary "@$tmp/bodies/chat-small.json")
  [ "$status" = 200 ] || { log "$target: a first request answered $status"; tail -20 "$out/$target.log"; return 1; }
}

start_proxy() { # target database-url [VAR=value…]: a database of its own with a key, and one instance over it
  local target=$1 database=$2; shift 2
  init_database "$target" "$database" "$@"
  create_key "$target" bench "$database" "$@"
  start_proxy_instance "$target" "${KEY[$target]}" "$database" "$@"
}
