using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace DistGmm.Cluster.Hosting;

/// <summary>
/// Akka's log events as one line each on stderr (Akka's default logger writes to stdout, which belongs to the
/// command's output). Exceptions are shown by message; <c>DISTGMM_VERBOSE=1</c> adds the stack trace.
/// </summary>
public sealed class StderrLogger : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static readonly bool Verbose = Environment.GetEnvironmentVariable("DISTGMM_VERBOSE") is "1" or "true";

    public StderrLogger()
    {
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            var cause = e.Cause is null ? "" : Verbose ? $" ({e.Cause})" : $" ({e.Cause.GetType().Name}: {e.Cause.Message})";
            var line = $"{e.Timestamp:HH:mm:ss.fff} [{e.LogLevel().ToString().Replace("Level", "", StringComparison.Ordinal).ToLowerInvariant()}] {e.LogSource}: {e.Message}{cause}";
            Console.Error.WriteLine(line.ReplaceLineEndings(" "));
        });
    }
}
