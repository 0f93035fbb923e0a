using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Quotas;

namespace OllamaQuota.Tests.Quotas;

/// <summary>
/// <see cref="QuotaRules.AllowanceCutByRoom"/>: true exactly when the room left after the prompt set the allowance, the
/// one case where a smaller prompt estimate that fits would get another allowance.
/// </summary>
public sealed class QuotaRulesAllowanceTests
{
    private const long Cap = 8192;

    [Theory]
    [InlineData(null, 8192, false)] // the cap set it
    [InlineData(null, 8191, true)] // the room set it
    [InlineData(500L, 500, false)] // the client's maximum set it
    [InlineData(500L, 499, true)]
    [InlineData(20000L, 8192, false)]
    [InlineData(20000L, 3000, true)]
    [InlineData(-1L, 8192, false)] // a negative maximum is none
    [InlineData(0L, 0, false)]
    public void AllowanceCutByRoom_GeneratingRequest_TrueOnlyBelowClientMaximumAndCap(long? clientMax, long allowance, bool cut)
    {
        var request = new ReserveRequest(Guid.Empty, QuotaLimits.Unlimited, 100, clientMax, GeneratesText: true);
        var reservation = new Reservation(Guid.Empty, default, default, 100 + allowance, allowance, Clamped: true);

        Assert.Equal(cut, QuotaRules.AllowanceCutByRoom(request, reservation, Cap));
    }

    [Fact]
    public void AllowanceCutByRoom_NoAllowance_False()
    {
        var request = new ReserveRequest(Guid.Empty, QuotaLimits.Unlimited, 100, null, GeneratesText: true);

        Assert.False(QuotaRules.AllowanceCutByRoom(request, new Reservation(Guid.Empty, default, default, 100, null, Clamped: false), Cap));
    }

    [Fact]
    public void AllowanceCutByRoom_Embedding_False()
    {
        var request = new ReserveRequest(Guid.Empty, QuotaLimits.Unlimited, 100, null, GeneratesText: false);

        Assert.False(QuotaRules.AllowanceCutByRoom(request, new Reservation(Guid.Empty, default, default, 100, 0, Clamped: false), Cap));
    }

    [Fact]
    public void AllowanceCutByRoom_DecidedByTheRules_MatchesWhetherASmallerPromptChangesTheAllowance()
    {
        // Against QuotaRules.Reserve itself: a 1,000-token daily window, prompts of 100 and 50.
        var limits = new QuotaLimits(1000, null, null, null);
        var now = new DateTime(2026, 11, 22, 11, 0, 0, DateTimeKind.Utc);
        var calendar = new QuotaCalendar(TimeZoneInfo.Utc, TimeProvider.System);
        foreach (var clientMax in (long?[])[null, 100, 850, 900, 2000])
        {
            var large = new ReserveRequest(Guid.Empty, limits, 100, clientMax, GeneratesText: true);
            var small = large with { PromptTokens = 50 };
            var windows = calendar.CountedWindows(large, now);
            var counts = new WindowCount[windows.Length];

            var bound = QuotaRules.Reserve(large, windows, counts, default, DateOnly.FromDateTime(now), now, Cap).Reservation!;
            var exact = QuotaRules.Reserve(small, windows, counts, default, DateOnly.FromDateTime(now), now, Cap).Reservation!;

            Assert.Equal(bound.CompletionAllowance != exact.CompletionAllowance, QuotaRules.AllowanceCutByRoom(large, bound, Cap));
        }
    }
}
