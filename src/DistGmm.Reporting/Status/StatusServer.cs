using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using DistGmm.Reporting.Hosting;

namespace DistGmm.Reporting.Status;

/// <summary>
/// Live status page of a running job (Kestrel, loopback by default): <c>GET /</c> is the page, <c>GET /api/status</c>
/// the current <see cref="StatusSnapshot"/> as JSON (camelCase), <c>GET /healthz</c> answers "ok".
/// </summary>
public sealed class StatusServer : IAsyncDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // a diverging lower bound may be -Infinity
    };

    private readonly LoopbackWebHost _host;

    private StatusServer(LoopbackWebHost host) => _host = host;

    /// <summary>The bound addresses (with real ports when port 0 was asked for).</summary>
    public IReadOnlyList<Uri> Addresses => _host.Addresses;

    public Uri BaseAddress => _host.BaseAddress;

    public static Task<StatusServer> StartAsync(StatusBoard board, StatusServerOptions? options = null, CancellationToken ct = default) =>
        StartAsync(() => board.Current, options, ct);

    public static async Task<StatusServer> StartAsync(Func<StatusSnapshot> snapshot, StatusServerOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        options ??= new StatusServerOptions();
        var page = StatusPage.Html(options.PollInterval);
        var host = await LoopbackWebHost.StartAsync(What, options.Urls, options.AllowRemote, app =>
        {
            app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
            app.MapGet("/api/status", (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "no-store";
                return Results.Json(snapshot(), Json);
            });
            app.MapGet("/healthz", () => Results.Text("ok"));
        }, ct: ct).ConfigureAwait(false);
        return new StatusServer(host);
    }

    public Task StopAsync(CancellationToken ct = default) => _host.StopAsync(ct);

    public ValueTask DisposeAsync() => _host.DisposeAsync();

    /// <summary>Validates a --urls value: http(s) only, and loopback hosts only unless remote access is allowed.</summary>
    public static string[] ParseUrls(string urls, bool allowRemote) => LoopbackWebHost.ParseUrls(What, urls, allowRemote);

    private const string What = "Status server";
}
