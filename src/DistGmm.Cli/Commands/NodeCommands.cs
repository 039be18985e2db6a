using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Cli.Reports;
using DistGmm.Cluster;
using DistGmm.Cluster.Remote;
using DistGmm.Remoting.Configuration;

namespace DistGmm.Cli.Commands;

/// <summary>The options every cluster node command reads: its cluster-config file and the command-line overrides.</summary>
internal sealed class NodeOptions
{
    public readonly Option<string> Config = new("--config") { Description = "Cluster-config file (see cluster-config/README.md).", Required = true };
    public readonly Option<string?> NodeName = new("--node-name") { Description = "This node's name (overrides node.name; names its queue)." };
    public readonly Option<string?> Broker = new("--broker") { Description = "Broker URI, amqp:// or amqps:// (overrides broker.uri)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Config);
        command.Options.Add(NodeName);
        command.Options.Add(Broker);
    }

    public ClusterConfig Load(ParseResult parse, NodeRole role)
    {
        var path = CliPaths.ExistingFile(parse.GetValue(Config)!);
        try
        {
            return ClusterConfigLoader.Load(path, new ClusterConfigOverrides { NodeName = parse.GetValue(NodeName), BrokerUri = parse.GetValue(Broker), Role = role });
        }
        catch (ClusterConfigException ex)
        {
            throw new CliException(ex.Message, ExitCodes.BadInput, ex);
        }
    }
}

/// <summary>`distgmm coordinator`: waits for worker nodes to join, then runs train + score on them into a run folder.</summary>
public sealed class CoordinatorCommand : ICliCommand
{
    public int Order => 85;

    public Command Build()
    {
        var node = new NodeOptions();
        var options = new TrainOptions("Run folder (model.json, summary.json, scores.parquet, anomalies.*, report.html, events.log).");
        options.Workers.Description = "Worker nodes to wait for; the job runs on exactly this many.";
        options.Workers.DefaultValueFactory = _ => 1;
        var threshold = new ThresholdOptions();
        var waitSeconds = new Option<int>("--wait-seconds") { Description = "How long to wait for the workers to join.", DefaultValueFactory = _ => 120 };
        waitSeconds.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var noReport = new Option<bool>("--no-report") { Description = "Do not write report.html." };
        var command = new Command("coordinator", "Cluster mode: a coordinator node; worker nodes ('distgmm worker') join it over the broker, then it trains and scores like 'run'.");
        node.AddTo(command);
        options.AddTo(command);
        threshold.AddTo(command);
        command.Options.Add(waitSeconds);
        command.Options.Add(noReport);
        command.SetAction(async (parse, ct) =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var config = node.Load(parse, NodeRole.Coordinator);
            var (spec, em, candidates, labels) = options.Resolve(parse);
            var rule = threshold.Resolve(parse) ?? new ThresholdRule.MeanMinusKStd(2);
            var outDir = parse.GetValue(options.Out)!;
            var workers = parse.GetValue(options.Workers);
            // The dataset must be on a path every worker node sees (a shared volume); ingesting into the run folder keeps it there.
            var manifest = DatasetInputs.OpenOrIngest(terminal, parse.GetValue(options.Data)!, Path.Combine(outDir, "dataset"), parse.GetValue(options.Shards));
            await using var coordinator = await CoordinatorNode.StartAsync(config, terminal.Error.WriteLine, ct);
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
                coordinator.ClusterOptions()), new ProgressObserver(terminal, em.MaxIter), ct);
            JobSummaries.PrintTrain(terminal, outcome.Train);
            var report = parse.GetValue(noReport) ? null : RunReportBuilder.WriteReport(outDir, manifest.Directory);
            JobSummaries.PrintScore(terminal, outcome.Score, report);
            var counters = coordinator.Node.Remote.TransportCounters;
            terminal.Line($"coordinator '{coordinator.Node.Name}': sent {counters.MessagesSent} messages ({counters.BytesSent} bytes), " +
                $"received {counters.MessagesReceived} ({counters.BytesReceived} bytes), rejected {counters.RejectedAuthentication} unauthenticated");
            return ExitCodes.Ok;
        });
        return command;
    }
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
