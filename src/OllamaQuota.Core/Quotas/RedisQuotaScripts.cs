namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The Lua side of <see cref="RedisQuotaLedger"/>. Each script runs atomically, so a check and its increment cannot
/// interleave with another instance's. The scripts take a variable number of windows, so they are plain text passed
/// with KEYS and ARGV arrays. StackExchange.Redis (3.4) sends a script's text once per server connection and from then
/// on only its SHA (EVALSHA), and falls back to the text when a server answers NOSCRIPT (restart, failover, SCRIPT
/// FLUSH); RedisQuotaLedgerTests checks with INFO commandstats that repeated reserves and settles arrive as EVALSHA
/// only. Every key carries the
/// API key's hash tag, so one script touches one cluster slot. The keys of one API key:
/// <list type="bullet">
/// <item>the window hashes (<see cref="RedisQuotaLedger.WindowKey"/>), fields <c>req</c> and <c>tok</c>;</item>
/// <item><c>reservations</c>: a hash, reservation id → "tokens window-id…" (the windows it was counted in), or
/// "released" once its lease ran out and it was given back;</item>
/// <item><c>reservation-expiries</c>: a sorted set of the reservations in flight, id → when its lease ends, in Redis's
/// own clock (ms). Its size, once expired leases are given back, is the key's requests in flight;</item>
/// <item><c>reservation-released</c>: a sorted set, id of a released reservation → when its mark may go.</item>
/// </list>
/// The mark is what makes a settle safe to repeat (one whose reply was lost is retried): a settle finding its
/// reservation held replaces it, finding it released charges what was used afresh, and finding nothing does nothing.
/// </summary>
internal static class RedisQuotaScripts
{
    /// <summary>Reply status of <see cref="Reserve"/>: a day or month window hash is missing and must be seeded first.</summary>
    public const long Missing = 0;

    public const long Refused = 1;

    public const long Allowed = 2;

    /// <summary>ARGV entries before the windows' in <see cref="Reserve"/>.</summary>
    public const int ReserveArguments = 10;

    /// <summary>ARGV entries per window in <see cref="Reserve"/>: id, request limit, token limit, ttl (ms), starts empty.</summary>
    public const int ReserveWindowArguments = 5;

    /// <summary>
    /// Gives back what expired reservations hold, then <see cref="QuotaRules.Reserve"/> in Lua, window by window, and on
    /// success records the reservation with a lease. KEYS: reservations, expiries, released, then the windows (shortest
    /// first). ARGV: id, lease ms, released-mark ms, keep-for ms, prompt, client max (-1: none), generates (1/0), max
    /// completion, max concurrent (-1: none), the window ids joined by spaces, then per window its id, request limit,
    /// token limit (-1: none), ttl ms and whether it starts empty (1 for a minute or an hour: when the day exists, a
    /// missing short window is a new one, not lost data). Returns {0} when a day or month window must be seeded, else
    /// {status, reserved, in flight before, then requests and tokens of each window before this request}, so the caller
    /// rebuilds the full result with QuotaRules and checks they agree.
    /// </summary>
    public const string Reserve = """
        local n = #KEYS - 3
        local reservations, expiries, released = KEYS[1], KEYS[2], KEYS[3]
        local function arg(i, j) return ARGV[10 + (i - 1) * 5 + j] end

        -- 0. Windows: a missing day or month must be rebuilt from the database first; a missing minute or hour is new.
        for i = 1, n do
          if arg(i, 5) ~= '1' and redis.call('EXISTS', KEYS[3 + i]) == 0 then return {0} end
        end
        for i = 1, n do
          if arg(i, 5) == '1' and redis.call('EXISTS', KEYS[3 + i]) == 0 then
            redis.call('HSET', KEYS[3 + i], 'req', 0, 'tok', 0)
            redis.call('PEXPIRE', KEYS[3 + i], arg(i, 4))
          end
        end

        -- (0 - x, never -x: Lua's -0 reaches Redis as "-0", which HINCRBY refuses.)
        local function giveBack(window, tokens)
          if redis.call('HINCRBY', window, 'tok', 0 - tokens) < 0 then redis.call('HSET', window, 'tok', 0) end
          if redis.call('HINCRBY', window, 'req', -1) < 0 then redis.call('HSET', window, 'req', 0) end
        end

        -- 1. Reservations whose lease ran out were never settled (their proxy died, or never saw the reserve's reply):
        --    their request and tokens go back to the windows they were counted in, where those are still current, and
        --    they are marked released for a while. Marks whose time is up go.
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
        if #expired > 0 then
          for _, id in ipairs(expired) do
            local held = redis.call('HGET', reservations, id)
            if held and held ~= 'released' then
              local tokens = nil
              for word in string.gmatch(held, '%S+') do
                if tokens == nil then
                  tokens = tonumber(word)
                else
                  for i = 1, n do
                    if arg(i, 1) == word then giveBack(KEYS[3 + i], tokens) end
                  end
                end
              end
              redis.call('HSET', reservations, id, 'released')
              redis.call('ZADD', released, now + tonumber(ARGV[3]), id)
            end
          end
          redis.call('ZREMRANGEBYSCORE', expiries, '-inf', now)
        end
        local gone = redis.call('ZRANGEBYSCORE', released, '-inf', now)
        if #gone > 0 then
          for _, id in ipairs(gone) do redis.call('HDEL', reservations, id) end
          redis.call('ZREMRANGEBYSCORE', released, '-inf', now)
        end

        -- 2. The decision: one more request in every window, the prompt and one generated token in every token window,
        --    one more in flight.
        local prompt, clientMax = tonumber(ARGV[5]), tonumber(ARGV[6])
        local generates, maxCompletion, maxConcurrent = ARGV[7] == '1', tonumber(ARGV[8]), tonumber(ARGV[9])
        local inFlight = redis.call('ZCARD', expiries)
        local reply = {1, 0, inFlight}
        local refused = maxConcurrent >= 0 and inFlight + 1 > maxConcurrent
        local room = nil
        for i = 1, n do
          local counts = redis.call('HMGET', KEYS[3 + i], 'req', 'tok')
          local req, tok = tonumber(counts[1]) or 0, tonumber(counts[2]) or 0
          reply[#reply + 1] = req
          reply[#reply + 1] = tok
          local requestLimit, tokenLimit = tonumber(arg(i, 2)), tonumber(arg(i, 3))
          if requestLimit >= 0 and req + 1 > requestLimit then refused = true end
          if tokenLimit >= 0 and (room == nil or tokenLimit - tok < room) then room = tokenLimit - tok end
        end
        local needed = prompt
        if generates then needed = needed + 1 end
        if room ~= nil and needed > room then refused = true end
        if refused then return reply end

        -- 3. The completion allowance, as QuotaRules computes it.
        local allowance = 0
        if room ~= nil then
          if generates then
            allowance = room - prompt
            if clientMax >= 0 and clientMax < allowance then allowance = clientMax end
            if maxCompletion < allowance then allowance = maxCompletion end
          end
        elseif generates and clientMax >= 0 then
          allowance = clientMax
        end

        -- 4. Count the request, hold the tokens, and record the reservation with its lease.
        local reserved = prompt + math.min(allowance, maxCompletion)
        for i = 1, n do
          redis.call('HINCRBY', KEYS[3 + i], 'req', 1)
          redis.call('HINCRBY', KEYS[3 + i], 'tok', reserved)
        end
        redis.call('HSET', reservations, ARGV[1], reserved .. ' ' .. ARGV[10])
        redis.call('ZADD', expiries, now + tonumber(ARGV[2]), ARGV[1])
        redis.call('PEXPIRE', reservations, ARGV[4])
        redis.call('PEXPIRE', expiries, ARGV[4])
        redis.call('PEXPIRE', released, ARGV[4])
        reply[1] = 2
        reply[2] = reserved
        return reply
        """;

