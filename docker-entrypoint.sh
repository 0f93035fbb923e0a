#!/usr/bin/env bash
# Container entrypoint: migrate, then run the proxy and the admin side by side as one unit.
#   docker-entrypoint.sh               init-db, then both services (the default)
#   docker-entrypoint.sh healthcheck   exit 0 when both answer /health (the image's HEALTHCHECK)
#   docker-entrypoint.sh <anything>    run that instead, e.g. `dotnet /app/admin/OllamaQuota.Admin.dll create-key --name x`
set -euo pipefail

# Each service is started in its own folder: that is its content root (appsettings.json, the admin's wwwroot).
PROXY_DIR=${PROXY_DIR:-/app/proxy}
ADMIN_DIR=${ADMIN_DIR:-/app/admin}

healthcheck() {
  # No curl in the aspnet image; bash's /dev/tcp is enough for one HTTP/1.0 GET.
  local port status
  for port in "${PROXY_PORT:-8000}" "${ADMIN_PORT:-8001}"; do
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET /health HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
    read -r -t 4 _ status _ <&3 || return 1
    exec 3<&-
    [[ $status == 200 ]] || return 1
  done
}

case "${1:-}" in
  "") ;;
  healthcheck) healthcheck; exit ;;
  *) exec "$@" ;;
esac

# PID 1 gets no default signal handling, so every wait below is interruptible and traps decide what a signal does.
# Until the services exist, stopping means leaving.
trap 'exit 143' TERM INT

# 1. Migrations first, and only once per start: idempotent, and the services refuse an unmigrated database.
(cd "$ADMIN_DIR" && exec dotnet OllamaQuota.Admin.dll init-db) &
wait $!

# 2. Both services in the background, so that this shell can forward signals and watch them.
(cd "$PROXY_DIR" && exec dotnet OllamaQuota.Proxy.dll) &
proxy=$!
(cd "$ADMIN_DIR" && exec dotnet OllamaQuota.Admin.dll) &
admin=$!

# 3. `docker stop` signals PID 1 only: pass SIGTERM on so both shut down gracefully (drain, flush usage).
requested=0
stop() { kill -TERM "$proxy" "$admin" 2>/dev/null || true; }
trap 'requested=1; stop' TERM INT

# 4. Whichever ends first ends the container: a half-running system (a proxy nobody can administer, or an admin
#    in front of no proxy) should be restarted by the orchestrator, not left looking healthy.
set +e
wait -n "$proxy" "$admin"
status=$?
stop
until wait; do :; done # a second signal interrupts `wait`; keep waiting until both have exited
if ((requested)); then
  exit 0
fi
echo "docker-entrypoint: a service exited with status $status; stopped the other" >&2
exit $((status == 0 ? 1 : status))
