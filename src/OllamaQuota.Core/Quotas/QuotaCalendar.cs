using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The calendar that quota windows follow, in <c>APP_TZ</c>. Day and month boundaries are local midnights converted to
/// UTC, so a DST day is 23 or 25 hours long, as a person there would expect. Minutes and hours are fixed windows
/// aligned to the local clock (12:00:00–12:00:59, 12:00–12:59), always 60 s and 3600 s long: a repeated or skipped
/// local hour at a DST change is its own window, never merged with another.
/// </summary>
public sealed class QuotaCalendar(TimeZoneInfo timeZone, TimeProvider time)
{
    public const string Variable = "APP_TZ";
    public const string DefaultTimeZone = "Europe/Berlin";

    // The last window handed out per period (indexed by QuotaPeriod). A window's bounds and id hold until it ends, so
    // a request pays for the time-zone arithmetic and the formatting of the id once per window, not once per request.
    // Boxed, so that a reader on another thread sees a whole window or the previous one, never a torn copy.
    private readonly StrongBox<CountedWindow>?[] _latest = new StrongBox<CountedWindow>?[QuotaPeriodExtensions.All.Length];

    public TimeZoneInfo TimeZone { get; } = timeZone;
    public TimeProvider Time { get; } = time;

    public static QuotaCalendar FromConfiguration(IConfiguration configuration, TimeProvider time)
    {
        var id = configuration[Variable];
        id = string.IsNullOrWhiteSpace(id) ? DefaultTimeZone : id.Trim();
        try
        {
            return new QuotaCalendar(TimeZoneInfo.FindSystemTimeZoneById(id), time);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new ArgumentException($"{Variable} '{id}' is not a known time zone (use an IANA name such as Europe/Berlin).", e);
        }
    }

    public DateTime UtcNow => Time.GetUtcNow().UtcDateTime;

    /// <summary>The local calendar day that <paramref name="utc"/> falls on.</summary>
    public DateOnly DayOf(DateTime utc) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(utc, TimeZone));

    public DateOnly Today => DayOf(UtcNow);

    /// <summary>[start, end) in UTC of the local day containing <paramref name="utc"/>.</summary>
    public QuotaWindow DayWindow(DateTime utc)
    {
        var day = DayOf(utc);
        return new QuotaWindow(StartOf(day), StartOf(day.AddDays(1)));
    }

    /// <summary>[start, end) in UTC of the local month containing <paramref name="utc"/>.</summary>
    public QuotaWindow MonthWindow(DateTime utc)
    {
        var day = DayOf(utc);
        var first = new DateOnly(day.Year, day.Month, 1);
        return new QuotaWindow(StartOf(first), StartOf(first.AddMonths(1)));
    }

    /// <summary>[start, end) in UTC of the <paramref name="period"/> window containing <paramref name="utc"/>.</summary>
    public QuotaWindow WindowOf(QuotaPeriod period, DateTime utc) => period switch
    {
        QuotaPeriod.Minute => FixedWindow(utc, TimeSpan.FromMinutes(1)),
        QuotaPeriod.Hour => FixedWindow(utc, TimeSpan.FromHours(1)),
        QuotaPeriod.Day => DayWindow(utc),
        _ => MonthWindow(utc),
    };

    /// <summary>
    /// The windows a request of a key with <paramref name="limits"/> is counted in at <paramref name="utc"/>, shortest
    /// first: day and month always, a minute or an hour while a limit applies to it.
    /// </summary>
    public CountedWindow[] CountedWindows(Keys.QuotaLimits limits, DateTime utc)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var count = 2 + (limits.Limits(QuotaPeriod.Minute) ? 1 : 0) + (limits.Limits(QuotaPeriod.Hour) ? 1 : 0);
        var windows = new CountedWindow[count];
        var index = 0;
        foreach (var period in QuotaPeriodExtensions.All)
        {
            if (period.AlwaysCounted() || limits.Limits(period))
            {
                windows[index++] = Counted(period, utc);
            }
        }

        return windows;
    }

    /// <summary>
    /// The windows a request of the key in <paramref name="request"/> is counted in: the key's and, if it has an owner,
    /// the owner's, by period shortest first and the key's before the owner's within a period.
    /// </summary>
    public CountedWindow[] CountedWindows(ReserveRequest request, DateTime utc)
    {
        ArgumentNullException.ThrowIfNull(request);
        var own = CountedWindows(request.Limits, utc);
        if (request.Owner is null)
        {
            return own;
        }

        var owners = CountedWindows(request.Owner.Limits, utc);
        return [.. own.Concat(owners.Select(w => w with { Scope = QuotaScope.Owner })).OrderBy(w => w.Period).ThenBy(w => w.Scope)];
    }

    /// <summary>The <paramref name="period"/> window containing <paramref name="utc"/>, with its id.</summary>
    public CountedWindow Counted(QuotaPeriod period, DateTime utc)
    {
        if (Volatile.Read(ref _latest[(int)period]) is { Value: var latest } && latest.Window.Start <= utc && utc < latest.Window.End)
        {
            return latest;
        }

        var counted = Count(period, utc);
        Volatile.Write(ref _latest[(int)period], new StrongBox<CountedWindow>(counted));
        return counted;
    }

    private CountedWindow Count(QuotaPeriod period, DateTime utc)
    {
        var window = WindowOf(period, utc);
        var id = period switch
        {
            // The local calendar's names, as the roll-ups use them.
            QuotaPeriod.Day => DayOf(utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            QuotaPeriod.Month => DayOf(utc).ToString("yyyy-MM", CultureInfo.InvariantCulture),

            // ISO 8601 intervals from the UTC start: unique across periods and across a repeated local hour.
            QuotaPeriod.Hour => window.Start.ToString("yyyy-MM-dd'T'HH:mm'Z/PT1H'", CultureInfo.InvariantCulture),
            _ => window.Start.ToString("yyyy-MM-dd'T'HH:mm'Z/PT1M'", CultureInfo.InvariantCulture),
        };
        return new CountedWindow(period, window, id);
    }

    /// <summary>UTC instant of local midnight starting <paramref name="day"/>.</summary>
    public DateTime StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);

        // Where a DST change skips midnight itself, the day starts at the first local time that exists.
        while (TimeZone.IsInvalidTime(local))
        {
            local = local.AddMinutes(15);
        }

        return TimeZoneInfo.ConvertTimeToUtc(local, TimeZone);
    }

    // Aligned to the local clock: offsets are whole minutes, and DST changes happen on the hour, so every window is
    // exactly one length long and none straddles a change.
    private QuotaWindow FixedWindow(DateTime utc, TimeSpan length)
    {
        var local = utc.Ticks + TimeZone.GetUtcOffset(utc).Ticks;
        var start = new DateTime(utc.Ticks - (local % length.Ticks), DateTimeKind.Utc);
        return new QuotaWindow(start, start + length);
    }
}

/// <summary>
/// A window a request is counted in: its period, its bounds and an id unique among a key's windows, and whose window it
/// is (the key's own, or its owner's).
/// </summary>
public readonly record struct CountedWindow(QuotaPeriod Period, QuotaWindow Window, string Id)
{
    public QuotaScope Scope { get; init; }
}

/// <summary>A quota window, [Start, End) in UTC.</summary>
public readonly record struct QuotaWindow(DateTime Start, DateTime End)
{
    public TimeSpan Length => End - Start;

    /// <summary>Whole seconds until the window resets, at least 1 (what <c>Retry-After</c> carries).</summary>
    public long SecondsUntilEnd(DateTime utcNow) => Math.Max(1, (long)Math.Ceiling((End - utcNow).TotalSeconds));
}
