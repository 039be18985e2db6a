using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Cli.Reports;
using DistGmm.Cluster;
using DistGmm.Cluster.Remote;
using DistGmm.Persistence;
using DistGmm.Remoting.Configuration;

namespace DistGmm.Cli.Commands;

/// <summary>The options every cluster node command reads: its cluster-config file and the command-line overrides.</summary>
internal sealed class NodeOptions
{
    public readonly Option<string> Config = new("--config") { Description = "Cluster-config file (see cluster-config/README.md).", Required = true };
    public readonly Option<string?> NodeName = new("--node-name") { Description = "This node's name (overrides node.name; names its queue)." };
    public readonly Option<string?> Broker = new("--broker") { Description = "Broker URI, amqp:// or amqps:// (overrides broker.uri)." };
    public readonly Option<string?> SecretEnv = new("--secret-env") { Description = "Environment variable holding the cluster secret (overrides secret)." };
    public readonly Option<string?> SecretFile = new("--secret-file") { Description = "File holding the cluster secret (overrides secret)." };
    public readonly Option<string?> JournalProvider = new("--journal-provider") { Description = "Journal: sqlite or postgres (overrides journal.provider)." };
    public readonly Option<string?> Journal = new("--journal") { Description = "Journal connection string, e.g. \"Data Source=runs/journal.db\" (overrides journal.connection)." };
    public readonly Option<int?> HeartbeatMs = new("--heartbeat-interval-ms") { Description = "Heartbeat interval in ms (overrides heartbeat.intervalMs)." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Config, NodeName, Broker, SecretEnv, SecretFile, JournalProvider, Journal, HeartbeatMs })
            command.Options.Add(option);
    }

    public ClusterConfig Load(ParseResult parse, NodeRole role)
    {
        var path = CliPaths.ExistingFile(parse.GetValue(Config)!);
        try
        {
            return ClusterConfigLoader.Load(path, new ClusterConfigOverrides
            {
                NodeName = parse.GetValue(NodeName), BrokerUri = parse.GetValue(Broker), Role = role,
                SecretEnv = parse.GetValue(SecretEnv), SecretFile = parse.GetValue(SecretFile),
                JournalProvider = parse.GetValue(JournalProvider), JournalConnection = parse.GetValue(Journal),
                HeartbeatIntervalMs = parse.GetValue(HeartbeatMs),
            });
        }
        catch (ClusterConfigException ex)
        {
            throw new CliException(ex.Message, ExitCodes.BadInput, ex);
        }
    }
}

/// <summary>`--chaos` (fault injection) and the wait for workers when all are lost; shared by cluster and embedded runs.</summary>
internal sealed class FaultOptions
{
    public readonly Option<string[]> Chaos = new("--chaos")
    {
        Description = "Inject a fault (repeatable): kill:WORKER@ITER, drop-heartbeats:WORKER@ITER, delay:WORKER=MS; WORKER is a worker id or 'random'.",
        AllowMultipleArgumentsPerToken = false,
    };

    public readonly Option<int> MaxWaitSeconds = new("--max-wait-seconds")
    {
        Description = "With no worker left, how long the job waits for one to join before it fails.", DefaultValueFactory = _ => 600,
    };

    public FaultOptions()
    {
        MaxWaitSeconds.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        Chaos.Validators.Add(result =>
        {
            foreach (var spec in result.GetValueOrDefault<string[]>() ?? [])
            {
                try { ChaosPlan.ParseOne(spec); }
                catch (FormatException ex) { result.AddError(ex.Message); }
            }
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Chaos);
        command.Options.Add(MaxWaitSeconds);
    }

    public CoordinatorSettings Resolve(ParseResult parse, int seed) =>
        new(TimeSpan.FromSeconds(parse.GetValue(MaxWaitSeconds)), ChaosPlan.Parse(parse.GetValue(Chaos) ?? []), seed);
}

/// <summary>`distgmm coordinator`: waits for worker nodes to join, then runs train + score on them into a run folder.</summary>
public sealed class CoordinatorCommand : ICliCommand
{
    public int Order => 85;

