using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Cli.Reports;
using DistGmm.Cluster;
using DistGmm.Cluster.Hosting;
using DistGmm.Cluster.Persistence;

namespace DistGmm.Cli.Commands;

/// <summary>The options every cluster node command reads: its HOCON node config and the command-line overrides.</summary>
internal sealed class NodeOptions
{
    public readonly Option<string> Config = new("--config") { Description = "Node config, HOCON with Akka's setting names (see cluster-config/README.md).", Required = true };
    public readonly Option<string?> NodeName = new("--node-name") { Description = "This node's name (overrides distgmm.node-name; a worker's id)." };
    public readonly Option<string?> Hostname = new("--hostname") { Description = "Address to bind and advertise (overrides akka.remote.dot-netty.tcp.hostname)." };
    public readonly Option<string?> PublicHostname = new("--public-hostname") { Description = "Name peers reach this node by, when it binds all interfaces (overrides akka.remote.dot-netty.tcp.public-hostname)." };
    public readonly Option<bool> Insecure = new("--insecure") { Description = "Allow a non-loopback address without TLS (a network you trust; see cluster-config/SECURITY.md)." };
    public readonly Option<int?> Port = new("--port") { Description = "Port (overrides akka.remote.dot-netty.tcp.port; 0 picks a free one)." };
    public readonly Option<string?> SeedNodes = new("--seed-nodes") { Description = "Seed nodes as HOST:PORT[,HOST:PORT…] (overrides akka.cluster.seed-nodes)." };
    public readonly Option<string?> JournalProvider = new("--journal-provider") { Description = "Journal: sqlite or postgres (overrides distgmm.journal.provider)." };
    public readonly Option<string?> Journal = new("--journal") { Description = "Journal connection string (overrides distgmm.journal.connection-string); a relative SQLite file is in the run folder." };

