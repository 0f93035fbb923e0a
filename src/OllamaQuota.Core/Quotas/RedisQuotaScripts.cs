using StackExchange.Redis;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The Lua side of <see cref="RedisQuotaLedger"/>, as prepared scripts: StackExchange.Redis sends each by SHA and
/// loads it again when a server answers NOSCRIPT (restart, failover, SCRIPT FLUSH). Each script runs atomically, so a
/// check and its increment cannot interleave with another instance's. Every key a script touches is a parameter of
/// type <see cref="RedisKey"/> (so it travels in KEYS) and carries the key's hash tag, so one script touches one
/// cluster slot. The keys of one API key:
/// <list type="bullet">
/// <item><c>@day</c>, <c>@month</c>: the window hashes, fields <c>req</c> and <c>tok</c>.</item>
/// <item><c>@reservations</c>: a hash, reservation id → "tokens day month" (the windows it was charged to), or
/// "released" once its lease ran out and it was given back.</item>
/// <item><c>@expiries</c>: a sorted set, reservation id → when its lease ends, in Redis's own clock (ms); for a
/// released one, when its "released" mark may go.</item>
/// </list>
/// The mark is what makes a settle safe to repeat (one whose reply was lost is retried): a settle finding its
/// reservation held replaces it, finding it released charges what was used afresh, and finding nothing does nothing.
/// </summary>
internal static class RedisQuotaScripts
{
    /// <summary>Reply status of <see cref="Reserve"/>: a window hash is missing and must be seeded first.</summary>
    public const long Missing = 0;

    public const long Refused = 1;

    public const long Allowed = 2;

    /// <summary>
    /// Gives back what expired reservations hold, then <see cref="QuotaRules.Reserve"/> in Lua, step for step, and on
    /// success records the reservation under <c>@id</c> with a lease of <c>@lease</c> ms. Limits are -1 when unset,
    /// <c>@clientMax</c> -1 when the client named none. Returns {status, day req, day tok, month req, month tok,
    /// reserved}, the counters as they were before this request, so the caller can rebuild the full result with
    /// QuotaRules and check they agree.
    /// </summary>
    public static readonly LuaScript Reserve = LuaScript.Prepare("""
        if redis.call('EXISTS', @day) == 0 or redis.call('EXISTS', @month) == 0 then
          return {0}
        end

        -- (0 - x, never -x: Lua's -0 reaches Redis as "-0", which HINCRBY refuses.)
        local function giveBack(window, tokens)
          if redis.call('HINCRBY', window, 'tok', 0 - tokens) < 0 then redis.call('HSET', window, 'tok', 0) end
          if redis.call('HINCRBY', window, 'req', -1) < 0 then redis.call('HSET', window, 'req', 0) end
        end

        -- 0. Reservations whose lease ran out were never settled (their proxy died, or never saw the reserve's reply):
        --    their request and tokens go back to the windows they were charged to, where those are still open, and
        --    they are marked released for a while (releasedFor ms). Marks whose time is up go.
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        for _, expired in ipairs(redis.call('ZRANGEBYSCORE', @expiries, '-inf', now)) do
          local held = redis.call('HGET', @reservations, expired)
          if held and held ~= 'released' then
            local tokens, day, month = string.match(held, '^(%d+) (%S+) (%S+)$')
            if day == @today then giveBack(@day, tonumber(tokens)) end
            if month == @thisMonth then giveBack(@month, tonumber(tokens)) end
            redis.call('HSET', @reservations, expired, 'released')
            redis.call('ZADD', @expiries, now + tonumber(@releasedFor), expired)
          else
            redis.call('HDEL', @reservations, expired)
            redis.call('ZREM', @expiries, expired)
          end
        end

        local d = redis.call('HMGET', @day, 'req', 'tok')
        local m = redis.call('HMGET', @month, 'req', 'tok')
        local dayReq, dayTok = tonumber(d[1]) or 0, tonumber(d[2]) or 0
        local monthReq, monthTok = tonumber(m[1]) or 0, tonumber(m[2]) or 0
        local dailyTokens, monthlyTokens = tonumber(@dailyTokens), tonumber(@monthlyTokens)
        local dailyRequests, monthlyRequests = tonumber(@dailyRequests), tonumber(@monthlyRequests)
        local prompt, clientMax = tonumber(@prompt), tonumber(@clientMax)
        local generates, maxCompletion = tonumber(@generates) == 1, tonumber(@maxCompletion)
        local refused = {1, dayReq, dayTok, monthReq, monthTok, 0}

        -- 1. Requests: this one must fit in both windows.
        if dailyRequests >= 0 and dayReq + 1 > dailyRequests then return refused end
        if monthlyRequests >= 0 and monthReq + 1 > monthlyRequests then return refused end

        -- 2. Tokens: the prompt, and at least one generated token, must fit in the tightest token window.
        local remaining = nil
        if dailyTokens >= 0 then remaining = dailyTokens - dayTok end
        if monthlyTokens >= 0 and (remaining == nil or monthlyTokens - monthTok < remaining) then
          remaining = monthlyTokens - monthTok
        end
        local allowance = 0
        if remaining ~= nil then
          local needed = prompt
          if generates then needed = needed + 1 end
          if needed > remaining then return refused end
          if generates then
            local room = remaining - prompt
            allowance = room
            if clientMax >= 0 and clientMax < allowance then allowance = clientMax end
            if maxCompletion < allowance then allowance = maxCompletion end
          end
        elseif generates and clientMax >= 0 then
          allowance = clientMax
        end

        -- 3. Count the request, hold the tokens, and record the reservation with its lease.
        local reserved = prompt + math.min(allowance, maxCompletion)
        redis.call('HINCRBY', @day, 'req', 1)
        redis.call('HINCRBY', @day, 'tok', reserved)
        redis.call('HINCRBY', @month, 'req', 1)
        redis.call('HINCRBY', @month, 'tok', reserved)
        redis.call('HSET', @reservations, @id, string.format('%d %s %s', reserved, @today, @thisMonth))
        redis.call('ZADD', @expiries, now + tonumber(@lease), @id)
        redis.call('PEXPIRE', @reservations, @keepFor)
        redis.call('PEXPIRE', @expiries, @keepFor)
        return {2, dayReq, dayTok, monthReq, monthTok, reserved}
        """);