    public Command Build()
    {
        var node = new NodeOptions();
        var options = new TrainOptions("Run folder (model.json, summary.json, scores.parquet, anomalies.*, report.html, events.log).");
        options.Workers.Description = "Worker nodes to wait for before the job starts (more may join later).";
        options.Workers.DefaultValueFactory = _ => 1;
        var threshold = new ThresholdOptions();
        var faults = new FaultOptions();
        var status = new StatusOption();
        var waitSeconds = new Option<int>("--wait-seconds") { Description = "How long to wait for the workers to join.", DefaultValueFactory = _ => 120 };
        waitSeconds.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var jobIdOption = new Option<string?>("--job-id")
        {
            Description = "The job's id in the journal (default: from the run folder). Restarting the coordinator with the same id resumes the job.",
        };
        jobIdOption.Require<Option<string?>, string?>(v => v is null || JobIds.IsValid(v), "use letters, digits, '.', '_' and '-' (at most 100)");
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html." };
        var command = new Command("coordinator",
            "Cluster mode: a coordinator node; worker nodes ('distgmm worker') join it over the broker, then it trains and scores like 'run'. " +
            "It journals the job (SQLite or PostgreSQL): restarted with the same run folder (or --job-id) it resumes after the last completed iteration.");
        node.AddTo(command);
        options.AddTo(command);
        threshold.AddTo(command);
        faults.AddTo(command);
        status.AddTo(command);
        command.Options.Add(waitSeconds);
        command.Options.Add(jobIdOption);
        command.Options.Add(noReport);
        command.SetAction(async (parse, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var config = node.Load(parse, NodeRole.Coordinator);
            var (spec, em, candidates, labels) = options.Resolve(parse);
            var rule = threshold.Resolve(parse) ?? new ThresholdRule.MeanMinusKStd(2);
            var outDir = parse.GetValue(options.Out)!;
            var workers = parse.GetValue(options.Workers);
            var jobId = parse.GetValue(jobIdOption) ?? JobIds.ForRunFolder(outDir);

            // Claim the job before anything else: a second coordinator for it stops here, with the owner named.
            await using var journal = OpenJournal(config);
            IAsyncDisposable ownership;
            try
            {
                ownership = await journal.ClaimOwnershipAsync(jobId, $"{config.Node.Name}@{Environment.MachineName}", ct);
            }
            catch (JobAlreadyOwnedException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Failure, ex);
            }
            await using var _ = ownership;
            // Locked (after the journal claim, which names a rival coordinator's node), marked complete only at the end;
            // written in place so that a restarted coordinator resumes there.
            using var folder = RunFolder.Begin(outDir, "coordinator", terminal.Error, inPlace: true);
            var coordinatorJournal = new SqlCoordinatorJournal(journal);
            // Only the count here: the job's coordinator replays the events itself.
            var resumed = await journal.HighestSequenceNrAsync($"{jobId}-train", ct);
            terminal.Line(resumed > 0
                ? $"coordinator '{config.Node.Name}': job '{jobId}' found in the {config.Journal.Provider} journal ({resumed} events): resuming"
                : $"coordinator '{config.Node.Name}': job '{jobId}', journal {config.Journal.Provider}");

            // The dataset must be on a path every worker node sees (a shared volume); ingesting into the run folder keeps it there.
            var (manifest, observer, statusServer) = await options.PrepareAsync(parse, terminal, status, em.MaxIter, outDir, ct);
            await using var __ = statusServer;
            await using var coordinator = await CoordinatorNode.StartAsync(config, terminal.Error.WriteLine, ct);
            coordinator.Journal = coordinatorJournal;
            coordinator.Settings = faults.Resolve(parse, em.Seed);
            var wait = TimeSpan.FromSeconds(parse.GetValue(waitSeconds));
            terminal.Line($"coordinator '{coordinator.Node.Name}': waiting up to {wait.TotalSeconds:0} s for {workers} worker(s) on {config.Broker.DisplayUri}");
            try
            {
                await coordinator.WaitForWorkersAsync(workers, wait, ct);
            }
            catch (TimeoutException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Failure, ex);
            }
            terminal.Line($"coordinator '{coordinator.Node.Name}': {coordinator.Workers} worker(s) joined");
            var outcome = await EmbeddedJob.RunAsync(new RunJobSpec(manifest.Directory, spec, em, workers, labels, rule, outDir, candidates,
                coordinator.ClusterOptions() with { JobId = jobId }), observer, ct);
            JobSummaries.PrintTrain(terminal, outcome.Train);
            var report = parse.GetValue(noReport) ? null : RunReportBuilder.WriteReport(outDir, manifest.Directory);
            JobSummaries.PrintScore(terminal, outcome.Score, report);
            var counters = coordinator.Node.Remote.TransportCounters;
            terminal.Line($"coordinator '{coordinator.Node.Name}': sent {counters.MessagesSent} messages ({counters.BytesSent} bytes), " +
                $"received {counters.MessagesReceived} ({counters.BytesReceived} bytes), rejected {counters.RejectedAuthentication} unauthenticated");
            folder.Commit("coordinator", manifest.Directory);
            Tracking.RunTracking.Record(parse, outDir, System.Diagnostics.Stopwatch.GetElapsedTime(started), warnings: terminal.Error);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static IJournal OpenJournal(ClusterConfig config)
    {
        try
        {
            return JournalFactory.Open(config.Journal.Provider, config.Journal.ConnectionString);
        }
        catch (ArgumentException ex)
        {
            throw new CliException($"{config.SourcePath}: journal: {ex.Message}", ExitCodes.BadInput, ex);
        }
    }
}

/// <summary>Job ids: what the journal keys a job by.</summary>
internal static partial class JobIds
{
    public static bool IsValid(string id) => id.Length is > 0 and <= 100 && Pattern().IsMatch(id);

