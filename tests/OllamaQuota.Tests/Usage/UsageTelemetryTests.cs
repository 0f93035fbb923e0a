using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OllamaQuota.Core.Usage;

namespace OllamaQuota.Tests.Usage;

public sealed class UsageTelemetryTests
{
    [Fact]
    public void StreamBacklog_ReportedOnlyOnceAWriterHasReadIt()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        using var telemetry = new UsageTelemetry(meters);
        var observed = new List<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this test's meter: other tests' proxies in this process report their own backlogs.
            if (instrument.Meter.Scope == meters && instrument.Name == "oq.usage.stream_backlog")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => observed.Add(value));
        listener.Start();

        listener.RecordObservableInstruments();
        telemetry.SetStreamBacklog(42);
        listener.RecordObservableInstruments();

        Assert.Equal([42L], observed);
    }
}
