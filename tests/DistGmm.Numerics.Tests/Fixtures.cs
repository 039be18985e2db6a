using System.Globalization;
using System.Text.Json;
using DistGmm.Numerics;
using DistGmm.Testing;

namespace DistGmm.Numerics.Tests;

/// <summary>The scikit-learn reference trajectories in ../shared/fixtures/gmm.</summary>
internal static class Fixtures
{
    private static readonly Lazy<DataMatrix> BlobsLazy = new(() => ReadCsv(RepoPaths.InShared("fixtures", "gmm", "blobs4d.csv")));
    private static readonly Lazy<JsonElement> ReferenceLazy = new(() =>
        JsonDocument.Parse(File.ReadAllText(RepoPaths.InShared("fixtures", "gmm", "blobs4d_sklearn_reference.json"))).RootElement);

    public static DataMatrix Blobs => BlobsLazy.Value;
    public static JsonElement Reference => ReferenceLazy.Value;

    public static JsonElement Case(int index) => Reference.GetProperty("cases")[index];

    public static int CaseCount => Reference.GetProperty("cases").GetArrayLength();

    public static CovarianceType Type(JsonElement c) =>
        c.GetProperty("covariance_type").GetString() == "full" ? CovarianceType.Full : CovarianceType.Diag;

    public static double[] Vector(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>A K×… nested array flattened per component (K×d×d → [K][d*d]).</summary>
    public static double[][] PerComponent(JsonElement e) =>
        e.EnumerateArray().Select(Flatten).ToArray();

    private static double[] Flatten(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray().SelectMany(x => x.ValueKind == JsonValueKind.Array ? Flatten(x) : [x.GetDouble()]).ToArray()
            : [e.GetDouble()];

    public static GaussianMixture InitialModel(JsonElement c)
    {
        var init = Reference.GetProperty("init");
        return GaussianMixture.Create(Type(c), Vector(init.GetProperty("weights")), PerComponent(init.GetProperty("means")),
            PerComponent(c.GetProperty("init_covariances")));
    }

    public static DataMatrix ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        int cols = lines[0].Split(',').Length;
        var values = new List<double>();
        for (int i = 1; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            var fields = lines[i].Split(',');
            if (fields.Length != cols) throw new FormatException($"{path}:{i + 1}: {fields.Length} fields, expected {cols}");
            foreach (var f in fields) values.Add(double.Parse(f, CultureInfo.InvariantCulture));
        }
        return new DataMatrix(values.ToArray(), values.Count / cols, cols);
    }
}
