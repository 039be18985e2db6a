using System.Diagnostics;
using DistGmm.Remoting;

namespace DistGmm.Remoting.Tests;

/// <summary>
/// The real services scripts/services.sh starts. Under CI a missing variable is a failure (the services are part
/// of the test environment); on a developer machine the test returns early with a notice.
/// </summary>
internal static class TestServices
{
    public static Uri? Amqp() => Read("DISTGMM_TEST_AMQP") is { } uri ? new Uri(uri) : null;

    private static string? Read(string variable) => DistGmm.Testing.TestServiceVariables.Read(variable);

    public static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    /// <summary>The next envelope, or a failure after <paramref name="seconds"/> (a bound, not a synchronisation wait).</summary>
    public static async Task<Envelope> ReceiveOneAsync(this ITransport transport, int seconds = 30)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await foreach (var envelope in transport.ReceiveAllAsync(bound.Token)) return envelope;
        }
        catch (OperationCanceledException) { }
        throw new TimeoutException($"node '{transport.NodeName}' received nothing within {seconds} s ({transport.Counters})");
    }
}
