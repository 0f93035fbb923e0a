using System.Globalization;
using OllamaQuota.Bench.Probe;

// bench/run.sh's and bench/soak.sh's helper. Each command prints plain text for the script (or Markdown for `report`).
//   bodies DIR                                 writes the request bodies
//   ttfb URL BODY KEY N                        N sequential streamed requests: time to first body byte, to last byte
//   ledger SECONDS                             in-process ledger reserve+settle per second (1 key; 1 key per thread)
//   redis HOST:PORT SECONDS                    the proxy's Redis calls: client CPU per call (see RedisClientCost)
//   allocdiff BEFORE AFTER REQUESTS [TOP]      allocation-tick profile between two snapshots, per request
//   report DIR                                 the Markdown tables from the TSV files run.sh wrote into DIR
//   load URLS KEY BODIES SECONDS RATE CONC     soak.sh's mixed load across the proxies (see MixedLoad)
//   fairshare URL KEY_A KEY_B BODY SECONDS N   fairshare.sh's flood by A (N streams) and B's time to first token
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
return args switch
{
    ["bodies", var dir] => Bodies.Write(dir),
    ["ttfb", var url, var body, var key, var n] => await FirstChunkProbe.RunAsync(url, body, key, int.Parse(n, CultureInfo.InvariantCulture)),
    ["ledger", var seconds] => await LedgerBenchmark.RunAsync(double.Parse(seconds, CultureInfo.InvariantCulture)),
    ["redis", var redis, var seconds] => await RedisClientCost.RunAsync(redis, double.Parse(seconds, CultureInfo.InvariantCulture)),
    ["allocdiff", var before, var after, var requests] => AllocationDiff.Print(before, after, long.Parse(requests, CultureInfo.InvariantCulture), 15),
    ["allocdiff", var before, var after, var requests, var top] =>
        AllocationDiff.Print(before, after, long.Parse(requests, CultureInfo.InvariantCulture), int.Parse(top, CultureInfo.InvariantCulture)),
    ["report", var dir] => Report.Print(dir),
    ["load", var urls, var key, var bodies, var seconds, var rate, var concurrency] => await MixedLoad.RunAsync(
        urls, key, bodies, double.Parse(seconds, CultureInfo.InvariantCulture), double.Parse(rate, CultureInfo.InvariantCulture),
        int.Parse(concurrency, CultureInfo.InvariantCulture)),
    ["fairshare", var url, var floodKey, var probeKey, var body, var seconds, var flood] => await FairShareProbe.RunAsync(
        url, floodKey, probeKey, body, double.Parse(seconds, CultureInfo.InvariantCulture), int.Parse(flood, CultureInfo.InvariantCulture)),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: probe bodies DIR | ttfb URL BODY KEY N | ledger SECONDS | redis HOST:PORT SECONDS | allocdiff BEFORE AFTER REQUESTS [TOP] | report DIR | load URLS KEY BODIES SECONDS RATE CONCURRENCY | fairshare URL KEY_A KEY_B BODY SECONDS FLOOD");
    return 2;
}
