using System.Net;
using System.Text;
using System.Text.Json;
using Akka.Actor;
using AkkaCluster = Akka.Cluster.Cluster;
using MemberStatus = Akka.Cluster.MemberStatus;

namespace DistGmm.Cluster.Hosting;

/// <summary>What a node's probes report: alive while its actor system runs, ready while it is an Up cluster member.</summary>
public sealed record NodeHealth(bool Alive, bool Ready, string Status, string? Address, IReadOnlyList<string> Roles)
{
    public static NodeHealth Of(ActorSystem system)
    {
        var alive = !system.WhenTerminated.IsCompleted && CoordinatedShutdown.Get(system).ShutdownReason is null;
        if (((ExtendedActorSystem)system).Provider is not Akka.Cluster.IClusterActorRefProvider)
            return new NodeHealth(alive, false, "not a cluster node (akka.actor.provider is not cluster)", null, []);
        var self = AkkaCluster.Get(system).SelfMember;
        var ready = alive && self.Status is MemberStatus.Up or MemberStatus.WeaklyUp;
        return new NodeHealth(alive, ready, self.Status.ToString(), self.Address.ToString(), [.. self.Roles.Order(StringComparer.Ordinal)]);
    }
}

/// <summary>
/// <c>GET /health/alive</c> and <c>GET /health/ready</c> over HTTP for Kubernetes probes (200, or 503 with the
/// member status in the JSON body). Akka.Management would be the natural host for these, but the served
/// Akka.Management 1.5.73 cannot start its HTTP server here (Akka.Http.Shim is built against Ceen.Httpd 0.9.9,
/// only 0.9.10 is served: MissingMethodException on HttpServer.ListenAsync), and it ships no health routes for
/// .NET anyway; so a node serves them itself with the BCL's <see cref="HttpListener"/>.
/// </summary>
public sealed class HealthEndpoint : IAsyncDisposable
{
    public const string AlivePath = "/health/alive";
    public const string ReadyPath = "/health/ready";
    public const int DefaultPort = 8558;

    private readonly ActorSystem _system;
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    /// <summary>The URL prefix served, e.g. <c>http://127.0.0.1:8558/</c>.</summary>
    public string Prefix { get; }

    private HealthEndpoint(ActorSystem system, string host, int port)
    {
        _system = system;
        // "*" (or "0.0.0.0") listens on every interface, which a pod needs for the kubelet to reach it.
        var listenHost = host is "0.0.0.0" or "" ? "*" : host.Contains(':') && !host.StartsWith('[') ? $"[{host}]" : host;
        Prefix = $"http://{listenHost}:{port}/";
        _listener.Prefixes.Add(Prefix);
        try { _listener.Start(); }
        catch (HttpListenerException e)
        {
            throw new InvalidOperationException($"health endpoint: cannot listen on {Prefix}: {e.Message}", e);
        }
        _loop = Task.Run(ServeAsync);
    }

    /// <summary>
    /// Starts the endpoint as <c>distgmm.health { enabled, hostname, port }</c> in <paramref name="config"/> says
    /// (off by default; hostname 127.0.0.1 and port 8558 unless given), or returns null when it is off.
    /// </summary>
    public static HealthEndpoint? StartFromConfig(ActorSystem system, Akka.Configuration.Config config)
    {
        var section = config.GetConfig("distgmm.health");
        if (section is null || section.IsEmpty || !section.GetBoolean("enabled")) return null;
        var port = section.GetInt("port", DefaultPort);
        if (port is < 1 or > 65535) throw new InvalidOperationException($"distgmm.health.port must be 1-65535 (got {port})");
        return Start(system, section.GetString("hostname", "127.0.0.1"), port);
    }

    /// <summary>Starts serving the probes of <paramref name="system"/> on <paramref name="host"/>:<paramref name="port"/>.</summary>
    public static HealthEndpoint Start(ActorSystem system, string host = "127.0.0.1", int port = DefaultPort) => new(system, host, port);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Respond(context); }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { /* the prober went away */ }
        }
    }

    private void Respond(HttpListenerContext context)
    {
        using var response = context.Response;
        var path = context.Request.Url?.AbsolutePath ?? "";
        if (path is not (AlivePath or ReadyPath))
        {
            response.StatusCode = (int)HttpStatusCode.NotFound;
            return;
        }
        if (context.Request.HttpMethod is not ("GET" or "HEAD"))
        {
            response.StatusCode = (int)HttpStatusCode.MethodNotAllowed;
            response.AddHeader("Allow", "GET, HEAD");
            return;
        }
        var health = NodeHealth.Of(_system);
        var ok = path == AlivePath ? health.Alive : health.Ready;
        response.StatusCode = ok ? (int)HttpStatusCode.OK : (int)HttpStatusCode.ServiceUnavailable;
        response.ContentType = "application/json";
        response.AddHeader("Cache-Control", "no-store");
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            alive = health.Alive, ready = health.Ready, status = health.Status, address = health.Address, roles = health.Roles,
        }));
        response.ContentLength64 = body.Length;
        if (context.Request.HttpMethod == "GET") response.OutputStream.Write(body);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop.ConfigureAwait(false);
    }
}