    public NodeOptions()
    {
        Port.Require<Option<int?>, int?>(p => p is null or (>= 0 and <= 65535), "must be a port (0-65535)");
    }

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Config, NodeName, Hostname, PublicHostname, Port, SeedNodes, JournalProvider, Journal, Insecure })
            command.Options.Add(option);
    }

    public ClusterNodeConfig Load(ParseResult parse, string role, string? runFolder = null)
    {
        var path = CliPaths.ExistingFile(parse.GetValue(Config)!);
        try
        {
            return ClusterNodeConfig.Load(path, role, new ClusterConfigOverrides
            {
                NodeName = parse.GetValue(NodeName), Hostname = parse.GetValue(Hostname), PublicHostname = parse.GetValue(PublicHostname),
                Insecure = parse.GetValue(Insecure), Port = parse.GetValue(Port),
                SeedNodes = parse.GetValue(SeedNodes) is { } seeds ? seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : null,
                JournalProvider = parse.GetValue(JournalProvider), JournalConnection = parse.GetValue(Journal),
            }, runFolder);
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
        Description = "Inject a fault (repeatable): kill:WORKER@ITER (SIGKILL the worker), down:WORKER@ITER (down its node), delay:WORKER=MS; WORKER is a worker id or 'random'.",
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
        var waitSeconds = new Option<int>("--wait-seconds")
        {
            Description = "How long to wait for this node to join the cluster (a seed node must admit it), and then as long for the workers to join.",
            DefaultValueFactory = _ => 120,
        };
        waitSeconds.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var jobIdOption = new Option<string?>("--job-id")
        {
            Description = "The job's id in the journal (default: from the run folder). Restarting the coordinator with the same id resumes the job.",
        };
        jobIdOption.Require<Option<string?>, string?>(v => v is null || JobIds.IsValid(v), "use letters, digits, '.', '_' and '-' (at most 100)");
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html." };
        var standbyOption = new Option<bool>("--standby")
        {
            Description = "Join as a standby coordinator: take the job over (from the shared journal) when the active coordinator node is gone.",
        };
        var command = new Command("coordinator",
            "Cluster mode: a coordinator node of an Akka cluster; worker nodes ('distgmm worker') join it, then it trains and scores like 'run'. " +
            "It journals the job (Akka.Persistence.Sql on SQLite or PostgreSQL): restarted with the same run folder (or --job-id) it resumes " +
            "after the last completed iteration; a --standby coordinator node takes over when the active one is lost.");
        node.AddTo(command);
        options.AddTo(command);
        threshold.AddTo(command);
        faults.AddTo(command);
        status.AddTo(command);
        command.Options.Add(waitSeconds);
        command.Options.Add(jobIdOption);
        command.Options.Add(noReport);
        command.Options.Add(standbyOption);
        command.SetAction(async (parse, ct) =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var outDir = parse.GetValue(options.Out)!;
            var config = node.Load(parse, ClusterNodeConfig.CoordinatorRole, Path.GetFullPath(outDir));
            var (spec, em, candidates, labels) = options.Resolve(parse);
            var rule = threshold.Resolve(parse) ?? new ThresholdRule.MeanMinusKStd(2);
            var workers = parse.GetValue(options.Workers);
            var jobId = parse.GetValue(jobIdOption) ?? JobIds.ForRunFolder(outDir);
            var standby = parse.GetValue(standbyOption);

            // Claim the job before anything else: a second coordinator for it stops here, with the owner named. A standby
            // claims it only when the cluster singleton moves to it (the active node is gone, and so is its lock).
            var owner = $"{config.NodeName}@{Environment.MachineName}";
            IAsyncDisposable? ownership = null;
            if (!standby) ownership = await Claim(() => JobOwnership.ClaimAsync(config.Journal, jobId, owner, ct));
            var wait = TimeSpan.FromSeconds(parse.GetValue(waitSeconds));
            await using var coordinator = CoordinatorNode.Start(config);
            try
            {
                var seeds = string.Join(", ", config.SeedNodes);
                if (!coordinator.IsSeedNode)
                    terminal.Error.WriteLine($"distgmm: warning: coordinator '{config.NodeName}': its own address {coordinator.Address} is not among the seed nodes ({seeds}): " +
                        "it can only join a cluster a seed node has formed");
                terminal.Line($"coordinator '{config.NodeName}': joining the cluster at {coordinator.Address} (seed nodes {seeds}), waiting up to {wait.TotalSeconds:0} s");
                try
                {
                    await coordinator.WhenUpAsync(wait, ct);
                }
                catch (TimeoutException ex)
                {
                    throw new CliException(ex.Message, ExitCodes.Failure, ex);
                }
                terminal.Line($"coordinator '{config.NodeName}': cluster member at {coordinator.Address} (seed nodes {seeds}), " +
                    $"job '{jobId}', journal {config.Journal.Provider}");
                if (standby)
                {
                    terminal.Line($"coordinator '{config.NodeName}': standing by for job '{jobId}' (takes over when the active coordinator node is gone)");
                    await coordinator.WhenActiveAsync(ct);
                    terminal.Line($"coordinator '{config.NodeName}': the job host moved here; taking over job '{jobId}'");
                    ownership = await Claim(() => JobOwnership.ClaimPatientlyAsync(config.Journal, jobId, owner, TimeSpan.FromSeconds(60), terminal.Line, ct));
                }
                else
                {
                    await coordinator.WhenActiveAsync(ct);
                }
                // Locked (after the journal claim, which names a rival coordinator's node), marked complete only at the end;
                // written in place so that a restarted (or standby) coordinator resumes there.
                using var folder = RunFolder.Begin(outDir, "coordinator", terminal.Error, inPlace: true);

                // The dataset must be on a path every worker node sees (a shared volume); ingesting into the run folder keeps it there.
                var (manifest, observer, statusServer) = await options.PrepareAsync(parse, terminal, status, em, candidates, outDir, ct);
                await using var __ = statusServer;
                coordinator.Settings = faults.Resolve(parse, em.Seed) with { JournalPluginId = null, ShardReplicas = config.ShardReplicas };
                terminal.Line($"coordinator '{config.NodeName}': waiting up to {wait.TotalSeconds:0} s for {workers} worker(s)");
                int joined;
                try
                {
                    joined = await coordinator.WaitForWorkersAsync(workers, wait, ct);
                }
                catch (TimeoutException ex)
                {
                    throw new CliException(ex.Message, ExitCodes.Failure, ex);
                }
                terminal.Line($"coordinator '{config.NodeName}': {joined} worker(s) joined");
                var outcome = await EmbeddedJob.RunAsync(new RunJobSpec(manifest.Directory, spec, em, workers, labels, rule, outDir, candidates,
                    coordinator.ClusterOptions() with { JobId = jobId }) { Scoring = options.ResolveScoring(parse) }, observer, ct);
                JobSummaries.PrintTrain(terminal, outcome.Train);
                var report = parse.GetValue(noReport) ? null : RunReportBuilder.WriteReport(outDir, manifest.Directory);
                JobSummaries.PrintScore(terminal, outcome.Score, report);
                var tlsRejected = DistGmm.Cluster.Security.TlsRejections.Shared.Count;
                if (config.Tls.Enabled) terminal.Line($"coordinator '{config.NodeName}': TLS handshakes refused: {tlsRejected}");
                WriteTransport(outcome.Score.SummaryPath, config.Tls.Enabled, tlsRejected);
                folder.Commit("coordinator", manifest.Directory);
                var wire = DistGmm.Cluster.Serialization.ProtocolSerializer.Counters;
                terminal.Line($"coordinator '{config.NodeName}': protocol payload serialized {wire.Messages} messages ({wire.Bytes} bytes; sent and journaled), " +
                    $"deserialized {wire.MessagesRead} ({wire.BytesRead} bytes; received and replayed)");
                Tracking.RunTracking.Record(parse, outDir, System.Diagnostics.Stopwatch.GetElapsedTime(started), warnings: terminal.Error);
                return ExitCodes.Ok;
            }
            finally
            {
                if (ownership is not null) await ownership.DisposeAsync();
            }
        });
        return command;
    }

    /// <summary>summary.json's <c>transport</c>: whether mutual TLS was on, and the peers it refused.</summary>
    private static void WriteTransport(string summaryPath, bool tls, long refused)
    {
        var summary = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(summaryPath))!.AsObject();
        summary["transport"] = new System.Text.Json.Nodes.JsonObject { ["mutualTls"] = tls, ["refusedHandshakes"] = refused };
        File.WriteAllText(summaryPath, summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    private static async Task<IAsyncDisposable> Claim(Func<Task<IAsyncDisposable>> claim)
    {
        try
        {
            return await claim();
        }
        catch (JobAlreadyOwnedException ex)
        {
            throw new CliException(ex.Message, ExitCodes.Failure, ex);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or IOException or UnauthorizedAccessException)
        {
            throw new CliException($"journal: cannot claim the job: {ex.Message}", ExitCodes.Failure, ex);
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

/// <summary>`distgmm worker`: a worker node that joins the cluster and computes on its shards until stopped.</summary>
public sealed class WorkerCommand : ICliCommand
{
    public int Order => 86;

    public Command Build()
    {
        var node = new NodeOptions();
        var cores = new Option<int>("--cores") { Description = "Cores to compute on (the coordinator gives a worker rows in proportion to its cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        cores.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var command = new Command("worker",
            "Cluster mode: a worker node; joins the cluster's seed nodes and computes until stopped (Ctrl+C / SIGTERM leaves the cluster gracefully). " +
            "Downed by the cluster, it joins again as a new incarnation.")
        {
            cores,
        };
        node.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var config = node.Load(parse, ClusterNodeConfig.WorkerRole);
            await WorkerNode.RunAsync(config, parse.GetValue(cores), terminal.Error.WriteLine, ct);
            return ExitCodes.Ok;
        });
        return command;
    }
}
