using System.Net;
using System.Net.Sockets;
using Akka.Configuration;
using DistGmm.Cluster.Hosting;
using Xunit;
using Xunit.Abstractions;
using AkkaCluster = Akka.Cluster.Cluster;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace DistGmm.Cluster.Tests.Hosting;

/// <summary>The probes' endpoints, served for a real cluster node on 127.0.0.1.</summary>
public sealed class HealthEndpointTests(ITestOutputHelper output) : AkkaTestKit(ConfigurationFactory.ParseString("""
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
    akka.cluster.run-coordinated-shutdown-when-down = on
    akka.loglevel = INFO
    """), "health", output)
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task Alive_while_running_ready_only_as_an_Up_member_and_neither_after_leaving()
    {
        var port = FreePort();
        await using var endpoint = HealthEndpoint.Start(Sys, "127.0.0.1", port);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var alive = await http.GetAsync(HealthEndpoint.AlivePath);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        Assert.Equal("application/json", alive.Content.Headers.ContentType?.MediaType);
        var notYet = await http.GetAsync(HealthEndpoint.ReadyPath);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notYet.StatusCode);
        Assert.Contains("\"ready\":false", await notYet.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await http.PostAsync(HealthEndpoint.ReadyPath, null)).StatusCode);

        var cluster = AkkaCluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        await AwaitAssertAsync(async () =>
        {
            var ready = await http.GetAsync(HealthEndpoint.ReadyPath);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
            Assert.Contains("\"status\":\"Up\"", await ready.Content.ReadAsStringAsync());
        }, TimeSpan.FromSeconds(20));

        // Leaving runs coordinated shutdown: not ready, then not alive (the kubelet would restart the pod).
        await cluster.LeaveAsync();
        await AwaitAssertAsync(async () =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(HealthEndpoint.AlivePath)).StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(HealthEndpoint.ReadyPath)).StatusCode);
        }, TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task The_endpoint_starts_from_the_distgmm_health_section_only_when_enabled()
    {
        Assert.Null(HealthEndpoint.StartFromConfig(Sys, ConfigurationFactory.Empty));
        Assert.Null(HealthEndpoint.StartFromConfig(Sys, ConfigurationFactory.ParseString("distgmm.health.enabled = off")));
        var port = FreePort();
        await using var endpoint = HealthEndpoint.StartFromConfig(Sys, ConfigurationFactory.ParseString($"distgmm.health {{ enabled = on, port = {port} }}"));
        Assert.Equal($"http://127.0.0.1:{port}/", Assert.IsType<HealthEndpoint>(endpoint).Prefix);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{port}{HealthEndpoint.AlivePath}")).StatusCode);

        // In a pod: every interface, so the kubelet can call the pod IP.
        var podPort = FreePort();
        await using var everywhere = HealthEndpoint.StartFromConfig(Sys, ConfigurationFactory.ParseString($"distgmm.health {{ enabled = on, hostname = \"0.0.0.0\", port = {podPort} }}"));
        Assert.Equal($"http://*:{podPort}/", Assert.IsType<HealthEndpoint>(everywhere).Prefix);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"http://127.0.0.1:{podPort}{HealthEndpoint.AlivePath}")).StatusCode);
    }

    [Fact]
    public void A_port_in_use_is_a_one_line_error()
    {
        using var taken = new HttpListener();
        var port = FreePort();
        taken.Prefixes.Add($"http://127.0.0.1:{port}/");
        taken.Start();
        var e = Assert.Throws<InvalidOperationException>(() => HealthEndpoint.Start(Sys, "127.0.0.1", port));
        Assert.StartsWith($"health endpoint: cannot listen on http://127.0.0.1:{port}/: ", e.Message);
    }
}