    /// <summary>
    /// <see cref="QuotaRules.Settle"/> for reservation <c>@id</c> (<c>@reserved</c> tokens): the actual
    /// <c>@tokens</c> replace it, or with <c>@refund</c> = 1 it is undone. If its lease ran out and it was given back
    /// already, what was used is charged afresh; if it is not there at all, it was settled before and nothing changes.
    /// Counters never go below zero; a window whose hash is gone (expired, flushed) is left alone rather than
    /// recreated without its expiry or its baseline. Returns 0 when there was nothing to settle.
    /// </summary>
    public static readonly LuaScript Settle = LuaScript.Prepare("""
        local held = redis.call('HGET', @reservations, @id)
        if not held then return 0 end
        redis.call('HDEL', @reservations, @id)
        redis.call('ZREM', @expiries, @id)
        local refund = tonumber(@refund) == 1
        local tokens, requests
        if held ~= 'released' then
          if refund then tokens, requests = 0 - tonumber(@reserved), -1 else tokens, requests = tonumber(@tokens) - tonumber(@reserved), 0 end
        else
          if refund then tokens, requests = 0, 0 else tokens, requests = tonumber(@tokens), 1 end
        end
        for _, window in ipairs({@day, @month}) do
          if redis.call('EXISTS', window) == 1 then
            if redis.call('HINCRBY', window, 'tok', tokens) < 0 then redis.call('HSET', window, 'tok', 0) end
            if redis.call('HINCRBY', window, 'req', requests) < 0 then redis.call('HSET', window, 'req', 0) end
          end
        end
        return 1
        """);

    /// <summary>
    /// Extends the lease of reservation <c>@id</c> to <c>@lease</c> ms from now. Returns 0 when it is no longer
    /// held (its lease ran out and it was given back, or it was settled).
    /// </summary>
    public static readonly LuaScript Renew = LuaScript.Prepare("""
        local held = redis.call('HGET', @reservations, @id)
        if not held or held == 'released' then return 0 end
        local clock = redis.call('TIME')
        redis.call('ZADD', @expiries, 'XX', tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(@lease), @id)
        return 1
        """);

    /// <summary>
    /// Creates each missing window hash from the database baseline, with its expiry (ms). A hash that exists is left as
    /// it is, so when several instances rebuild the same key at once, the first wins and nothing is counted twice.
    /// </summary>
    public static readonly LuaScript Seed = LuaScript.Prepare("""
        if redis.call('EXISTS', @day) == 0 then
          redis.call('HSET', @day, 'req', @dayRequests, 'tok', @dayTokens)
          redis.call('PEXPIRE', @day, @dayTtl)
        end
        if redis.call('EXISTS', @month) == 0 then
          redis.call('HSET', @month, 'req', @monthRequests, 'tok', @monthTokens)
          redis.call('PEXPIRE', @month, @monthTtl)
        end
        return 1
        """);
}
