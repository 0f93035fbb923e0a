using Microsoft.Extensions.Configuration;
using OllamaQuota.Core.Quotas;
using OllamaQuota.Tests.Infrastructure;

namespace OllamaQuota.Tests.Core;

public sealed class QuotaCalendarTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static QuotaCalendar At(DateTimeOffset utc) => new(Berlin, new ManualTimeProvider(utc));

    [Fact]
    public void DayWindow_SpringForward_Is23HoursFromLocalMidnight()
    {
        var calendar = At(new DateTimeOffset(2026, 3, 29, 12, 0, 0, TimeSpan.Zero));

        var day = calendar.DayWindow(calendar.UtcNow);

        Assert.Equal(new DateTime(2026, 3, 28, 23, 0, 0, DateTimeKind.Utc), day.Start);
        Assert.Equal(TimeSpan.FromHours(23), day.Length);
    }

    [Fact]
    public void DayWindow_FallBack_Is25Hours()
    {
        var calendar = At(new DateTimeOffset(2026, 10, 25, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(TimeSpan.FromHours(25), calendar.DayWindow(calendar.UtcNow).Length);
    }

    [Fact]
    public void DayOf_JustBeforeAndAfterLocalMidnight_SwitchesDay()
    {
        var calendar = At(DateTimeOffset.UnixEpoch);

        Assert.Equal(new DateOnly(2026, 1, 1), calendar.DayOf(new DateTime(2026, 1, 1, 22, 59, 59, DateTimeKind.Utc)));
        Assert.Equal(new DateOnly(2026, 1, 2), calendar.DayOf(new DateTime(2026, 1, 1, 23, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void MonthWindow_MonthEndsAndDst_AreLocalCalendarMonths()
    {
        var calendar = At(DateTimeOffset.UnixEpoch);

        var march = calendar.MonthWindow(new DateTime(2026, 3, 31, 21, 59, 0, DateTimeKind.Utc));
        var february = calendar.MonthWindow(new DateTime(2028, 2, 29, 12, 0, 0, DateTimeKind.Utc));

        Assert.Equal(new DateTime(2026, 2, 28, 23, 0, 0, DateTimeKind.Utc), march.Start);
        Assert.Equal(new DateTime(2026, 3, 31, 22, 0, 0, DateTimeKind.Utc), march.End);
        Assert.Equal(TimeSpan.FromDays(29), february.Length);
    }

    [Fact]
    public void StartOf_ZoneWhereMidnightDoesNotExist_StartsAtFirstExistingTime()
    {
        // Santiago (Chile) moves its clocks forward at local midnight in September.
        var santiago = TimeZoneInfo.FindSystemTimeZoneById("America/Santiago");
        var calendar = new QuotaCalendar(santiago, TimeProvider.System);
        var start = calendar.StartOf(new DateOnly(2026, 9, 6));

        Assert.False(santiago.IsInvalidTime(TimeZoneInfo.ConvertTimeFromUtc(start, santiago)));
        Assert.Equal(new DateOnly(2026, 9, 6), calendar.DayOf(start));
        Assert.Equal(new DateOnly(2026, 9, 5), calendar.DayOf(start.AddTicks(-1)));
    }

    [Fact]
    public void SecondsUntilEnd_RoundsUpAndIsAtLeastOne()
    {
        var window = new QuotaWindow(DateTime.UnixEpoch, DateTime.UnixEpoch.AddSeconds(10));

        Assert.Equal(10, window.SecondsUntilEnd(DateTime.UnixEpoch.AddMilliseconds(1)));
        Assert.Equal(1, window.SecondsUntilEnd(DateTime.UnixEpoch.AddSeconds(10)));
    }

    [Fact]
    public void FromConfiguration_UnknownZone_ThrowsNamingAppTz()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["APP_TZ"] = "Nowhere/Special" }).Build();

        var error = Assert.Throws<ArgumentException>(() => QuotaCalendar.FromConfiguration(configuration, TimeProvider.System));

        Assert.Contains("APP_TZ 'Nowhere/Special'", error.Message, StringComparison.Ordinal);
    }
}
