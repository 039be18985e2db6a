using System.CommandLine;
using DistGmm.Data.Parquet;

namespace DistGmm.Cli.Commands;

/// <summary>`distgmm parquet inspect|head`: look inside any flat Parquet file (ours or another writer's).</summary>
public sealed class ParquetCommands : ICliCommand
{
    public int Order => 80;

    public Command Build()
    {
        var inspectFile = new Argument<string>("FILE") { Description = "A Parquet file." };
        var inspectJson = new Option<bool>("--json") { Description = "One JSON object instead of text." };
        var inspect = new Command("inspect", "Schema, row groups, codecs, encodings and statistics of a Parquet file.") { inspectFile, inspectJson };
        inspect.SetAction(parse =>
        {
            ParquetInspector.WriteInspect(CliPaths.ExistingFile(parse.GetValue(inspectFile)!), parse.InvocationConfiguration.Output, parse.GetValue(inspectJson));
            return ExitCodes.Ok;
        });

        var headFile = new Argument<string>("FILE") { Description = "A Parquet file." };
        var rows = new Option<int>("-n", "--rows") { Description = "Number of rows to print.", DefaultValueFactory = _ => 10 };
        rows.Require<Option<int>, int>(v => v >= 0, "must not be negative");
        var headJson = new Option<bool>("--json") { Description = "JSON Lines: one object per row keyed by column name." };
        var head = new Command("head", "The first rows of a Parquet file.") { headFile, rows, headJson };
        head.SetAction(parse =>
        {
            ParquetInspector.WriteHead(CliPaths.ExistingFile(parse.GetValue(headFile)!), parse.GetValue(rows), parse.InvocationConfiguration.Output, parse.GetValue(headJson));
            return ExitCodes.Ok;
        });
        return new Command("parquet", "Inspect Parquet files.") { inspect, head };
    }
}
