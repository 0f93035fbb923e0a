namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The Lua side of <see cref="RedisQuotaLedger"/>. Each script runs atomically, so a check and its increment cannot
/// interleave with another instance's. The scripts take a variable number of windows, so they are plain text passed
/// with KEYS and ARGV arrays. StackExchange.Redis (3.4) sends a script's text once per server connection and from then
/// on only its SHA (EVALSHA), and falls back to the text when a server answers NOSCRIPT (restart, failover, SCRIPT
/// FLUSH); RedisQuotaLedgerTests checks with INFO commandstats that repeated reserves and settles arrive as EVALSHA
/// only. Every key a script touches carries one hash tag — the key's own (<c>{k:&lt;key id&gt;}</c>), or, for a key
/// with an owner, the owner's (<c>{o:&lt;owner id&gt;}</c>) — so one script touches one cluster slot. The keys of
/// one API key, after its prefix (<see cref="RedisQuotaLedger.KeyPrefix(Guid, Guid?)"/>):
/// <list type="bullet">
/// <item>the window hashes (<see cref="RedisQuotaLedger.WindowKey(Guid, CountedWindow)"/>), fields <c>req</c> and <c>tok</c>;</item>
/// <item><c>reservations</c>: a hash, reservation id → "tokens window-id…" (the key's windows it was counted in, after
/// "c&lt;n&gt;" once the key has changed owner n times, as its windows are then under <c>…:c&lt;n&gt;:</c>),
/// followed for an owned key by "v&lt;version&gt; window-id…" (its owner's windows, under that membership version), or
/// "released" once its lease ran out and it was given back;</item>
/// <item><c>reservation-expiries</c>: a sorted set of the reservations in flight, id → when its lease ends, in Redis's
/// own clock (ms). Its size, once expired leases are given back, is the key's requests in flight;</item>
/// <item><c>reservation-released</c>: a sorted set, id of a released reservation → when its mark may go.</item>
/// </list>
/// An owner has its window hashes under <c>oq:{o:&lt;id&gt;}:v&lt;version&gt;:</c> and one more sorted set,
/// <c>oq:{o:&lt;id&gt;}:reservation-expiries</c>, of every lease of its keys ("key id:reservation id" → when it ends):
/// the owner's requests in flight. A window's name is its prefix, the period's letter and its id, so a script can
/// find the windows of any reservation of the slot from its record.
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
    public const int ReserveArguments = 13;

    /// <summary>ARGV entries per window in <see cref="Reserve"/>: id, request limit, token limit, ttl (ms), starts empty.</summary>
    public const int ReserveWindowArguments = 5;

    /// <summary>Entries of the <see cref="Reserve"/> reply before the windows' counts.</summary>
    public const int ReserveReplyHead = 4;

    /// <summary>KEYS before the windows' in <see cref="Reserve"/> and <see cref="Settle"/>.</summary>
    public const int ReservationKeys = 4;

    // The window hash of an id under a prefix: the id's form tells its period (RedisQuotaLedger.WindowKey).
    private const string WindowName = """
        local function windowName(prefix, id)
          if #id == 10 then return prefix .. 'd:' .. id end
          if #id == 7 then return prefix .. 'm:' .. id end
          if string.sub(id, -1) == 'H' then return prefix .. 'h:' .. id end
          return prefix .. 'mi:' .. id
        end

        """;

    /// <summary>
    /// Gives back what expired reservations hold, then <see cref="QuotaRules.Reserve"/> in Lua, window by window, and on
    /// success records the reservation with a lease. KEYS: the key's reservations, expiries and released, the owner's
    /// expiries (the key's expiries again for a key without an owner), then the windows, the key's and its owner's, in
    /// the order of <see cref="QuotaCalendar.CountedWindows(ReserveRequest, DateTime)"/>. ARGV: id, lease ms,
    /// released-mark ms, keep-for ms, prompt, client max (-1: none), generates (1/0), max completion, the key's max
    /// concurrent (-1: none), the reservation's record after its tokens, the owner's max concurrent (-1: none), the hash
    /// tag's prefix, the key's id for a key with an owner (else empty), then per window its id, request limit, token
    /// limit (-1: none), ttl ms and whether it starts empty (1 for a minute or an hour: when the day exists, a missing
    /// short window is a new one, not lost data). Returns {0} when a day or month window must be seeded, else {status,
    /// reserved, the key's in flight before, the owner's in flight before, then requests and tokens of each window
    /// before this request}, so the caller rebuilds the full result with QuotaRules and checks they agree.
    /// </summary>
    public const string Reserve = WindowName + """
        local n = #KEYS - 4
        local reservations, expiries, released, shared = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
        local tag, keyId = ARGV[12], ARGV[13]
        local owned = keyId ~= ''
        local function arg(i, j) return ARGV[13 + (i - 1) * 5 + j] end

        -- 0. Windows: a missing day or month must be rebuilt from the database first; a missing minute or hour is new.
        for i = 1, n do
          if arg(i, 5) ~= '1' and redis.call('EXISTS', KEYS[4 + i]) == 0 then return {0} end
        end
        for i = 1, n do
          if arg(i, 5) == '1' and redis.call('EXISTS', KEYS[4 + i]) == 0 then
            redis.call('HSET', KEYS[4 + i], 'req', 0, 'tok', 0)
            redis.call('PEXPIRE', KEYS[4 + i], arg(i, 4))
          end
        end

        -- (0 - x, never -x: Lua's -0 reaches Redis as "-0", which HINCRBY refuses.)
        local function giveBack(window, tokens)
          if redis.call('HINCRBY', window, 'tok', 0 - tokens) < 0 then redis.call('HSET', window, 'tok', 0) end
          if redis.call('HINCRBY', window, 'req', -1) < 0 then redis.call('HSET', window, 'req', 0) end
        end

        -- 1. Reservations whose lease ran out were never settled (their proxy died, or never saw the reserve's reply):
        --    their request and tokens go back to the windows they were counted in (the key's, and its owner's under the
        --    version then), where those still exist, and they are marked released for a while. For a key with an owner
        --    that is every expired lease of the owner's keys, found in the owner's set. Marks whose time is up go.
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local function release(prefix, id)
          local held = redis.call('HGET', prefix .. 'reservations', id)
          if held and held ~= 'released' then
            local tokens, windows = nil, prefix
            for word in string.gmatch(held, '%S+') do
              if tokens == nil then
                tokens = tonumber(word)
              elseif string.sub(word, 1, 1) == 'c' then
                windows = prefix .. word .. ':'
              elseif string.sub(word, 1, 1) == 'v' then
                windows = tag .. word .. ':'
              else
                local window = windowName(windows, word)
                if redis.call('EXISTS', window) == 1 then giveBack(window, tokens) end
              end
            end
            redis.call('HSET', prefix .. 'reservations', id, 'released')
            redis.call('ZADD', prefix .. 'reservation-released', now + tonumber(ARGV[3]), id)
            if redis.call('PTTL', prefix .. 'reservation-released') < 0 then redis.call('PEXPIRE', prefix .. 'reservation-released', ARGV[4]) end
          end
          redis.call('ZREM', prefix .. 'reservation-expiries', id)
        end
        if owned then
          local expired = redis.call('ZRANGEBYSCORE', shared, '-inf', now)
          if #expired > 0 then
            for _, member in ipairs(expired) do
              local at = string.find(member, ':', 1, true)
              release(tag .. 'k:' .. string.sub(member, 1, at - 1) .. ':', string.sub(member, at + 1))
            end
            redis.call('ZREMRANGEBYSCORE', shared, '-inf', now)
          end
        else
          local expired = redis.call('ZRANGEBYSCORE', expiries, '-inf', now)
          for _, id in ipairs(expired) do release(tag, id) end
        end
        local gone = redis.call('ZRANGEBYSCORE', released, '-inf', now)
        if #gone > 0 then
          for _, id in ipairs(gone) do redis.call('HDEL', reservations, id) end
          redis.call('ZREMRANGEBYSCORE', released, '-inf', now)
        end

        -- 2. The decision: one more request in every window, the prompt and one generated token in every token window,
        --    one more in flight for the key and for its owner.
        local prompt, clientMax = tonumber(ARGV[5]), tonumber(ARGV[6])
        local generates, maxCompletion = ARGV[7] == '1', tonumber(ARGV[8])
        local maxConcurrent, maxShared = tonumber(ARGV[9]), tonumber(ARGV[11])
        local inFlight = redis.call('ZCARD', expiries)
        local sharedInFlight = 0
        if owned then sharedInFlight = redis.call('ZCARD', shared) end
        local reply = {1, 0, inFlight, sharedInFlight}
        local refused = (maxConcurrent >= 0 and inFlight + 1 > maxConcurrent) or (maxShared >= 0 and sharedInFlight + 1 > maxShared)
        local room = nil
        for i = 1, n do
          local counts = redis.call('HMGET', KEYS[4 + i], 'req', 'tok')
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

        -- 4. Count the request, hold the tokens, and record the reservation with its lease (in the owner's set too).
        local reserved = prompt + math.min(allowance, maxCompletion)
        for i = 1, n do
          redis.call('HINCRBY', KEYS[4 + i], 'req', 1)
          redis.call('HINCRBY', KEYS[4 + i], 'tok', reserved)
        end
        redis.call('HSET', reservations, ARGV[1], reserved .. ' ' .. ARGV[10])
        redis.call('ZADD', expiries, now + tonumber(ARGV[2]), ARGV[1])
        redis.call('PEXPIRE', reservations, ARGV[4])
        redis.call('PEXPIRE', expiries, ARGV[4])
        redis.call('PEXPIRE', released, ARGV[4])
        if owned then
          redis.call('ZADD', shared, now + tonumber(ARGV[2]), keyId .. ':' .. ARGV[1])
          redis.call('PEXPIRE', shared, ARGV[4])
        end
        reply[1] = 2
        reply[2] = reserved
        return reply
        """;

    /// <summary>
    /// <see cref="QuotaRules.Settle"/> for one reservation: the actual tokens replace it, or with refund = 1 it is
    /// undone; it is no longer in flight, for the key or its owner. If its lease ran out and it was given back already,
    /// what was used is charged afresh; if it is not there at all, it was settled before and nothing changes. Counters
    /// never go below zero; a window whose hash is gone (expired, flushed, or an owner's of an older membership version
    /// that was not rebuilt) is left alone rather than recreated without its expiry or its baseline. KEYS: the key's
    /// reservations, expiries and released, the owner's expiries (or the key's again), then the windows it was counted
    /// in. ARGV: id, reserved tokens, actual tokens, refund (1/0), its member in the owner's set. Returns 0 when there
    /// was nothing to settle.
    /// </summary>
    public const string Settle = """
        local held = redis.call('HGET', KEYS[1], ARGV[1])
        if not held then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        redis.call('ZREM', KEYS[3], ARGV[1])
        redis.call('ZREM', KEYS[4], ARGV[5])
        local refund = ARGV[4] == '1'
        local tokens, requests
        if held ~= 'released' then
          if refund then tokens, requests = 0 - tonumber(ARGV[2]), -1 else tokens, requests = tonumber(ARGV[3]) - tonumber(ARGV[2]), 0 end
        else
          if refund then tokens, requests = 0, 0 else tokens, requests = tonumber(ARGV[3]), 1 end
        end
        for i = 5, #KEYS do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            if redis.call('HINCRBY', KEYS[i], 'tok', tokens) < 0 then redis.call('HSET', KEYS[i], 'tok', 0) end
            if redis.call('HINCRBY', KEYS[i], 'req', requests) < 0 then redis.call('HSET', KEYS[i], 'req', 0) end
          end
        end
        return 1
        """;

    /// <summary>
    /// Extends the leases of a key's reservations in flight, all in one call, in the owner's set too. KEYS: the key's
    /// expiries, the owner's expiries (or the key's again). ARGV: lease ms, the prefix of the key's members in the
    /// owner's set ("key id:", or empty), then the reservation ids. Returns the 1-based positions (among the ids) of
    /// those no longer in flight: their lease ran out and they were given back, or they were settled.
    /// </summary>
    public const string Renew = """
        local clock = redis.call('TIME')
        local until_ = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000) + tonumber(ARGV[1])
        local lost = {}
        for i = 3, #ARGV do
          if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
            redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i])
            redis.call('ZADD', KEYS[2], 'XX', until_, ARGV[2] .. ARGV[i])
          else
            lost[#lost + 1] = i - 2
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
    /// A key's (or an owner's) requests in flight now: its reservations whose lease has not run out (expired ones are
    /// given back by the next reserve). KEYS: expiries. Read-only.
    /// </summary>
    public const string InFlight = """
        local clock = redis.call('TIME')
        return redis.call('ZCOUNT', KEYS[1], '(' .. (tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)), '+inf')
        """;

    /// <summary>
    /// What a reserve would read, changing nothing: the key's and the owner's requests in flight (leases not run out),
    /// then per window whether it exists, its requests and its tokens. KEYS: the key's expiries, the owner's expiries (or
    /// the key's again), then the windows. ARGV: 1 for a key with an owner, else 0. Read-only.
    /// </summary>
    public const string Read = """
        local clock = redis.call('TIME')
        local now = '(' .. (tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000))
        local reply = {redis.call('ZCOUNT', KEYS[1], now, '+inf'), 0}
        if ARGV[1] == '1' then reply[2] = redis.call('ZCOUNT', KEYS[2], now, '+inf') end
        for i = 3, #KEYS do
          local counts = redis.call('HMGET', KEYS[i], 'req', 'tok')
          reply[#reply + 1] = redis.call('EXISTS', KEYS[i])
          reply[#reply + 1] = tonumber(counts[1]) or 0
          reply[#reply + 1] = tonumber(counts[2]) or 0
        end
        return reply
        """;
}
