using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DistGmm.Cli.Console;
using DistGmm.Cli.Tracking;

namespace DistGmm.Cli.Commands;

/// <summary>`distgmm runs list|show`: the run-tracking store.</summary>
public sealed class RunsCommand : ICliCommand
{
    public int Order => 65;

    private static Option<string?> Store() => new("--store")
    {
        Description = $"Run store (SQLite). Default: ${RunStore.EnvironmentVariable}, else ~/.distgmm/runs.db.",
    };

    public Command Build()
    {
        var command = new Command("runs", "Recorded runs (parameters, metrics, artefacts, duration, version).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        return command;
    }

    private static Command List()
    {
        var store = Store();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var limit = new Option<int>("--limit") { Description = "Show at most this many (most recent first).", DefaultValueFactory = _ => 50 };
        limit.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--limit must be at least 1."); });
        var command = new Command("list", "List recorded runs, most recent first.") { store, json, limit };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var path = RunStore.ResolvePath(parse.GetValue(store));
            var runs = File.Exists(path) ? RunStore.OpenExisting(path).List(parse.GetValue(limit)) : [];
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(runs.Select(ToJson), Indented));
                return ExitCodes.Ok;
            }
            if (runs.Count == 0)
            {
                output.WriteLine($"no runs recorded in {path}");
                return ExitCodes.Ok;
            }
            var rows = runs.Select(r => new[]
            {
                r.Id.ToString(CultureInfo.InvariantCulture), r.StartedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                r.Command, r.Status, $"{r.DurationSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s",
                Metric(r, "rows"), Metric(r, "anomalies"), Metric(r, "meanLogLikelihood"), r.OutDir ?? "",
                r.Error is { } e ? (e.Length <= 100 ? e : e[..99] + "…") : "",
            }).ToList();
            WriteTable(output, ["id", "started (UTC)", "command", "status", "duration", "rows", "anomalies", "mean ll", "out", "error"], rows);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show()
    {
        var store = Store();
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var id = new Argument<long>("ID") { Description = "The run id (see runs list)." };
        var command = new Command("show", "Show one run: parameters, metrics, artefacts.") { id, store, json };
        command.SetAction(parse =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var path = RunStore.ResolvePath(parse.GetValue(store));
            var runId = parse.GetValue(id);
            var run = RunStore.OpenExisting(path).Get(runId) ?? throw new CliException($"{path}: no run with id {runId}");
            if (parse.GetValue(json))
            {
                terminal.Out.WriteLine(JsonSerializer.Serialize(ToJson(run), Indented));
                return ExitCodes.Ok;
            }
            terminal.Summary($"run {run.Id}", [
                ("command", run.Command), ("status", run.Status), ("error", run.Error ?? "-"),
                ("started (UTC)", run.StartedUtc.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)),
                ("duration", $"{run.DurationSeconds.ToString("0.000", CultureInfo.InvariantCulture)} s"),
                ("version", run.Version), ("out", run.OutDir ?? "-"),
            ]);
            terminal.Summary("parameters", run.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
            terminal.Summary("metrics", run.Metrics.OrderBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => (p.Key, p.Value.ToString("R", CultureInfo.InvariantCulture))));
            terminal.Summary("artefacts", run.Artifacts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static Dictionary<string, object?> ToJson(RunRecord r) => new()
    {
        ["id"] = r.Id,
        ["command"] = r.Command,
        ["startedUtc"] = r.StartedUtc.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
        ["durationSeconds"] = r.DurationSeconds,
        ["status"] = r.Status,
        ["error"] = r.Error,
        ["version"] = r.Version,
        ["outDir"] = r.OutDir,
        ["parameters"] = r.Parameters,
        ["metrics"] = r.Metrics,
        ["artifacts"] = r.Artifacts,
    };

    private static string Metric(RunRecord r, string name) =>
        r.Metrics.TryGetValue(name, out var v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "-";

    private static void WriteTable(TextWriter output, string[] header, List<string[]> rows)
    {
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(r => r[c].Length))).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))).TrimEnd());
        foreach (var row in rows) output.WriteLine(string.Join("  ", row.Select((v, c) => v.PadRight(widths[c]))).TrimEnd());
    }
}
