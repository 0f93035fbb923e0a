-- The end of every bench wrk script: one machine-readable line for the scripts that parse it,
--   BENCH requests=… seconds=… p50=… p99=… p999=… errors=… (latencies in microseconds; errors = socket errors + non-2xx/3xx)
-- Loaded with dofile() by post.lua and keys.lua, which sit beside it.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d seconds=%.3f p50=%d p99=%d p999=%d errors=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout + e.status))
end
