namespace DistGmm.Testing;

/// <summary>Ports for test nodes on 127.0.0.1.</summary>
internal static class LoopbackPorts
{
    /// <summary>A TCP port free on 127.0.0.1 right now (for a seed node; other nodes bind port 0).</summary>
    public static int Free()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