    /// <summary>
    /// <see cref="QuotaRules.Settle"/> for one reservation: the actual tokens replace it, or with refund = 1 it is
    /// undone; it is no longer in flight. If its lease ran out and it was given back already, what was used is charged
    /// afresh; if it is not there at all, it was settled before and nothing changes. Counters never go below zero; a
    /// window whose hash is gone (expired, flushed) is left alone rather than recreated without its expiry or its
    /// baseline. KEYS: reservations, expiries, released, then the windows it was counted in. ARGV: id, reserved tokens,
    /// actual tokens, refund (1/0). Returns 0 when there was nothing to settle.
    /// </summary>
    public const string Settle = """
        local held = redis.call('HGET', KEYS[1], ARGV[1])
        if not held then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        local refund = ARGV[4] == '1'
        local tokens, requests
        if held ~= 'released' then
          if refund then tokens, requests = 0 - tonumber(ARGV[2]), -1 else tokens, requests = tonumber(ARGV[3]) - tonumber(ARGV[2]), 0 end
        else
          if refund then tokens, requests = 0, 0 else tokens, requests = tonumber(ARGV[3]), 1 end
        end
        for i = 4, #KEYS do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            if redis.call('HINCRBY', KEYS[i], 'tok', tokens) < 0 then redis.call('HSET', KEYS[i], 'tok', 0) end
            if redis.call('HINCRBY', KEYS[i], 'req', requests) < 0 then redis.call('HSET', KEYS[i], 'req', 0) end
          end
        end
        return 1
        """;

    /// <summary>
    /// Extends the leases of a key's reservations in flight, all in one call. KEYS: expiries. ARGV: lease ms, then the
    /// reservation ids. Returns the 1-based positions (among the ids) of those no longer in flight: their lease ran out
    /// and they were given back, or they were settled.
    /// </summary>
    public const string Renew = """
        local clock = redis.call('TIME')
        local until_ = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(ARGV[1])
        local lost = {}
        for i = 2, #ARGV do
          if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
            redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i])
          else
            lost[#lost + 1] = i - 1
          end
        end
        return lost
        """;

    /// <summary>
    /// Creates each missing window hash from the database baseline, with its expiry (ms). A hash that exists is left as
    /// it is, so when several instances rebuild the same key at once, the first wins and nothing is counted twice.
    /// KEYS: the windows. ARGV: per window its requests, tokens and ttl.
    /// </summary>
    public const string Seed = """
        for i = 1, #KEYS do
          if redis.call('EXISTS', KEYS[i]) == 0 then
            redis.call('HSET', KEYS[i], 'req', ARGV[i * 3 - 2], 'tok', ARGV[i * 3 - 1])
            redis.call('PEXPIRE', KEYS[i], ARGV[i * 3])
          end
        end
        return 1
        """;

    /// <summary>
    /// A key's requests in flight now: its reservations whose lease has not run out (expired ones are given back by the
    /// key's next reserve). KEYS: expiries. Read-only.
    /// </summary>
    public const string InFlight = """
        local clock = redis.call('TIME')
        return redis.call('ZCOUNT', KEYS[1], '(' .. (tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)), '+inf')
        """;
}
