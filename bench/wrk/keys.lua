-- Like post.lua, but each request carries the next of many API keys (KEYS_FILE: one plaintext a line, taken in turn,
-- each connection starting at its own offset), so that the proxy's key cache and per-key quota state see that many
-- distinct keys. BODY_FILE as in post.lua. Prints the same BENCH line.
local file = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE is not set"), "rb"))
local body = file:read("*a")
file:close()
local keys = {}
local keys_file = assert(os.getenv("KEYS_FILE"), "KEYS_FILE is not set")
for line in io.lines(keys_file) do
  keys[#keys + 1] = line
end
local next_key = 0

function setup(thread)
  thread:set("thread_offset", math.random(#keys))
end

function init(args)
  next_key = (thread_offset or 0) % #keys
end

function request()
  next_key = next_key % #keys + 1
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. keys[next_key] }, body)
end

-- The BENCH line at the end (report.lua, beside this script).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "report.lua")
