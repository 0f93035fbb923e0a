using OllamaQuota.Core.Redis;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The Lua side of <see cref="RedisQuotaLedger"/>. Each script runs atomically on the server, so a check and its
/// increment cannot interleave with another instance's. KEYS[1] is the day hash and KEYS[2] the month hash of one key
/// (same hash tag, same cluster slot); each hash has the fields <c>req</c> and <c>tok</c>.
/// </summary>
internal static class RedisQuotaScripts
{
    /// <summary>Reply status of <see cref="Reserve"/>: a window hash is missing and must be seeded first.</summary>
    public const long Missing = 0;

    public const long Refused = 1;

    public const long Allowed = 2;

    /// <summary>
    /// <see cref="QuotaRules.Reserve"/> in Lua, step for step. ARGV: daily tokens, monthly tokens, daily requests,
    /// monthly requests (-1 = no limit), prompt tokens, client maximum (-1 = none), generates text (0/1), max
    /// completion tokens. Returns {status, day req, day tok, month req, month tok, reserved}, the counters as they
    /// were before this request, so the caller can rebuild the full result with QuotaRules and check they agree.
    /// </summary>
    public static readonly RedisScript Reserve = new("""
        if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 0 then
          return {0}
        end
        local d = redis.call('HMGET', KEYS[1], 'req', 'tok')
        local m = redis.call('HMGET', KEYS[2], 'req', 'tok')
        local dayReq, dayTok = tonumber(d[1]) or 0, tonumber(d[2]) or 0
        local monthReq, monthTok = tonumber(m[1]) or 0, tonumber(m[2]) or 0
        local dailyTokens, monthlyTokens = tonumber(ARGV[1]), tonumber(ARGV[2])
        local dailyRequests, monthlyRequests = tonumber(ARGV[3]), tonumber(ARGV[4])
        local prompt, clientMax = tonumber(ARGV[5]), tonumber(ARGV[6])
        local generates, maxCompletion = ARGV[7] == '1', tonumber(ARGV[8])
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

        -- 3. Count the request and hold the tokens.
        local reserved = prompt + math.min(allowance, maxCompletion)
        redis.call('HINCRBY', KEYS[1], 'req', 1)
        redis.call('HINCRBY', KEYS[1], 'tok', reserved)
        redis.call('HINCRBY', KEYS[2], 'req', 1)
        redis.call('HINCRBY', KEYS[2], 'tok', reserved)
        return {2, dayReq, dayTok, monthReq, monthTok, reserved}
        """, "quota-reserve");

    /// <summary>
    /// <see cref="QuotaRules.Settle"/>: ARGV[1] token change, ARGV[2] request change, never below zero. A window whose
    /// hash is gone (expired, flushed) is left alone rather than recreated without its expiry or its baseline.
    /// </summary>
    public static readonly RedisScript Settle = new("""
        for i = 1, 2 do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            if redis.call('HINCRBY', KEYS[i], 'tok', ARGV[1]) < 0 then redis.call('HSET', KEYS[i], 'tok', 0) end
            if redis.call('HINCRBY', KEYS[i], 'req', ARGV[2]) < 0 then redis.call('HSET', KEYS[i], 'req', 0) end
          end
        end
        return 1
        """, "quota-settle");

    /// <summary>
    /// Creates each missing window hash from the database baseline, with its expiry. A hash that exists is left as it
    /// is, so when several instances rebuild the same key at once, the first wins and nothing is counted twice.
    /// ARGV: day req, day tok, month req, month tok, day TTL ms, month TTL ms.
    /// </summary>
    public static readonly RedisScript Seed = new("""
        for i = 1, 2 do
          if redis.call('EXISTS', KEYS[i]) == 0 then
            redis.call('HSET', KEYS[i], 'req', ARGV[i * 2 - 1], 'tok', ARGV[i * 2])
            redis.call('PEXPIRE', KEYS[i], ARGV[4 + i])
          end
        end
        return 1
        """, "quota-seed");
}
