using StackExchange.Redis;

namespace OllamaQuota.Proxy.Scheduling;

/// <summary>
/// The Lua side of <see cref="RedisModelSlots"/>: each script runs atomically, so taking a slot, queueing, granting and
/// leaving cannot interleave between instances. The keys of one model carry its hash tag (<c>{s:&lt;model&gt;}</c>), so
/// a script touches one cluster slot:
/// <list type="bullet">
/// <item><c>@holders</c>: sorted set, slot holder id → when its lease ends (Redis's clock, ms).</item>
/// <item><c>@queue</c>: sorted set of waiters, scored by round (see <see cref="FairQueue"/>); the member
/// <c>&lt;arrival, 16 digits&gt;|&lt;waiter id&gt;|&lt;key id&gt;</c> sorts a round's waiters by arrival.</item>
/// <item><c>@waiters</c>: hash, waiter id → its member in <c>@queue</c>.</item>
/// <item><c>@expiries</c>: sorted set, waiter id → when its lease ends (a waiting instance renews it as it polls).</item>
/// <item><c>@state</c>: hash: <c>served</c> (the round last served), <c>arrivals</c>, and <c>k:&lt;key id&gt;</c> →
/// "last round, waiting count" per key with waiters.</item>
/// </list>
/// Every script first drops holders and waiters whose lease ran out (their instance died), then grants free slots to
/// the waiters in turn, publishing each grant's waiter id on <c>@channel</c>. The keys expire a day after their last
/// write, so a model nobody asks for again leaves nothing behind.
/// </summary>
internal static class RedisSlotScripts
{
    public const long Queued = 0;

    public const long Granted = 1;

    /// <summary>Reply of <see cref="Poll"/>: the waiter is neither queued nor holding (its lease ran out).</summary>
    public const long Lost = -1;

    private const string Common = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local lease = tonumber(@lease)

        local function leave(id)
          local member = redis.call('HGET', @waiters, id)
          if not member then return false end
          redis.call('ZREM', @queue, member)
          redis.call('HDEL', @waiters, id)
          redis.call('ZREM', @expiries, id)
          local field = 'k:' .. string.match(member, '|([^|]+)$')
          local last, count = string.match(redis.call('HGET', @state, field), '^(%d+) (%d+)$')
          if tonumber(count) <= 1 then redis.call('HDEL', @state, field)
          else redis.call('HSET', @state, field, last .. ' ' .. (tonumber(count) - 1)) end
          return true
        end

        local function reap()
          redis.call('ZREMRANGEBYSCORE', @holders, '-inf', now)
          for _, id in ipairs(redis.call('ZRANGEBYSCORE', @expiries, '-inf', now)) do leave(id) end
        end

        local function dispatch()
          local limit = tonumber(@limit)
          while redis.call('ZCARD', @holders) < limit do
            local head = redis.call('ZRANGE', @queue, 0, 0, 'WITHSCORES')
            if #head == 0 then break end
            local id = string.match(head[1], '^%d+|([^|]+)|')
            leave(id)
            redis.call('HSET', @state, 'served', head[2])
            redis.call('ZADD', @holders, now + lease, id)
            redis.call('PUBLISH', @channel, id)
          end
        end

        local function tidy()
          if redis.call('ZCARD', @queue) == 0 then redis.call('DEL', @state) end
          for _, key in ipairs({@holders, @queue, @waiters, @expiries, @state}) do redis.call('PEXPIRE', key, 86400000) end
        end
        """;

    /// <summary>
    /// A slot for <c>@id</c> if one is free and nobody waits (Granted), else <c>@id</c> joins the queue in its key's next
    /// round (Queued), unless the dispatch that follows grants it at once (Granted).
    /// </summary>
    public static readonly LuaScript Acquire = LuaScript.Prepare(Common + """

        reap()
        if redis.call('ZCARD', @queue) == 0 and redis.call('ZCARD', @holders) < tonumber(@limit) then
          redis.call('ZADD', @holders, now + lease, @id)
          tidy()
          return 1
        end

        local arrival = redis.call('HINCRBY', @state, 'arrivals', 1)
        local served = tonumber(redis.call('HGET', @state, 'served') or '0')
        local field = 'k:' .. @keyId
        local last, count = 0, 0
        local previous = redis.call('HGET', @state, field)
        if previous then
          local l, c = string.match(previous, '^(%d+) (%d+)$')
          last, count = tonumber(l), tonumber(c)
        end
        local round = math.max(served, last) + 1
        local member = string.format('%016d|%s|%s', arrival, @id, @keyId)
        redis.call('ZADD', @queue, round, member)
        redis.call('HSET', @waiters, @id, member)
        redis.call('ZADD', @expiries, now + lease, @id)
        redis.call('HSET', @state, field, round .. ' ' .. (count + 1))
        dispatch()
        tidy()
        if redis.call('ZSCORE', @holders, @id) then return 1 end
        return 0
        """);

    /// <summary>
    /// The waiting instance's check, for a grant notice it may have missed and for slots freed by a dead instance's
    /// expired lease (which nobody releases): Granted, Queued (its waiter lease renewed) or Lost.
    /// </summary>
    public static readonly LuaScript Poll = LuaScript.Prepare(Common + """

        reap()
        dispatch()
        local result = -1
        if redis.call('ZSCORE', @holders, @id) then result = 1
        elseif redis.call('HEXISTS', @waiters, @id) == 1 then
          redis.call('ZADD', @expiries, 'XX', now + lease, @id)
          result = 0
        end
        tidy()
        return result
        """);

    /// <summary>
    /// <c>@id</c> leaves: out of the queue if it waits (returns 0), or its slot given back if it holds one (returns 1),
    /// and the freed slot granted to the next waiter in turn. Used for both a release and a wait given up.
    /// </summary>
    public static readonly LuaScript Leave = LuaScript.Prepare(Common + """

        reap()
        local result = 0
        if not leave(@id) and redis.call('ZREM', @holders, @id) == 1 then result = 1 end
        dispatch()
        tidy()
        return result
        """);

    /// <summary>Extends the lease of holder <c>@id</c> by <c>@lease</c> ms from now; 0 when it no longer holds a slot.</summary>
    public static readonly LuaScript Renew = LuaScript.Prepare("""
        if not redis.call('ZSCORE', @holders, @id) then return 0 end
        local clock = redis.call('TIME')
        redis.call('ZADD', @holders, tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(@lease), @id)
        return 1
        """);
}
