#!/usr/bin/env bash
# Runs OllamaQuota on this machine with embedded defaults (SQLite file, in-process quota ledger, no containers):
# the proxy on PROXY_PORT (8000) and the Admin API + UI on ADMIN_PORT (8001, loopback). Ctrl-C stops both.
# First run: creates .env from .env.example with a generated ADMIN_PASSWORD, printed once.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)

# A setting as the services will see it: the environment first, then .env, then the default.
setting() {
  local name=$1 default=$2 value
  value=${!name:-}
  if [ -z "$value" ] && [ -f .env ]; then
    value=$(grep -E "^(export )?$name=" .env | tail -1 | cut -d= -f2- | sed -E "s/^['\"]//; s/['\"]$//")
  fi
  echo "${value:-$default}"
}

command -v dotnet >/dev/null || { echo "error: the .NET 10 SDK is required (dotnet not found)"; exit 1; }
command -v npm >/dev/null || { echo "error: Node.js 20+ and npm are required to build the Admin UI"; exit 1; }

# 1. Configuration.
if [ ! -f .env ]; then
  password=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32)
  sed "s/^ADMIN_PASSWORD=.*/ADMIN_PASSWORD=$password/" .env.example > .env
  chmod 600 .env
  echo "Created .env with a new admin password (shown once, kept in .env):"
  echo "  $password"
fi

proxy_port=$(setting PROXY_PORT 8000)
admin_host=$(setting ADMIN_HOST 127.0.0.1)
admin_port=$(setting ADMIN_PORT 8001)

# 2. Refuse to start over something already listening.
for port in "$proxy_port" "$admin_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: port $port is already in use; stop what listens there or set PROXY_PORT / ADMIN_PORT"
    exit 1
  fi
done

# 3. The Admin UI, built when missing or older than its sources.
ui="$root/src/OllamaQuota.AdminUi"
if [ -f "$ui/package.json" ]; then
  if [ ! -f "$ui/dist/index.html" ] || [ -n "$(find "$ui/src" "$ui/index.html" "$ui/package.json" -newer "$ui/dist/index.html" 2>/dev/null | head -1)" ]; then
    echo "Building the Admin UI…"
    (cd "$ui" && { [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error; } && npm run build --silent)
  fi
  export ADMIN_UI_PATH="$ui/dist"
fi

# 4. Build the two services (not the AppHost or the tests, which this command does not need), migrate (idempotent),
#    start.
echo "Building…"
build_log=$(mktemp)
if ! { dotnet build "$root/src/OllamaQuota.Admin" -c Release -v quiet -nologo && dotnet build "$root/src/OllamaQuota.Proxy" -c Release -v quiet -nologo; } > "$build_log" 2>&1; then
  grep -E ": (error|warning) " "$build_log" | sort -u || cat "$build_log"
  echo "error: the build failed (full log: $build_log)"
  exit 1
fi
rm -f "$build_log"
bin() { echo "$root/src/$1/bin/Release/net10.0/$1.dll"; }
dotnet "$(bin OllamaQuota.Admin)" init-db

pids=()
stop() { [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; }
trap 'stop; exit 0' INT TERM
trap stop EXIT

dotnet "$(bin OllamaQuota.Admin)" & pids+=($!)
dotnet "$(bin OllamaQuota.Proxy)" & pids+=($!)

echo
echo "OllamaQuota is starting:"
echo "  Proxy     http://localhost:$proxy_port   (Ollama API at /api/*, OpenAI API at /v1/*)"
echo "  Admin UI  http://$admin_host:$admin_port   (password: ADMIN_PASSWORD in .env)"
echo "Ctrl-C stops both."

# If either service exits, stop the other and report its status.
wait -n "${pids[@]}"
status=$?
echo "a service exited (status $status); stopping"
exit "$status"
