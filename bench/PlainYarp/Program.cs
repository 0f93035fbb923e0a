using System.Globalization;

// Plain YARP in front of the fake upstream: every request forwarded as it is, with YARP's defaults and no work of
// ours, so that the proxy's figures can be read against what any .NET forwarder costs here.
// Arguments: --port N --upstream URL (both required).
var port = int.Parse(Argument("--port") ?? throw new ArgumentException("--port is required"), CultureInfo.InvariantCulture);
var upstream = Argument("--upstream") ?? throw new ArgumentException("--upstream is required");

var builder = WebApplication.CreateBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, port));
builder.Services.AddHttpForwarder();

var app = builder.Build();
app.MapForwarder("/{**catch-all}", upstream);
app.Run();

string? Argument(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
