using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The distributed-mode ledger: counters in Redis, shared by every proxy instance, one Lua script and one round trip
/// per reserve and per settle (<see cref="RedisQuotaScripts"/>). A key's windows are the hashes
/// <c>oq:{k:&lt;id&gt;}:d:&lt;yyyy-MM-dd&gt;</c> and <c>oq:{k:&lt;id&gt;}:m:&lt;yyyy-MM&gt;</c>, which expire
/// <see cref="WindowRetention"/> after their window closes, and, while the key has a limit on them,
/// <c>…:h:&lt;start&gt;Z/PT1H</c> and <c>…:mi:&lt;start&gt;Z/PT1M</c>, which expire one window length after theirs.
/// A day or month Redis does not have (first use today, a flush, a failover, eviction) is rebuilt from
/// <see cref="IQuotaBaseline"/> before the check, together with any missing minute or hour, so losing Redis's data
/// never resets a quota; a minute or hour missing while the day is there is simply a new window and starts empty.
/// A key with an owner keeps its counters under the owner's hash tag instead (<see cref="KeyPrefix(Guid, Guid?)"/>),
/// beside the owner's windows of its current membership version (<see cref="OwnerWindowPrefix"/>) and the owner's
/// leases, so that one script checks and counts both.
/// Redis failures surface as the library's exceptions; <see cref="RedisFailModeLedger"/> decides what they mean for
/// the request.
/// </summary>
/// <remarks>
/// Every reservation is recorded in Redis with an id and a lease (<see cref="RedisLedgerOptions.ReservationLease"/>),
/// renewed by <see cref="RenewAsync"/> while its request runs. A reservation nobody settles — the proxy was killed, or
/// the reserve was applied but its reply never arrived — is given back by the next script call for that key once its
/// lease has run out, instead of holding its tokens until the window closes. The lease is short and renewed rather
/// than as long as the longest request could be: a stream may run for as long as Ollama generates, which no fixed
/// expiry can bound, while a short lease frees what a dead proxy held within seconds. The same lease is the key's
/// in-flight slot (<c>max_concurrent_requests</c>): the reserve counts the leases still running in the same script, so
/// the limit is exact across instances, and a killed instance's slots come back once its leases run out. Renewal
/// failing only shortens the hold; a settle arriving after its reservation was given back charges what was used
/// afresh, so counters end up right either way.
/// </remarks>
public sealed partial class RedisQuotaLedger(
    IConnectionMultiplexer redis,
    QuotaCalendar calendar,
    IQuotaBaseline baseline,
    IOptions<QuotaOptions> options,
    IOptions<RedisLedgerOptions> ledgerOptions,
    ILogger<RedisQuotaLedger> logger) : IQuotaLedger
{
    /// <summary>How long a day's or month's hash outlives the window, so a request reserved just before midnight still settles.</summary>
    public static readonly TimeSpan WindowRetention = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a reservation given back on expiry stays marked as such, so that its settle, however late (kept while
    /// Redis was away), charges what was used instead of being mistaken for a repeat.
    /// </summary>
    public static readonly TimeSpan ReleasedRetention = TimeSpan.FromDays(1);

    // A window can vanish between the seed and the reserve only if Redis is flushed in that instant; twice is a fault.
    private const int MaxSeedAttempts = 3;

    // This instance's reservations still held in Redis, by reference (two reservations can be equal as records).
    private readonly ConcurrentDictionary<Reservation, Held> _held = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentQueue<DeferredSettle> _deferred = new();

    /// <summary>Reservations of this instance that Redis holds and that are not settled yet.</summary>
    public int HeldCount => _held.Count;

    public static string DayKey(Guid keyId, DateOnly day) =>
        $"oq:{{k:{keyId:D}}}:d:{day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}";

    public static string MonthKey(Guid keyId, DateOnly day) =>
        $"oq:{{k:{keyId:D}}}:m:{day.ToString("yyyy-MM", CultureInfo.InvariantCulture)}";

    /// <summary>The hash of a counted window of a key without an owner: the key's prefix, the period's letter and the window's id.</summary>
    public static string WindowKey(Guid keyId, CountedWindow window) => WindowKey(KeyPrefix(keyId, null), window);

    public static string ReservationsKey(Guid keyId) => $"oq:{{k:{keyId:D}}}:reservations";

    public static string ExpiriesKey(Guid keyId) => $"oq:{{k:{keyId:D}}}:reservation-expiries";

    public static string ReleasedKey(Guid keyId) => $"oq:{{k:{keyId:D}}}:reservation-released";

    /// <summary>
    /// The prefix of every name of a key: <c>oq:{k:&lt;key id&gt;}:</c> for a key on its own, and
    /// <c>oq:{o:&lt;owner id&gt;}:k:&lt;key id&gt;:</c> for a key with an owner, whose counters share the owner's hash
    /// tag so that one script checks both.
    /// </summary>
    public static string KeyPrefix(Guid keyId, Guid? ownerId) =>
        ownerId is { } owner ? $"{OwnerTag(owner)}k:{keyId:D}:" : $"oq:{{k:{keyId:D}}}:";

    /// <summary>The prefix of an owner's window hashes under a version of its membership: <c>oq:{o:&lt;id&gt;}:v&lt;version&gt;:</c>.</summary>
    public static string OwnerWindowPrefix(Guid ownerId, long keysVersion) =>
        string.Create(CultureInfo.InvariantCulture, $"{OwnerTag(ownerId)}v{keysVersion}:");

    /// <summary>The leases of every key of an owner: its requests in flight.</summary>
    public static string OwnerExpiriesKey(Guid ownerId) => OwnerTag(ownerId) + "reservation-expiries";

    /// <summary>
    /// Each key's requests in flight now, read from the leases (one read-only script per key, pipelined): what the
    /// Admin shows in distributed mode. <paramref name="owners"/> maps each key that has an owner to it, as the key's
    /// leases are under its owner's hash tag. Keys with none are left out.
    /// </summary>
    public static async Task<Dictionary<Guid, long>> ReadInFlightAsync(
        IDatabase database, IReadOnlyCollection<Guid> keyIds, IReadOnlyDictionary<Guid, Guid>? owners = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(keyIds);
        var counts = await Task.WhenAll(keyIds.Select(async keyId =>
        {
            Guid? owner = owners?.TryGetValue(keyId, out var id) == true ? id : null;
            var expiries = KeyPrefix(keyId, owner) + "reservation-expiries";
            return (keyId, Count: (long)await database.ScriptEvaluateReadOnlyAsync(RedisQuotaScripts.InFlight, [expiries]));
        }));
        return counts.Where(c => c.Count > 0).ToDictionary(c => c.keyId, c => c.Count);
    }

    public async ValueTask<ReserveResult> ReserveAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = calendar.UtcNow;
        var today = calendar.DayOf(now);
        var windows = calendar.CountedWindows(request, now);
        var id = Guid.NewGuid().ToString("N");
        var owner = request.Owner;

        // The prefixes are formatted once; every name below is a prefix and a suffix.
        var layout = Layout.Of(request);
        var keys = new RedisKey[RedisQuotaScripts.ReservationKeys + windows.Length];
        keys[0] = layout.Key + "reservations";
        keys[1] = layout.Key + "reservation-expiries";
        keys[2] = layout.Key + "reservation-released";
        keys[3] = layout.SharedExpiries;
        var values = new RedisValue[RedisQuotaScripts.ReserveArguments + (RedisQuotaScripts.ReserveWindowArguments * windows.Length)];
        values[0] = id;
        values[1] = (long)ledgerOptions.Value.ReservationLease.TotalMilliseconds;
        values[2] = (long)ReleasedRetention.TotalMilliseconds;

        // The reservations outlive every window they can be charged to, so an expired one is still found and given back.
        values[3] = TimeToLive(windows[^1], now);
        values[4] = request.PromptTokens;
        values[5] = request.RequestedCompletionTokens is { } max and >= 0 ? max : -1;
        values[6] = request.GeneratesText ? 1 : 0;
        values[7] = options.Value.MaxCompletionTokens;
        values[8] = request.Limits.MaxConcurrentRequests ?? -1;
        values[9] = Record(windows, request);
        values[10] = owner?.Limits.MaxConcurrentRequests ?? -1;
        values[11] = layout.Tag;
        values[12] = owner is null ? "" : request.KeyId.ToString("D");
        for (var i = 0; i < windows.Length; i++)
        {
            var window = windows[i];
            var limits = QuotaRules.LimitsOf(request, window.Scope);
            keys[RedisQuotaScripts.ReservationKeys + i] = layout.WindowKey(window);
            var at = RedisQuotaScripts.ReserveArguments + (RedisQuotaScripts.ReserveWindowArguments * i);
            values[at] = window.Id;
            values[at + 1] = limits.Amount(window.Period.RequestLimit()) ?? -1;
            values[at + 2] = limits.Amount(window.Period.TokenLimit()) ?? -1;
            values[at + 3] = TimeToLive(window, now);
            values[at + 4] = window.Period.AlwaysCounted() ? 0 : 1;
        }

        var database = redis.GetDatabase();
        for (var attempt = 1; attempt <= MaxSeedAttempts; attempt++)
        {
            // Not cancellable once sent: a reserve applied on the server but abandoned here holds its tokens until its
            // lease runs out. The command timeout still bounds the wait.
            cancellationToken.ThrowIfCancellationRequested();
            var reply = (RedisResult[])(await database.ScriptEvaluateAsync(RedisQuotaScripts.Reserve, keys, values))!;
            var status = (long)reply[0];
            if (status == RedisQuotaScripts.Missing)
            {
                await SeedAsync(database, request, keys[RedisQuotaScripts.ReservationKeys..], windows, today, now, cancellationToken);
                continue;
            }

            var reserved = (long)reply[1];
            var inFlight = new InFlightCounts((long)reply[2], (long)reply[3]);
            var counts = new WindowCount[windows.Length];
            for (var i = 0; i < windows.Length; i++)
            {
                var at = RedisQuotaScripts.ReserveReplyHead + (2 * i);
                counts[i] = new WindowCount((long)reply[at], (long)reply[at + 1]);
            }

            var result = QuotaRules.Reserve(request, windows, counts, inFlight, today, now, options.Value.MaxCompletionTokens);
            if (result.Allowed != (status == RedisQuotaScripts.Allowed) || (result.Reservation?.ReservedTokens ?? 0) != reserved)
            {
                throw new InvalidOperationException(
                    $"The reserve script and QuotaRules disagree for key {request.KeyId}: script {status}/{reserved}, rules {result.Allowed}/{result.Reservation?.ReservedTokens}.");
            }

            if (result.Reservation is { } reservation)
            {
                _held[reservation] = new Held(id, keys, layout.MemberPrefix);
            }

            return result;
        }

        throw new RedisException($"The quota counters of key {request.KeyId} disappeared from Redis {MaxSeedAttempts} times while being rebuilt.");
    }

    public async ValueTask<QuotaSnapshot> ReadAsync(ReserveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var now = calendar.UtcNow;
        var windows = calendar.CountedWindows(request, now);
        var layout = Layout.Of(request);
        RedisKey[] keys = [layout.Key + "reservation-expiries", layout.SharedExpiries, .. windows.Select(layout.WindowKey)];
        cancellationToken.ThrowIfCancellationRequested();
        var reply = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateReadOnlyAsync(
            RedisQuotaScripts.Read, keys, [request.Owner is null ? 0 : 1]))!;
        var counts = new WindowCount[windows.Length];
        var missing = new bool[windows.Length];
        for (var i = 0; i < windows.Length; i++)
        {
            missing[i] = (long)reply[2 + (3 * i)] == 0;
            counts[i] = new WindowCount((long)reply[3 + (3 * i)], (long)reply[4 + (3 * i)]);
        }

        // As the reserve would: a missing day or month means every missing window is rebuilt from the database; a
        // missing minute or hour beside an existing day is a new window and starts empty.
        if (windows.Where((w, i) => missing[i] && w.Period.AlwaysCounted()).Any())
        {
            var recorded = await baseline.LoadCountsAsync(request, windows, calendar.DayOf(now), cancellationToken);
            for (var i = 0; i < windows.Length; i++)
            {
                counts[i] = missing[i] ? recorded[i] : counts[i];
            }
        }

        return new QuotaSnapshot(windows, counts, new InFlightCounts((long)reply[0], (long)reply[1]), now);
    }

    public async ValueTask SettleAsync(Reservation reservation, long actualTokens, bool refund, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        if (!_held.TryGetValue(reservation, out var held))
        {
            throw new ArgumentException("The reservation was not made by this ledger, or is settled already.", nameof(reservation));
        }

        cancellationToken.ThrowIfCancellationRequested();
        await redis.GetDatabase().ScriptEvaluateAsync(
            RedisQuotaScripts.Settle, held.Keys, [held.Id, reservation.ReservedTokens, actualTokens, refund ? 1 : 0, held.MemberPrefix + held.Id]);
        _held.TryRemove(reservation, out _);
    }

    /// <summary>
    /// Keeps a settle Redis could not take, to be retried by <see cref="RenewAsync"/>; its reservation stays held
    /// (and renewed) meanwhile, so the counters stay right however long Redis is away. Retrying is safe even if the
    /// failed settle was applied after all (its reply lost): a settle finds its reservation gone and does nothing.
    /// </summary>
    public void SettleLater(Reservation reservation, long actualTokens, bool refund)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        _deferred.Enqueue(new DeferredSettle(reservation, actualTokens, refund));
    }

    /// <summary>
    /// One round of upkeep, run every third of the lease: settles kept by <see cref="SettleLater"/>, then extends the
    /// lease of every reservation still held, one script call per key however many of its requests run. Stops at the
    /// first Redis failure; the next round tries again.
    /// </summary>
    public async Task RenewAsync(CancellationToken cancellationToken)
    {
        for (var count = _deferred.Count; count > 0 && _deferred.TryPeek(out var settle); count--)
        {
            await SettleAsync(settle.Reservation, settle.ActualTokens, settle.Refund, cancellationToken);
            _deferred.TryDequeue(out _);
        }

        var database = redis.GetDatabase();
        var lease = (long)ledgerOptions.Value.ReservationLease.TotalMilliseconds;
        // Grouped by the key's set of leases, not by the key: a key moved to another owner while requests ran has
        // leases under both hash tags.
        await Task.WhenAll(_held.GroupBy(held => (string)held.Value.Keys[1]!).Select(async key =>
        {
            var reservations = key.ToList();
            var first = reservations[0].Value;
            var values = new RedisValue[2 + reservations.Count];
            values[0] = lease;
            values[1] = first.MemberPrefix;
            for (var i = 0; i < reservations.Count; i++)
            {
                values[2 + i] = reservations[i].Value.Id;
            }

            var lost = (RedisResult[])(await database.ScriptEvaluateAsync(RedisQuotaScripts.Renew, [first.Keys[1], first.Keys[3]], values))!;
            foreach (var position in lost)
            {
                var reservation = reservations[(int)position - 1].Key;
                if (_held.ContainsKey(reservation))
                {
                    LogLeaseLost(reservation.KeyId);
                }
            }
        }));
    }

    private static string OwnerTag(Guid ownerId) => $"oq:{{o:{ownerId:D}}}:";

    private static string WindowKey(string prefix, CountedWindow window) => string.Concat(prefix, window.Period switch
    {
        QuotaPeriod.Minute => "mi:",
        QuotaPeriod.Hour => "h:",
        QuotaPeriod.Day => "d:",
        _ => "m:",
    }, window.Id);

    /// <summary>
    /// What a reservation's record holds after its tokens: the ids of the key's windows (after "c&lt;owner changes&gt;"
    /// once the key has changed owner), then for an owned key "v&lt;version&gt;" and the ids of the owner's, so that a
    /// script giving back an expired lease finds every one.
    /// </summary>
    private static string Record(CountedWindow[] windows, ReserveRequest request)
    {
        var own = string.Join(' ', windows.Where(w => w.Scope == QuotaScope.Key).Select(w => w.Id));
        if (request.OwnerChanges > 0)
        {
            own = string.Create(CultureInfo.InvariantCulture, $"c{request.OwnerChanges} {own}");
        }

        return request.Owner is not { } owner ? own : string.Create(CultureInfo.InvariantCulture,
            $"{own} v{owner.KeysVersion} {string.Join(' ', windows.Where(w => w.Scope == QuotaScope.Owner).Select(w => w.Id))}");
    }

    private async Task SeedAsync(
        IDatabase database, ReserveRequest request, RedisKey[] windowKeys, CountedWindow[] windows, DateOnly today, DateTime now,
        CancellationToken cancellationToken)
    {
        var counts = await baseline.LoadCountsAsync(request, windows, today, cancellationToken);
        var values = new RedisValue[3 * windows.Length];
        for (var i = 0; i < windows.Length; i++)
        {
            values[3 * i] = counts[i].Requests;
            values[(3 * i) + 1] = counts[i].Tokens;

            // Relative expiries from the ledger's own clock: the windows are defined by APP_TZ and this clock, not Redis's.
            values[(3 * i) + 2] = TimeToLive(windows[i], now);
        }

        await database.ScriptEvaluateAsync(RedisQuotaScripts.Seed, windowKeys, values);
    }

    /// <summary>
    /// A day or month is kept <see cref="WindowRetention"/> after it closes; a minute or an hour one window length,
    /// as a key with a per-minute limit would otherwise keep a day's worth of closed minutes.
    /// </summary>
    private static long TimeToLive(CountedWindow counted, DateTime now)
    {
        var retention = counted.Period.AlwaysCounted() ? WindowRetention : counted.Window.Length;
        return Math.Max(1, (long)(counted.Window.End + retention - now).TotalMilliseconds);
    }

    [LoggerMessage(EventId = 2120, Level = LogLevel.Warning,
        Message = "A reservation of key {KeyId} outlived its lease in Redis (renewals failed) and was given back; its settle will charge what the request used")]
    private partial void LogLeaseLost(Guid keyId);

    /// <summary>
    /// A reservation's id in Redis, the keys its settle touches (those of its reserve) and the prefix of its member in
    /// the owner's set of leases.
    /// </summary>
    private sealed record Held(string Id, RedisKey[] Keys, string MemberPrefix);

    /// <summary>
    /// Where a request's counters are: the hash tag's prefix, the key's (its reservations and leases), the key's
    /// windows' (per owner change, so that a key moved back finds none of its old counts), the owner's windows' and the
    /// owner's leases.
    /// </summary>
    private sealed record Layout(string Tag, string Key, string KeyWindows, string? OwnerWindows, string SharedExpiries, string MemberPrefix)
    {
        public static Layout Of(ReserveRequest request)
        {
            var key = KeyPrefix(request.KeyId, request.Owner?.OwnerId);
            var windows = request.OwnerChanges > 0 ? string.Create(CultureInfo.InvariantCulture, $"{key}c{request.OwnerChanges}:") : key;
            if (request.Owner is not { } owner)
            {
                return new Layout(key, key, windows, null, key + "reservation-expiries", "");
            }

            return new Layout(
                OwnerTag(owner.OwnerId), key, windows, OwnerWindowPrefix(owner.OwnerId, owner.KeysVersion), OwnerExpiriesKey(owner.OwnerId),
                request.KeyId.ToString("D") + ":");
        }

        public string WindowKey(CountedWindow window) =>
            RedisQuotaLedger.WindowKey(window.Scope == QuotaScope.Owner ? OwnerWindows! : KeyWindows, window);
    }

    private sealed record DeferredSettle(Reservation Reservation, long ActualTokens, bool Refund);
}
