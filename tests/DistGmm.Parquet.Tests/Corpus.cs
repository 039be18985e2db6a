using DistGmm.Data.Parquet;
using DistGmm.Data;
using DistGmm.Testing;

namespace DistGmm.Parquet.Tests;

/// <summary>The flat-file table of ../shared/parquet-testing/CORPUS.md (file, rows, codec) and corpus paths.</summary>
internal static class Corpus
{
    public static string Dir => RepoPaths.InShared("parquet-testing");

    public static string File(string name) => Path.Combine(Dir, "files", name);

    public static string Expected(string name) => Path.Combine(Dir, "expected", Path.GetFileNameWithoutExtension(name) + ".all.json");

    public sealed record Entry(string File, long Rows, string Codec);

    public static IReadOnlyList<Entry> FlatFiles { get; } = ParseTable();

    private static List<Entry> ParseTable()
    {
        var entries = new List<Entry>();
        bool inSection1 = false;
        foreach (var line in System.IO.File.ReadLines(Path.Combine(Dir, "CORPUS.md")))
        {
            if (line.StartsWith("## 1.", StringComparison.Ordinal)) inSection1 = true;
            else if (line.StartsWith("## ", StringComparison.Ordinal)) inSection1 = false;
            if (!inSection1 || !line.StartsWith("| ", StringComparison.Ordinal)) continue;
            var cells = line.Split('|').Select(s => s.Trim()).ToArray();
            if (cells.Length < 10 || !int.TryParse(cells[1], out _)) continue;
            entries.Add(new Entry(cells[2], long.Parse(cells[4]), cells[9]));
        }
        return entries;
    }
}
