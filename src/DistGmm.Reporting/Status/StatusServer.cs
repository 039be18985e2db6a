using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    private readonly WebApplication _app;

    private StatusServer(WebApplication app, IReadOnlyList<Uri> addresses)
    {
        _app = app;
        Addresses = addresses;
    }

    /// <summary>The bound addresses (with real ports when port 0 was asked for).</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public Uri BaseAddress => Addresses[0];

    public static Task<StatusServer> StartAsync(StatusBoard board, StatusServerOptions? options = null, CancellationToken ct = default) =>
        StartAsync(() => board.Current, options, ct);

    public static async Task<StatusServer> StartAsync(Func<StatusSnapshot> snapshot, StatusServerOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        options ??= new StatusServerOptions();
        var urls = ParseUrls(options.Urls, options.AllowRemote);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls(urls);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        var app = builder.Build();

        var page = StatusPage.Html(options.PollInterval);
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/api/status", (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return Results.Json(snapshot(), Json);
        });
        app.MapGet("/healthz", () => Results.Text("ok"));

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"Status server cannot bind {string.Join(";", urls)}: {e.Message}", e);
        }

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                    ?? (ICollection<string>)urls;
        return new StatusServer(app, bound.Select(a => new Uri(a.Replace("://[::]", "://localhost", StringComparison.Ordinal))).ToArray());
    }

    public Task StopAsync(CancellationToken ct = default) => _app.StopAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Validates a --urls value: http(s) only, and loopback hosts only unless remote access is allowed.</summary>
    public static string[] ParseUrls(string urls, bool allowRemote)
    {
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException("Status server: --urls is empty.");
        foreach (var p in parts)
        {
            // Kestrel accepts wildcard hosts that Uri cannot parse; map them for the check only.
            var probe = p.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ArgumentException($"Status server: '{p}' is not an http(s) URL such as http://127.0.0.1:5080.");
            if (!allowRemote && !IsLoopback(uri.Host))
                throw new ArgumentException(
                    $"Status server: '{p}' is not a loopback address; the status page is local-only unless remote access is explicitly allowed.");
        }

        return parts;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
