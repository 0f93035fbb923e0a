-- A reserve-shaped quota script for redis-benchmark's EVALSHA ceiling (bench/run.sh): the shape of the Redis ledger's
-- reserve (issue 5), not the product's script. One hash per key under one hash tag; four limits checked; the
-- request counted and the tokens reserved; the window given its expiry.
-- KEYS[1] counters; ARGV: daily requests, daily tokens, monthly requests, monthly tokens, prompt tokens,
-- max completion tokens, seconds until the month ends.
local c = redis.call('HMGET', KEYS[1], 'dr', 'dt', 'mr', 'mt')
local dr, dt, mr, mt = tonumber(c[1]) or 0, tonumber(c[2]) or 0, tonumber(c[3]) or 0, tonumber(c[4]) or 0
if dr + 1 > tonumber(ARGV[1]) then return {0, 1} end
if mr + 1 > tonumber(ARGV[3]) then return {0, 3} end
local prompt = tonumber(ARGV[5])
local room = math.min(tonumber(ARGV[2]) - dt, tonumber(ARGV[4]) - mt)
if prompt + 1 > room then return {0, 2} end
local reserved = prompt + math.min(room - prompt, tonumber(ARGV[6]))
redis.call('HINCRBY', KEYS[1], 'dr', 1)
redis.call('HINCRBY', KEYS[1], 'mr', 1)
redis.call('HINCRBY', KEYS[1], 'dt', reserved)
redis.call('HINCRBY', KEYS[1], 'mt', reserved)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[7]))
return {1, reserved}
