using Microsoft.Extensions.Configuration;

namespace OllamaQuota.Core.Quotas;

/// <summary>
/// The calendar that quota windows follow: a day and a month in <c>APP_TZ</c>. Window boundaries are local
/// midnights converted to UTC, so a DST day is 23 or 25 hours long, as a person there would expect.
/// </summary>
public sealed class QuotaCalendar(TimeZoneInfo timeZone, TimeProvider time)
{
    public const string Variable = "APP_TZ";
    public const string DefaultTimeZone = "Europe/Berlin";

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
}

/// <summary>A quota window, [Start, End) in UTC.</summary>
public readonly record struct QuotaWindow(DateTime Start, DateTime End)
{
    public TimeSpan Length => End - Start;

    /// <summary>Whole seconds until the window resets, at least 1 (what <c>Retry-After</c> carries).</summary>
    public long SecondsUntilEnd(DateTime utcNow) => Math.Max(1, (long)Math.Ceiling((End - utcNow).TotalSeconds));
}
