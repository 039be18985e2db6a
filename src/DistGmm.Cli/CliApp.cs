using System.Runtime.InteropServices;
using System.CommandLine;
using System.Reflection;

namespace DistGmm.Cli;

/// <summary>
/// A group of subcommands. Each group lives in its own file under Commands/ and is found by reflection,
/// so adding a command never touches this file.
/// </summary>
public interface ICliCommand
{
    /// <summary>Position in `distgmm --help`.</summary>
    int Order { get; }

    Command Build();
}

/// <summary>Documented exit codes of every distgmm command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The job ran but failed (a runtime error, a failed cluster job).</summary>
    public const int Failure = 1;
    /// <summary>The command line was wrong (unknown option, invalid value).</summary>
    public const int Usage = 2;
    /// <summary>The input could not be used (missing file, malformed data, no manifest).</summary>
    public const int BadInput = 3;
    /// <summary>Stopped by SIGINT (Ctrl+C) or SIGTERM: 128 + the signal's number, as a shell reports it.</summary>
    public const int Interrupted = 130;
    public const int Terminated = 143;
}

/// <summary>An error to show the user as one line, with the exit code it stands for.</summary>
public class CliException(string message, int exitCode = ExitCodes.BadInput, Exception? inner = null)
    : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

public static class CliApp
{
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "Show stack traces and debug detail on errors.", Recursive = true };

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("DistGmm: distributed Gaussian-mixture anomaly detection for network connection records.");
        root.Options.Add(Verbose);
        var groups = typeof(CliApp).Assembly.GetTypes()
            .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
            .OrderBy(c => c.Order);
        foreach (var group in groups) root.Subcommands.Add(group.Build());
        return root;
    }

    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(5);

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        var verbose = parse.GetValue(Verbose);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            stderr.WriteLine($"distgmm: {OneLine(parse.Errors[0].Message)} (see 'distgmm {CommandPath(parse)} --help')");
            return ExitCodes.Usage;
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // SIGINT/SIGTERM cancel the command (which stops its job and cleans up) instead of killing the process; handled
        // here rather than by System.CommandLine so that the cancellation they cause reads as an interruption, with the
        // signal's exit code, not as "A task was canceled.".
        PosixSignal? signal = null;
        using var interrupt = new CancellationTokenSource();
        using var returned = new CancellationTokenSource(); // the command came back: no forced exit (an in-process caller goes on)
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (signal is not null) return;
            signal = context.Signal;
            interrupt.Cancel();
            // A command that does not watch the token (a synchronous ingest) still stops: after a grace period that lets
            // a job stop cleanly (a coordinator leaves the cluster), the process exits with the signal's code.
            var code = context.Signal == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated;
            _ = Task.Delay(InterruptGrace, returned.Token).ContinueWith(_ =>
            {
                stderr.WriteLine($"distgmm: interrupted by {context.Signal}");
                stderr.Flush();
                Environment.Exit(code);
            }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            var configuration = new InvocationConfiguration
            {
                Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            };
            return parse.InvokeAsync(configuration, interrupt.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (signal is { } caught && Unwrap(ex) is OperationCanceledException)
        {
            var code = caught == PosixSignal.SIGINT ? ExitCodes.Interrupted : ExitCodes.Terminated;
            var message = $"interrupted by {caught}" + (CommandPath(parse) == "coordinator"
                ? "; the journal keeps the completed passes: start the coordinator again with the same --out to resume"
                : "; nothing was published (an output folder appears only when its command succeeds)");
            stderr.WriteLine($"distgmm: {message}");
            Tracking.RunTracking.RecordFailure(parse, code, message, System.Diagnostics.Stopwatch.GetElapsedTime(started), stderr);
            return code;
        }
        catch (Exception ex)
        {
            var e = Unwrap(ex);
            var message = OneLine(e.Message);
            stderr.WriteLine($"distgmm: {message}");
            if (verbose) stderr.WriteLine(e.ToString());
            var code = ExitCodeOf(e);
            // Failed jobs are recorded too (run, train, score, coordinator), with their exit code and error.
            Tracking.RunTracking.RecordFailure(parse, code, message, System.Diagnostics.Stopwatch.GetElapsedTime(started), stderr);
            return code;
        }
        finally
        {
            returned.Cancel();
        }
    }

    private static int ExitCodeOf(Exception e) => e switch
    {
        CliException c => c.ExitCode,
        FileNotFoundException or DirectoryNotFoundException or FormatException or InvalidDataException
            or DistGmm.Data.DataFormatException => ExitCodes.BadInput,
        // A node's TLS settings or files (missing, wrong password, foreign CA, no TLS off loopback): unusable configuration.
        DistGmm.Cluster.Security.TransportSecurityException => ExitCodes.BadInput,
        ArgumentException => ExitCodes.Usage,
        _ => ExitCodes.Failure,
    };

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            if (r.Command is not RootCommand) names.Insert(0, r.Command.Name);
        return string.Join(' ', names);
    }

    private static Exception Unwrap(Exception ex)
    {
        while (ex is AggregateException { InnerExceptions.Count: 1 } || ex is TargetInvocationException)
            ex = ex.InnerException!;
        return ex;
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim();
}
