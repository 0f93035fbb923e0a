-- POSTs one JSON body (BODY_FILE) with `Authorization: Bearer API_KEY` (when set) on every request.
-- PACE_MS, when set, makes each connection wait that many milliseconds between its requests (a fixed offered load
-- instead of saturation; wrk's delay() hook). At the end prints one machine-readable line for bench/run.sh:
--   BENCH requests=… seconds=… p50=… p99=… p999=… errors=… (latencies in microseconds; errors = socket errors + non-2xx/3xx)
local file = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE is not set"), "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("API_KEY")
if key ~= nil and key ~= "" and key ~= "-" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

local pace = tonumber(os.getenv("PACE_MS") or "")
if pace ~= nil and pace > 0 then
  function delay()
    return pace
  end
end

-- The BENCH line at the end (report.lua, beside this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
