using System.IO.Compression;
using DistGmm.Testing;

namespace DistGmm.Data.Tests;

/// <summary>Helpers: temp folders, in-memory batches, and an independent (string-based) reader of KDD text.</summary>
internal static class TestData
{
    public static string Kdd10Percent => RepoPaths.InRepo("data", "kddcup.data_10_percent.gz");
    public static string Head500Csv => RepoPaths.InShared("data", "KDDCup99_head500.csv");
    public static string Fixture(string name) => RepoPaths.InRepo("tests", "fixtures", "data", name);

    private static readonly string TempRoot = CreateTempRoot();

    private static string CreateTempRoot()
    {
        var parent = Path.Combine(Path.GetTempPath(), "distgmm-data-tests");
        // The test host may be killed rather than exit, so each run removes what earlier, finished runs left.
        if (Directory.Exists(parent))
            foreach (var old in Directory.GetDirectories(parent))
                if (int.TryParse(Path.GetFileName(old), out var pid) && !IsRunning(pid))
                    try { Directory.Delete(old, recursive: true); }
                    catch (IOException) { } // best effort: a leftover temp folder is harmless
        return Path.Combine(parent, Environment.ProcessId.ToString());
    }

    private static bool IsRunning(int pid)
    {
        try { return !System.Diagnostics.Process.GetProcessById(pid).HasExited; }
        catch (ArgumentException) { return false; }
    }

    public static string TempDir()
    {
        var dir = Path.Combine(TempRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A batch from columns given as (name, values): double?[] → numeric, string?[] → categorical/label.</summary>
    public static ColumnBatch Batch(params (string Name, object Values)[] columns)
    {
        var infos = columns.Select(c => new ColumnInfo(c.Name, c.Values switch
        {
            double?[] => ColumnRole.Numeric,
            string?[] when c.Name == "label" => ColumnRole.Label,
            string?[] => ColumnRole.Categorical,
            _ => throw new ArgumentException(c.Name),
        })).ToList();
        var rows = columns.Length == 0 ? 0 : columns[0].Values is double?[] d ? d.Length : ((string?[])columns[0].Values).Length;
        var batch = new ColumnBatch(infos, rows) { Count = rows };
        for (var r = 0; r < rows; r++) batch.RowIds[r] = r;
        for (var c = 0; c < columns.Length; c++)
        {
            if (columns[c].Values is double?[] numbers)
                for (var r = 0; r < rows; r++) batch.Numbers[c]![r] = numbers[r] ?? double.NaN;
            else
                ((string?[])columns[c].Values).CopyTo(batch.Texts[c]!, 0);
        }
        return batch;
    }

    public static Preprocessor Fit(ColumnBatch batch, PreprocessingSpec spec, Func<string?, bool>? filter = null) =>
        Preprocessor.Fit(() => [batch], batch.Columns, spec, filter);

    public static double[,] TransformAll(Preprocessor preprocessor, ColumnBatch batch)
    {
        var rows = preprocessor.SelectRows(batch, null, out _);
        var matrix = preprocessor.Transform(batch, rows);
        var result = new double[matrix.Rows, matrix.Cols];
        for (var r = 0; r < matrix.Rows; r++)
            for (var c = 0; c < matrix.Cols; c++) result[r, c] = matrix.Values[r * matrix.Cols + c];
        return result;
    }

    /// <summary>Lines of a (possibly gzip'd) text file via the BCL, independent of the product's byte reader.</summary>
    public static IEnumerable<string> ReadLines(string path)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz") ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return line;
    }

    public static string WriteText(string dir, string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}

internal static class SourceReading
{
    /// <summary>All rows of an input through the product's readers, as one batch.</summary>
    public static (ColumnBatch Batch, SourceFormat Format) ReadAll(string path, string? schemaFile = null)
    {
        using var source = TableSources.Open(path, schemaFile, BadRowPolicy.Fail, null);
        var batch = new ColumnBatch(source.Columns, (int)source.EstimatedRows + 1);
        source.ReadBatch(batch, batch.Capacity);
        Assert.False(source.ReadBatch(new ColumnBatch(source.Columns, 1), 1));
        for (var i = 0; i < batch.Count; i++) batch.RowIds[i] = i;
        return (batch, source.Format);
    }
}
