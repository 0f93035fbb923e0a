#!/usr/bin/env bash
# The Aspire dashboard, seen: starts the AppHost in its existing-servers mode (a throwaway PostgreSQL and redis-server,
# the end-to-end test's fake Ollama), sends a few requests through the proxy, and saves two screenshots taken in
# headless Chromium for the README:
#   docs/dashboard-resources.png   the resources page
#   docs/dashboard-trace.png       the trace of one proxied /api/chat request (proxy.request and its steps)
#
#   scripts/dashboard-screenshots.sh [output-folder]      (default: docs/)
#
# Needs the .NET SDK, Node.js with npm, PostgreSQL's server binaries (/usr/lib/postgresql/*/bin), redis-server and
# Chromium (CHROMIUM_PATH, default /usr/bin/chromium). Uses the AppHost's own ports (proxy 8000, admin 8001, Vite
# 5173, dashboard 15243, OTLP 19243, resource service 20243) and refuses to start over anything listening there.
# Everything it starts is stopped at the end, also on failure; logs stay in a temporary folder named on failure.
set -euo pipefail

# The benchmarks' helpers start the throwaway servers (free_port, start_postgres, start_redis, pg, log); their logs go
# to $out, which here is the throwaway folder.
source "$(cd "$(dirname "$0")/.." && pwd)/bench/lib.sh"
shots=$(mkdir -p "${1:-$root/docs}" && cd "${1:-$root/docs}" && pwd)
ui="$root/src/OllamaQuota.AdminUi"
tmp=$(mktemp -d /tmp/oq-dashboard.XXXXXX)
chmod 755 "$tmp" # PostgreSQL runs as the postgres user and must reach its folder inside.
out=$tmp
apphost=""
password="dashboard-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  # SIGTERM is the AppHost's orderly stop (dotnet run passes it on): DCP stops the services, the Vite server and the
  # dashboard; its API server, which watches the AppHost process, then ends the rest. Waited for, so that nothing
  # started here outlives the script.
  if [ -n "$apphost" ]; then
    local host_pid api_pid
    host_pid=$(pgrep -P "$apphost" -f OllamaQuota.AppHost || true)
    api_pid=$([ -z "$host_pid" ] || pgrep -f "dcp start-apiserver --monitor $host_pid " || true)
    kill -TERM "$apphost" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$apphost" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$apphost" 2>/dev/null || true
    if [ -n "$api_pid" ]; then
      for _ in $(seq 1 120); do pgrep -f "dcp .*--monitor ($host_pid|$api_pid) " >/dev/null || break; sleep 0.5; done
    fi
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$pg_data" ]; then pg "$pg_bin/pg_ctl" stop -m immediate -D "$pg_data" >/dev/null 2>&1 || true; fi
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ $status -eq 0 ]; then rm -rf "$tmp"; else log "failed (exit $status); logs in $tmp"; fi
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_apphost_http() { # url seconds: also gives up when the AppHost has exited
  local i
  for ((i = 0; i < $2 * 2; i++)); do
    curl -sf -o /dev/null --max-time 2 "$1" && return 0
    if [ -n "$apphost" ] && ! kill -0 "$apphost" 2>/dev/null; then log "the AppHost exited"; tail -30 "$tmp/apphost.log" >&2; return 1; fi
    sleep 0.5
  done
  log "$1 did not answer within $2 s"; return 1
}

# 1. Prerequisites.
[ -n "$pg_bin" ] || { log "no PostgreSQL server binaries (apt-get install -y postgresql)"; exit 1; }
command -v redis-server >/dev/null || { log "redis-server not found (apt-get install -y redis-server)"; exit 1; }
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || { log "Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)"; exit 1; }
for port in 8000 8001 5173 15243 19243 20243; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then log "port $port is in use; stop what listens there"; exit 1; fi
done
[ -d "$ui/node_modules" ] || (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)

# 2. The servers the AppHost is pointed at.
log "starting PostgreSQL, redis-server and the fake Ollama"
start_postgres
start_redis
node --input-type=module -e "
  import { startFakeOllama } from '$ui/e2e/fake-ollama.mjs';
  const fake = await startFakeOllama();
  console.log(fake.url);
" >"$tmp/fake-ollama.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q '^http' "$tmp/fake-ollama.log" 2>/dev/null && break; sleep 0.1; done
ollama_url=$(grep -m1 '^http' "$tmp/fake-ollama.log") || { log "the fake Ollama did not start"; cat "$tmp/fake-ollama.log" >&2; exit 1; }

# 3. The AppHost, exactly as the README runs it without containers (the http launch profile: no dev certificate needed).
log "starting the AppHost (dotnet run, existing servers)"
(cd "$root" && exec dotnet run --project src/OllamaQuota.AppHost --launch-profile http -- \
  --servers existing \
  --ConnectionStrings:quotadb "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
  --ConnectionStrings:redis "127.0.0.1:$redis_port" \
  --Parameters:ollama-url "$ollama_url" \
  --Parameters:admin-password "$password") >"$tmp/apphost.log" 2>&1 &
apphost=$!
wait_apphost_http http://127.0.0.1:8000/health 300
wait_apphost_http http://127.0.0.1:8001/health 120
login_url=$(grep -o 'http://localhost:15243/login?t=[0-9a-f]*' "$tmp/apphost.log" | head -1)
[ -n "$login_url" ] || { log "no dashboard login URL in the AppHost's output"; exit 1; }

# 4. Traffic, then the screenshots (the browser part sends the traced request itself, so it knows its trace id).
log "sending requests and taking the screenshots"
ADMIN_PASSWORD="$password" node "$root/scripts/dashboard-screenshots.mjs" "$login_url" "$shots"
log "saved $shots/dashboard-resources.png and $shots/dashboard-trace.png"
