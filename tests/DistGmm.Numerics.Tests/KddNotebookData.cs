using System.Globalization;
using System.IO.Compression;
using DistGmm.Numerics;

namespace DistGmm.Numerics.Tests;

/// <summary>
/// The notebook's encoding of KDD Cup 99 raw CSV (no header, 41 features + label): drop service and flag
/// (columns 2, 3), label-encode protocol_type (sorted unique strings), drop the label, min-max scale all
/// 39 remaining columns as scikit-learn's MinMaxScaler (x·scale + min_, constant column → 0).
/// Test/benchmark helper only; the product reader lives in DistGmm.Data.
/// </summary>
internal static class KddNotebookData
{
    public const int Columns = 39;

    public static DataMatrix Load(string path)
    {
        var raw = new List<double[]>(500_000);
        var protocols = new List<string>();
        using (var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress)))
        {
            string? line;
            int lineNo = 0;
            while ((line = reader.ReadLine()) is not null)
            {
                lineNo++;
                if (line.Length == 0) continue;
                var f = line.Split(',');
                if (f.Length != 42) throw new FormatException($"{path}:{lineNo}: {f.Length} fields, expected 42.");
                var row = new double[Columns];
                int c = 0;
                for (int j = 0; j < 41; j++)
                {
                    if (j == 2 || j == 3) continue;
                    if (j == 1) { protocols.Add(f[1]); row[c++] = double.NaN; continue; }
                    if (!double.TryParse(f[j], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                        throw new FormatException($"{path}:{lineNo}: column {j + 1} '{f[j]}' is not a number.");
                    row[c++] = v;
                }
                raw.Add(row);
            }
        }
        var codes = protocols.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((p, i) => (p, i)).ToDictionary(t => t.p, t => (double)t.i, StringComparer.Ordinal);
        int n = raw.Count;
        for (int r = 0; r < n; r++) raw[r][1] = codes[protocols[r]];
        var min = new double[Columns];
        var max = new double[Columns];
        Array.Fill(min, double.PositiveInfinity);
        Array.Fill(max, double.NegativeInfinity);
        foreach (var row in raw)
            for (int j = 0; j < Columns; j++) { min[j] = Math.Min(min[j], row[j]); max[j] = Math.Max(max[j], row[j]); }
        var values = new double[n * Columns];
        for (int j = 0; j < Columns; j++)
        {
            double range = max[j] - min[j];
            double scale = 1.0 / (range == 0 ? 1.0 : range);
            double offset = -min[j] * scale;
            for (int r = 0; r < n; r++) values[r * Columns + j] = raw[r][j] * scale + offset;
        }
        return new DataMatrix(values, n, Columns);
    }
}
