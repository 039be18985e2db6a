namespace DistGmm.Reporting.Status;

public sealed record StatusServerOptions
{
    /// <summary>
    /// Semicolon-separated URLs as for ASP.NET Core's <c>--urls</c>; port 0 picks a free port
    /// (read the real one from <see cref="StatusServer.BaseAddress"/>).
    /// </summary>
    public string Urls { get; init; } = "http://127.0.0.1:0";

    /// <summary>Binding to a non-loopback address exposes the job to the network, so it must be asked for explicitly.</summary>
    public bool AllowRemote { get; init; }

    /// <summary>How often the page polls /api/status.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);
}
