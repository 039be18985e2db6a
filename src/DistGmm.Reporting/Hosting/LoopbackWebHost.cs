using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistGmm.Reporting.Hosting;

/// <summary>
/// The small Kestrel host behind DistGmm's web endpoints (status page, model serving): bound to loopback unless
/// remote access is explicitly allowed, quiet logging, real bound addresses (port 0 picks a free one).
/// </summary>
public sealed class LoopbackWebHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackWebHost(WebApplication app, IReadOnlyList<Uri> addresses)
    {
        _app = app;
        Addresses = addresses;
    }

    /// <summary>The bound addresses (with real ports when port 0 was asked for).</summary>
    public IReadOnlyList<Uri> Addresses { get; }

    public Uri BaseAddress => Addresses[0];

    /// <param name="what">Names the endpoint in errors, e.g. "Status server".</param>
    /// <param name="map">Adds the routes.</param>
    /// <param name="kestrel">Extra Kestrel settings (limits); the Server header is always off.</param>
    public static async Task<LoopbackWebHost> StartAsync(string what, string urls, bool allowRemote, Action<WebApplication> map,
        Action<KestrelServerOptions>? kestrel = null, CancellationToken ct = default)
    {
        var parsed = ParseUrls(what, urls, allowRemote);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(parsed);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            kestrel?.Invoke(k);
        });
        var app = builder.Build();
        map(app);
        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"{what} cannot bind {string.Join(";", parsed)}: {e.Message}", e);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses
                    ?? (ICollection<string>)parsed;
        return new LoopbackWebHost(app, [.. bound.Select(a => new Uri(a.Replace("://[::]", "://localhost", StringComparison.Ordinal)))]);
    }

    /// <summary>Completes when the host stops (Ctrl+C / SIGTERM through the host's lifetime, or <paramref name="ct"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct) => _app.WaitForShutdownAsync(ct);

    public Task StopAsync(CancellationToken ct = default) => _app.StopAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Validates a --urls value: http(s) only, and loopback hosts only unless remote access is allowed.</summary>
    public static string[] ParseUrls(string what, string urls, bool allowRemote)
    {
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new ArgumentException($"{what}: --urls is empty.");
        foreach (var p in parts)
        {
            // Kestrel accepts wildcard hosts that Uri cannot parse; map them for the check only.
            var probe = p.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(probe, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new ArgumentException($"{what}: '{p}' is not an http(s) URL such as http://127.0.0.1:5080.");
            if (!allowRemote && !IsLoopback(uri.Host))
                throw new ArgumentException(
                    $"{what}: '{p}' is not a loopback address; it is local-only unless remote access is explicitly allowed (--allow-remote).");
        }
        return parts;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