    /// <summary>A stable id for a run folder: its name plus a hash of its full path (two folders never share a job).</summary>
    public static string ForRunFolder(string outDir)
    {
        var full = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(full)))[..10];
        var name = new string([.. Path.GetFileName(full).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').Take(60)]);
        return $"{(name.Length > 0 ? name : "run")}-{hash}";
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z0-9._-]+$")]
    private static partial System.Text.RegularExpressions.Regex Pattern();
}

/// <summary>`distgmm worker`: a worker node that joins a coordinator node and computes on its shards until stopped.</summary>
public sealed class WorkerCommand : ICliCommand
{
    public int Order => 86;

    public Command Build()
    {
        var node = new NodeOptions();
        var coordinatorNode = new Option<string>("--coordinator") { Description = "The coordinator's node name.", DefaultValueFactory = _ => "coordinator" };
        var cores = new Option<int>("--cores") { Description = "Cores to compute on.", DefaultValueFactory = _ => Environment.ProcessorCount };
        cores.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var joinSeconds = new Option<int>("--join-seconds") { Description = "How long to keep trying to join the coordinator.", DefaultValueFactory = _ => 120 };
        joinSeconds.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var command = new Command("worker", "Cluster mode: a worker node; joins the coordinator node over the broker and computes until stopped (Ctrl+C / SIGTERM).")
        {
            coordinatorNode, cores, joinSeconds,
        };
        node.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var config = node.Load(parse, NodeRole.Worker);
            WorkerNode worker;
            try
            {
                worker = await WorkerNode.StartAsync(config, parse.GetValue(coordinatorNode)!, parse.GetValue(cores),
                    TimeSpan.FromSeconds(parse.GetValue(joinSeconds)), TimeSpan.FromSeconds(1), terminal.Error.WriteLine, ct);
            }
            catch (TimeoutException ex)
            {
                throw new CliException(ex.Message, ExitCodes.Failure, ex);
            }
            await using (worker)
            {
                // One line per command: which shards and passes this worker computes.
                worker.Node.System.EventStream.Subscribe(new LineWriterRef(terminal), typeof(WorkerProgress));
                terminal.Line($"worker '{worker.Node.Name}': ready");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                catch (OperationCanceledException)
                {
                    terminal.Line($"worker '{worker.Node.Name}': stopping");
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>Receives events outside any actor and prints each as one line (the worker's progress).</summary>
internal sealed class LineWriterRef(Terminal terminal) : DistGmm.Actors.IActorRef
{
    private readonly Lock _gate = new();

    public string Path => "distgmm://worker/progress-lines";

    public void Tell(object message, DistGmm.Actors.IActorRef? sender = null)
    {
        lock (_gate) terminal.Line(message.ToString() ?? "");
    }
}
