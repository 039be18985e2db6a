using System.Text.Json;
using DistGmm.Cli.Tracking;
using Xunit;

namespace DistGmm.Cli.Tests;

/// <summary>Run tracking: a recorded run's parameters, metrics and artefacts, and `distgmm runs list|show`.</summary>
public sealed class RunsTests
{
    private static string TempStore() => Path.Combine(Directory.CreateTempSubdirectory("distgmm-runs-").FullName, "nested", "runs.db");

    /// <summary>Records the fixture's `run` folder as `distgmm run` would after finishing.</summary>
    private static (long Id, string Store, ServeFixture.Trained Trained) RecordTrainedRun()
    {
        var trained = ServeFixture.Get();
        var store = TempStore();
        var parse = CliApp.BuildRoot().Parse(["run", "data.csv", "--out", trained.RunDir, "--k", "3", "--preset", "kdd-wide", "--train-on-label", "normal"]);
        var id = RunTracking.Record(parse, trained.RunDir, TimeSpan.FromSeconds(12.5), storePath: store);
        return (Assert.NotNull(id), store, trained);
    }

    [Fact]
    public void A_recorded_run_keeps_parameters_metrics_artefacts_duration_and_version()
    {
        var (id, store, trained) = RecordTrainedRun();

        var run = Assert.IsType<RunRecord>(RunStore.OpenExisting(store).Get(id));
        Assert.Equal("run", run.Command);
        Assert.Equal("ok", run.Status);
        Assert.Equal(12.5, run.DurationSeconds);
        Assert.Equal(Path.GetFullPath(trained.RunDir), run.OutDir);
        Assert.StartsWith("distgmm ", run.Version);
        Assert.DoesNotContain("+", run.Version.Split(' ')[1]);
        // Given values and defaults alike.
        Assert.Equal("data.csv", run.Parameters["DATA"]);
        Assert.Equal("3", run.Parameters["--k"]);
        Assert.Equal("kdd-wide", run.Parameters["--preset"]);
        Assert.Equal("normal", run.Parameters["--train-on-label"]);
        Assert.Equal("100", run.Parameters["--max-iter"]);
        Assert.Equal("0.001", run.Parameters["--tol"]);
        Assert.Equal("Full", run.Parameters["--covariance"]);
        // Metrics come from summary.json and model.json of the run folder.
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(trained.RunDir, "summary.json")));
        Assert.Equal(summary.RootElement.GetProperty("rows").GetDouble(), run.Metrics["rows"]);
        Assert.Equal(summary.RootElement.GetProperty("threshold").GetDouble(), run.Metrics["threshold"]);
        Assert.Equal(3, run.Metrics["k"]);
        Assert.True(run.Metrics.ContainsKey("bic") && run.Metrics.ContainsKey("lowerBound"));
        Assert.Equal(trained.ModelPath, run.Artifacts["model.json"]);
        Assert.True(File.Exists(run.Artifacts["scores.parquet"]));
        Assert.True(File.Exists(Path.Combine(run.Artifacts["dataset"], "manifest.json")));
    }

    [Fact]
    public void Runs_list_shows_the_most_recent_first_as_table_and_json()
    {
        var (first, store, _) = RecordTrainedRun();
        var parse = CliApp.BuildRoot().Parse(["train", "data.csv", "--out", "/tmp/elsewhere"]);
        var second = Assert.NotNull(RunTracking.Record(parse, null, TimeSpan.FromSeconds(1), storePath: store));
        Assert.Equal(first + 1, second);

        var table = CliRunner.Run("runs", "list", "--store", store);
        Assert.Equal(0, table.ExitCode);
        var lines = table.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("id", lines[0]);
        Assert.StartsWith($"{second} ", lines[1]);
        Assert.Contains(" train ", lines[1]);
        Assert.StartsWith($"{first} ", lines[2]);
        Assert.Contains(" run ", lines[2]);

        var json = CliRunner.Run("runs", "list", "--store", store, "--json");
        Assert.Equal(0, json.ExitCode);
        var runs = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().ToArray();
        Assert.Equal([second, first], runs.Select(r => r.GetProperty("id").GetInt64()));
        Assert.Equal("kdd-wide", runs[1].GetProperty("parameters").GetProperty("--preset").GetString());

        var limited = CliRunner.Run("runs", "list", "--store", store, "--json", "--limit", "1");
        Assert.Single(JsonDocument.Parse(limited.Out).RootElement.EnumerateArray());
    }

    [Fact]
    public void Runs_show_prints_one_run_as_text_or_json()
    {
        var (id, store, trained) = RecordTrainedRun();

        var text = CliRunner.Run("runs", "show", id.ToString(), "--store", store);
        Assert.Equal(0, text.ExitCode);
        Assert.Contains($"run {id}", text.Out);
        Assert.Contains("parameters", text.Out);
        Assert.Contains(trained.ModelPath, text.Out);

        var json = CliRunner.Run("runs", "show", id.ToString(), "--store", store, "--json");
        Assert.Equal(0, json.ExitCode);
        var run = JsonDocument.Parse(json.Out).RootElement;
        Assert.Equal(id, run.GetProperty("id").GetInt64());
        Assert.Equal(12.5, run.GetProperty("durationSeconds").GetDouble());
        Assert.Equal(trained.ModelPath, run.GetProperty("artifacts").GetProperty("model.json").GetString());
    }

    [Fact]
    public void Unknown_run_or_missing_store_is_one_line()
    {
        var (_, store, _) = RecordTrainedRun();

        var unknown = CliRunner.Run("runs", "show", "999", "--store", store);
        Assert.Equal(ExitCodes.BadInput, unknown.ExitCode);
        Assert.Contains("no run with id 999", Assert.Single(unknown.ErrorLines));

        var missing = CliRunner.Run("runs", "show", "1", "--store", "/nonexistent/runs.db");
        Assert.Equal(ExitCodes.BadInput, missing.ExitCode);
        Assert.Contains("/nonexistent/runs.db", Assert.Single(missing.ErrorLines));

        var notANumber = CliRunner.Run("runs", "show", "latest", "--store", store);
        Assert.Equal(ExitCodes.Usage, notANumber.ExitCode);

        var empty = CliRunner.Run("runs", "list", "--store", "/nonexistent/runs.db");
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal("no runs recorded in /nonexistent/runs.db", empty.Out.Trim());
    }

    [Fact]
    public void An_unwritable_store_warns_but_never_fails_the_job()
    {
        var parse = CliApp.BuildRoot().Parse(["train", "data.csv", "--out", "/tmp/x"]);
        var warnings = new StringWriter();
        var blocker = Path.Combine(Directory.CreateTempSubdirectory("distgmm-runs-").FullName, "file");
        File.WriteAllText(blocker, "not a folder");

        Assert.Null(RunTracking.Record(parse, null, TimeSpan.Zero, warnings: warnings, storePath: Path.Combine(blocker, "runs.db")));
        Assert.StartsWith("distgmm: warning: run not recorded in ", warnings.ToString());
        Assert.Null(RunTracking.Record(parse, null, TimeSpan.Zero, storePath: RunTracking.Disabled));
    }

    [Fact]
    public void Writers_at_once_each_record_their_run_even_while_the_store_is_being_created()
    {
        // Test processes and parallel tests share one store (scripts/test.sh's DISTGMM_RUNS_DB); so do users' jobs.
        var store = TempStore();
        var parse = CliApp.BuildRoot().Parse(["train", "data.csv", "--out", "/tmp/x"]);
        const int writers = 8, each = 10;
        var ids = new long?[writers * each];
        var warnings = new StringWriter();
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, w =>
        {
            for (var i = 0; i < each; i++)
                ids[w * each + i] = RunTracking.Record(parse, null, TimeSpan.FromSeconds(w), warnings: TextWriter.Synchronized(warnings), storePath: store);
        });

        Assert.True(warnings.ToString() == "", warnings.ToString());
        Assert.Equal(Enumerable.Range(1, writers * each).Select(i => (long)i), ids.Select(id => id!.Value).Order());
        Assert.Equal(writers * each, RunStore.OpenExisting(store).List().Count);
    }

    [Fact]
    public void Store_path_comes_from_the_option_then_the_environment_then_home()
    {
        // The pure overload: setting DISTGMM_RUNS_DB here would redirect the runs of tests running beside this one.
        Assert.Equal("/x/runs.db", RunStore.ResolvePath("/x/runs.db", "/from/env.db", "/home/u"));
        Assert.Equal("/from/env.db", RunStore.ResolvePath(null, "/from/env.db", "/home/u"));
        Assert.Equal("/from/env.db", RunStore.ResolvePath(" ", "/from/env.db", "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".distgmm", "runs.db"), RunStore.ResolvePath(null, null, "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".distgmm", "runs.db"), RunStore.ResolvePath(null, "", "/home/u"));
        Assert.Equal(Path.Combine(Path.GetTempPath(), ".distgmm", "runs.db"), RunStore.ResolvePath(null, null, ""));
    }
}
