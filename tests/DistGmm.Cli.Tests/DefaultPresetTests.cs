using System.Globalization;
using System.Text;
using DistGmm.Cli.Commands;
using DistGmm.Cluster;
using DistGmm.Data;
using DistGmm.Numerics;
using Xunit;

namespace DistGmm.Cli.Tests;

/// <summary>Without --preset: the notebook's seed preset for KDD data, generic for any other traffic table.</summary>
public sealed class DefaultPresetTests
{
    /// <summary>A CIC-IDS-like flow table: an address, skewed counts and bytes, a rate in [0, 1], a category, BENIGN/attack labels.</summary>
    private static string FlowTable(string dir)
    {
        var text = new StringBuilder(" Source IP, Flow Duration, Total Fwd Packets, Fwd Bytes, Down/Up Ratio, Protocol, Label\n");
        var random = new Random(5);
        for (var i = 0; i < 600; i++)
        {
            var attack = i % 40 == 7;
            text.Append(CultureInfo.InvariantCulture, $"192.168.{i / 200}.{i % 200},")
                .Append(CultureInfo.InvariantCulture, $"{Math.Round(random.NextDouble() * (attack ? 5 : 90_000))},{random.Next(1, attack ? 3 : 60)},")
                .Append(CultureInfo.InvariantCulture, $"{random.Next(attack ? 40 : 200, attack ? 60 : 90_000)},{Math.Round(random.NextDouble(), 3)},")
                .Append(i % 3 == 0 ? "udp" : "tcp").Append(attack ? ",PortScan\n" : ",BENIGN\n");
        }
        var path = Path.Combine(dir, "flows.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    [Fact]
    public void A_table_without_the_kdd_features_trains_with_the_generic_preset_and_capped_scoring()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-generic-").FullName;
        var data = FlowTable(dir);
        Assert.Equal("generic", TrainOptions.DefaultPreset(data));
        var run = Path.Combine(dir, "run");
        var r = CliRunner.Run("run", data, "--k", "2", "--workers", "2", "--shards", "3", "--out", run);
        Assert.True(r.ExitCode == 0, r.Error);
        var model = ModelFile.Load(Path.Combine(run, "model.json"));
        var preprocessor = Preprocessor.FromJson(model.PreprocessorJson!);
        Assert.Equal("generic", preprocessor.Spec.Name);
        Assert.Equal(Scoring.Capped, model.Scoring);
        // Counts and bytes are log1p'd; the ratio within [0, 1] stays linear; the protocol is one-hot.
        Assert.Equal(["Flow Duration", "Total Fwd Packets", "Fwd Bytes"], preprocessor.Columns.Where(c => c.Log1p).Select(c => c.Name));
        Assert.Equal(6, model.Model.D);
        // An address is not a feature: one-hot it would be 600 of them. The run says so.
        Assert.Contains("distgmm: warning: column 'Source IP' is not a feature: more than 100 categories (an address, a time or an id, not a feature)", r.Error);
        // BENIGN is normal traffic: the summary has the label metrics.
        Assert.Contains("\"rocAuc\"", File.ReadAllText(Path.Combine(run, "summary.json")));
        // The report plots its own columns (no src_bytes here): the three non-negative ones beyond 1.
        var report = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("<h2>Traffic: Flow Duration, Total Fwd Packets and Fwd Bytes</h2>", report);
        Assert.Contains("The data has no src_bytes, dst_bytes and duration", report);
    }

    [Fact]
    public void A_unsw_like_table_asks_which_label_and_runs_once_a_schema_file_says()
    {
        var dir = Directory.CreateTempSubdirectory("distgmm-unsw-").FullName;
        var text = new StringBuilder("id,dur,proto,sbytes,attack_cat,label\n");
        for (var i = 0; i < 300; i++)
            text.Append(CultureInfo.InvariantCulture, $"{i + 1},{i % 17 * 0.25},{(i % 4 == 0 ? "udp" : "tcp")},{200 + i * 37 % 900},")
                .Append(i % 30 == 0 ? "Exploits,1\n" : "Normal,0\n");
        var data = Path.Combine(dir, "UNSW_NB15_training-set.csv");
        File.WriteAllText(data, text.ToString());

        var refused = CliRunner.Run("run", data, "--out", Path.Combine(dir, "refused"), "--workers", "2", "--no-report");
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("more than one label column (attack_cat, label); mark all but one \"ignored\" in a schema file (--schema)", refused.Error);

        var schema = Path.Combine(dir, "schema.json");
        File.WriteAllText(schema, """{ "header": true, "columns": [ { "name": "label", "role": "ignored" } ] }""");
        var run = Path.Combine(dir, "run");
        var r = CliRunner.Run("run", data, "--schema", schema, "--out", run, "--workers", "2", "--no-report");
        Assert.True(r.ExitCode == 0, r.Error);
        var model = ModelFile.Load(Path.Combine(run, "model.json"));
        Assert.Equal("generic", Preprocessor.FromJson(model.PreprocessorJson!).Spec.Name);
        Assert.Equal(["dur", "proto=tcp", "proto=udp", "sbytes"], model.FeatureNames); // no id, no label
        Assert.Contains("\"rocAuc\"", File.ReadAllText(Path.Combine(run, "summary.json"))); // Normal is normal traffic

        // An ingested dataset's roles were settled by its ingest: a schema given with one is refused, not ignored.
        var again = CliRunner.Run("run", Path.Combine(run, "dataset"), "--schema", schema, "--out", Path.Combine(dir, "again"));
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"--schema applies to a data file, and {Path.Combine(run, "dataset")} is an ingested dataset", again.Error);
    }

    [Fact]
    public void Kdd_data_keeps_the_notebooks_seed_preset_and_an_unreadable_input_leaves_it_to_ingest_to_say_why()
    {
        Assert.Equal("seed", TrainOptions.DefaultPreset(SmallKdd.File3000));
        Assert.Equal("seed", TrainOptions.DefaultPreset(Path.Combine(Path.GetTempPath(), "no-such-file.csv")));
    }
}
