using System.CommandLine;
using DistGmm.Cli.Console;
using DistGmm.Data;
using DistGmm.Data.Parquet;

namespace DistGmm.Cli.Commands;

/// <summary>`distgmm ingest` and `distgmm synth`: raw files to sharded Parquet datasets, and scale-test data.</summary>
public sealed class IngestCommand : ICliCommand
{
    public int Order => 20;

    public Command Build()
    {
        var input = new Argument<string>("INPUT") { Description = "Raw KDD file, header CSV, NSL-KDD file (.txt or .arff), ARFF, Zeek log (conn.log), JSON Lines, or Parquet file/folder; text may be gzipped or the one file of a zip." };
        var shards = new Option<int>("--shards") { Description = "Number of Parquet shards to write.", DefaultValueFactory = _ => 8 };
        shards.Require<Option<int>, int>(v => v >= 1, "must be at least 1");
        var output = new Option<string>("--out") { Description = "Dataset folder to write (manifest.json + shard-*.parquet).", Required = true };
        var onBadRow = DatasetInputs.OnBadRowOption();
        var schema = DatasetInputs.SchemaOption();
        var compression = new Option<string>("--compression") { Description = "Page codec of the shards: snappy (default), zstd, gzip, lz4 (LZ4_RAW) or none.", DefaultValueFactory = _ => "snappy" };
        compression.AcceptOnlyFromAmong("snappy", "zstd", "gzip", "lz4", "none");
        var command = new Command("ingest", "Ingest a data file into a sharded Parquet dataset with manifest.json.") { input, shards, output, onBadRow, schema, compression };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, ct)));
        return command;

        int Run(ParseResult parse, CancellationToken ct)
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            // The dataset is staged and published whole by Ingestion; the lock keeps a second ingest out meanwhile.
            using var folderLock = RunFolderLock.Acquire(CliPaths.OutputFolder(parse.GetValue(output)!), "ingest", terminal.Error);
            var result = DatasetInputs.Ingest(terminal, new IngestOptions(
                CliPaths.ExistingInput(parse.GetValue(input)!), parse.GetValue(output)!, parse.GetValue(shards),
                parse.GetValue(onBadRow), parse.GetValue(schema) is { } s ? CliPaths.ExistingFile(s) : null,
                Compression: parse.GetValue(compression) switch
                {
                    "zstd" => CompressionCodec.Zstd,
                    "gzip" => CompressionCodec.Gzip,
                    "lz4" => CompressionCodec.Lz4Raw,
                    "none" => CompressionCodec.Uncompressed,
                    _ => CompressionCodec.Snappy,
                }), ct);
            DatasetInputs.PrintSummary(terminal, result);
            return ExitCodes.Ok;
        }
    }
}

public sealed class SynthCommand : ICliCommand
{
    public int Order => 90;

    public Command Build()
    {
        var rows = new Option<long>("--rows") { Description = "Rows to generate (full KDD size: 4898431).", Required = true };
        rows.Require<Option<long>, long>(v => v >= 1, "must be at least 1");
        var from = new Option<string>("--from") { Description = "Real data file to resample (raw KDD, header CSV, ARFF, Zeek log, JSON Lines).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the bootstrap resampling.", DefaultValueFactory = _ => 42UL };
        var output = new Option<string>("--out") { Description = "Output file (same format as --from; .gz compresses).", Required = true };
        var command = new Command("synth", "Make a larger SYNTHETIC data set by seeded bootstrap resampling of a real one (for scale tests).") { rows, from, seed, output };
        command.SetAction(parse =>
        {
            var terminal = new Terminal(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = Synthesizer.Synthesize(new SynthOptions(parse.GetValue(rows), CliPaths.ExistingFile(parse.GetValue(from)!), parse.GetValue(seed), parse.GetValue(output)!));
            terminal.Summary("Synthetic data set written (bootstrap resample: NOT real traffic)", [
                ("file", result.Out), ("rows", Format.Count(result.Rows)), ("resampled from", $"{Format.Count(result.SourceRows)} rows"),
                ("marker", result.MarkerFile), ("time", Format.Seconds(clock.Elapsed))]);
            return ExitCodes.Ok;
        });
        return command;
    }
}
