using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace DistGmm.Cli.Tracking;

/// <summary>
/// Records a finished command in the run store: its parameters (from the parse result), metrics (from the run
/// folder's summary.json and model.json), artefacts (the run folder's files), duration and version. Tracking never
/// fails a job: a store that cannot be written costs one warning line.
/// </summary>
public static class RunTracking
{
    /// <summary>Set to "off" to record nothing (e.g. throw-away runs in scripts).</summary>
    public const string Disabled = "off";

    /// <summary>
    /// Records the command of <paramref name="parse"/> whose results are in <paramref name="outDir"/>; returns the run
    /// id, or null when tracking is off or the store could not be written (a warning goes to <paramref name="warnings"/>).
    /// </summary>
    public static long? Record(ParseResult parse, string? outDir, TimeSpan duration, string status = "ok",
        TextWriter? warnings = null, string? storePath = null, string? error = null)
    {
        var path = RunStore.ResolvePath(storePath);
        if (path.Equals(Disabled, StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var run = Describe(parse, outDir, duration, status) with { Error = error };
            return RunStore.OpenOrCreate(path).Add(run);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
                                       or InvalidDataException or JsonException)
        {
            (warnings ?? parse.InvocationConfiguration.Error).WriteLine($"distgmm: warning: run not recorded in {path}: {ex.Message.ReplaceLineEndings(" ")}");
            return null;
        }
    }

    /// <summary>The commands whose runs are recorded, failed ones too.</summary>
    public static readonly IReadOnlySet<string> TrackedCommands = new HashSet<string>(StringComparer.Ordinal) { "run", "train", "score", "coordinator" };

    /// <summary>
    /// Records a tracked command that failed, with its exit code and error line. Its --out folder is named, but holds the
    /// previous complete result (or nothing), so no metrics or artefacts are taken from it.
    /// </summary>
    public static long? RecordFailure(ParseResult parse, int exitCode, string error, TimeSpan duration, TextWriter warnings)
    {
        if (!TrackedCommands.Contains(parse.CommandResult.Command.Name)) return null;
        var outOption = parse.CommandResult.Command.Options.OfType<Option<string>>().FirstOrDefault(o => o.Name == "--out");
        var outDir = outOption is null ? null : parse.GetValue(outOption);
        return Record(parse, outDir, duration, "failed", warnings, error: $"exit {exitCode}: {error}");
    }

    /// <summary>The record of a command (not yet stored).</summary>
    public static RunRecord Describe(ParseResult parse, string? outDir, TimeSpan duration, string status = "ok")
    {
        var full = outDir is null ? null : Path.GetFullPath(outDir);
        return new RunRecord
        {
            Command = CommandPath(parse),
            StartedUtc = DateTimeOffset.UtcNow - duration,
            DurationSeconds = duration.TotalSeconds,
            Status = status,
            Version = VersionString(),
            OutDir = full,
            Parameters = Parameters(parse),
            Metrics = full is null || status != "ok" ? new Dictionary<string, double>() : Metrics(full),
            Artifacts = full is null || status != "ok" ? new Dictionary<string, string>() : Artifacts(full),
        };
    }

    /// <summary>"distgmm 1.0.0 (.NET 10.0.0; Linux …; X64)": the assembly version without any source-control suffix.</summary>
    public static string VersionString()
    {
        var assembly = typeof(RunTracking).Assembly;
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                      ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = version.IndexOf('+'); // the SDK appends +<commit>; a run record must not depend on git
        if (plus >= 0) version = version[..plus];
        return $"distgmm {version} (.NET {Environment.Version}; {RuntimeInformation.OSDescription}; {RuntimeInformation.ProcessArchitecture})";
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
            if (r.Command is not RootCommand) names.Insert(0, r.Command.Name);
        return string.Join(' ', names);
    }

    private static Dictionary<string, string> Parameters(ParseResult parse)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var command = parse.CommandResult.Command;
        foreach (var argument in command.Arguments)
        {
            if (parse.GetResult(argument) is { } result && Text(result.GetValueOrDefault<object?>()) is { } text)
                parameters[argument.Name] = text;
        }
        foreach (var option in command.Options)
        {
            if (parse.GetResult(option) is { } result && Text(result.GetValueOrDefault<object?>()) is { } text)
                parameters[option.Name] = text;
        }
        return parameters;
    }

    private static string? Text(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => b ? "true" : "false",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => string.Join(",", items.Cast<object?>().Select(Text)),
        _ => value.ToString(),
    };

    /// <summary>Numbers of summary.json, then the model-only ones of model.json (lowerBound, bic, aic, k, d).</summary>
    private static Dictionary<string, double> Metrics(string outDir)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var file in new[] { "summary.json", "model.json" })
        {
            var path = Path.Combine(outDir, file);
            if (!File.Exists(path)) continue;
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            if (document.RootElement.ValueKind != JsonValueKind.Object) continue;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name == "formatVersion" || metrics.ContainsKey(property.Name)) continue;
                if (property.Value.ValueKind == JsonValueKind.Number) metrics[property.Name] = property.Value.GetDouble();
            }
        }
        return metrics;
    }

    /// <summary>The run folder's files (and its dataset folder) by name.</summary>
    private static Dictionary<string, string> Artifacts(string outDir)
    {
        var artifacts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!Directory.Exists(outDir)) return artifacts;
        foreach (var file in Directory.EnumerateFiles(outDir).Order(StringComparer.Ordinal))
            if (!file.EndsWith(".tmp", StringComparison.Ordinal)) artifacts[Path.GetFileName(file)] = file;
        var dataset = Path.Combine(outDir, "dataset");
        if (File.Exists(Path.Combine(dataset, "manifest.json"))) artifacts["dataset"] = dataset;
        return artifacts;
    }
}
