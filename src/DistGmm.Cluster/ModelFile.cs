using System.Globalization;
using System.Text;
using System.Text.Json;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>One candidate of a K sweep, as recorded in model.json.</summary>
public sealed record CandidateSummary(int K, int Iterations, bool Converged, double LowerBound, double MeanLogLikelihood, double Bic, double Aic);

/// <summary>
/// model.json: a versioned, human-readable model. Keys (camelCase): formatVersion, covarianceType, weights [K],
/// means [K][d], covariances ([K][d][d] full, [K][d] diag, [d][d] tied, [K] spherical), iterations, converged,
/// lowerBound, lowerBoundHistory, meanLogLikelihood, rows, bic, aic, init, featureNames, preprocessor, options,
/// trainOnLabels, candidates, scoring ("rows", "records", "mahalanobis" or "capped"; absent: rows) with multiplicityBins (the records scorings: distinct
/// records per multiplicity bin [2^b, 2^(b+1)) of the training data, P(m)), and after scoring threshold, thresholdRule, scoreMean, scoreStd. Doubles are written
/// shortest-round-trip, so parameters survive a save/load bit for bit. A JSON with only covarianceType, weights,
/// means and covariances is a valid (init) model.
/// </summary>
public sealed record ModelFile
{
    public const string FormatName = "distgmm-model";
    public const int CurrentFormatVersion = 1;

    public required GaussianMixture Model { get; init; }
    public int Iterations { get; init; }
    public bool Converged { get; init; }
    public double? LowerBound { get; init; }
    public IReadOnlyList<double> LowerBoundHistory { get; init; } = [];
    public double? MeanLogLikelihood { get; init; }
    public long Rows { get; init; }
    public string? Init { get; init; }
    public IReadOnlyList<string> FeatureNames { get; init; } = [];
    /// <summary>The fitted preprocessor's JSON (Preprocessor.ToJson()), embedded as an object.</summary>
    public string? PreprocessorJson { get; init; }
    public EmOptions? Options { get; init; }
    public IReadOnlyList<string> TrainOnLabels { get; init; } = [];
    public IReadOnlyList<CandidateSummary> Candidates { get; init; } = [];
    public double? Threshold { get; init; }
    public string? ThresholdRule { get; init; }
    public double? ScoreMean { get; init; }
    public double? ScoreStd { get; init; }
    /// <summary>How the model was fitted and scores (records: on distinct records, score log p(x) + log P(m)).</summary>
    public Scoring Scoring { get; init; } = Scoring.Rows;
    /// <summary>The records scorings' P(m): the multiplicity distribution of the training data (null for rows).</summary>
    public MultiplicityModel? Multiplicity { get; init; }

    public static string ScoringName(Scoring scoring) => scoring.ToString().ToLowerInvariant();

    public static Scoring ParseScoring(string name) => name.Trim().ToLowerInvariant() switch
    {
        "rows" => Scoring.Rows,
        "records" => Scoring.Records,
        "mahalanobis" => Scoring.Mahalanobis,
        "capped" => Scoring.Capped,
        _ => throw new FormatException($"Unknown scoring '{name}': use rows, records, mahalanobis or capped."),
    };

    public static ModelFile FromFit(GmmFitResult fit, EmOptions options, IReadOnlyList<string> featureNames, string? preprocessorJson,
        IReadOnlyList<string> trainOnLabels, IReadOnlyList<GmmFitResult> candidates) => new()
    {
        Model = fit.Model, Iterations = fit.Iterations, Converged = fit.Converged, LowerBound = fit.LowerBound,
        LowerBoundHistory = fit.LowerBoundHistory, MeanLogLikelihood = fit.MeanLogLikelihood, Rows = fit.Rows, Init = fit.Init,
        FeatureNames = featureNames, PreprocessorJson = preprocessorJson, Options = options with { InitModel = null },
        TrainOnLabels = trainOnLabels,
        Candidates = candidates.Count > 1
            ? [.. candidates.Select(c => new CandidateSummary(c.Model.K, c.Iterations, c.Converged, c.LowerBound, c.MeanLogLikelihood, c.Bic, c.Aic))]
            : [],
    };

    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, full, overwrite: true); // readers never see a half-written model
    }

    public static ModelFile Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file {path} does not exist.", path);
        return FromJson(File.ReadAllText(path), path);
    }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", FormatName);
            w.WriteNumber("formatVersion", CurrentFormatVersion);
            w.WriteString("covarianceType", CovarianceName(Model.CovarianceType));
            w.WriteNumber("k", Model.K);
            w.WriteNumber("d", Model.D);
            WriteArray(w, "weights", Model.Weights);
            w.WriteStartArray("means");
            foreach (var mean in Model.Means) WriteArray(w, null, mean);
            w.WriteEndArray();
            WriteCovariances(w, Model);
            w.WriteNumber("iterations", Iterations);
            w.WriteBoolean("converged", Converged);
            WriteNullable(w, "lowerBound", LowerBound);
            WriteArray(w, "lowerBoundHistory", LowerBoundHistory);
            WriteNullable(w, "meanLogLikelihood", MeanLogLikelihood);
            w.WriteNumber("rows", Rows);
            if (MeanLogLikelihood is { } ll && Rows > 0)
            {
                WriteDouble(w, "bic", Model.Bic(ll, Rows));
                WriteDouble(w, "aic", Model.Aic(ll, Rows));
            }
            if (Init is not null) w.WriteString("init", Init);
            w.WriteStartArray("featureNames");
            foreach (var name in FeatureNames) w.WriteStringValue(name);
            w.WriteEndArray();
            if (Options is { } o)
            {
                w.WriteStartObject("options");
                w.WriteNumber("k", o.K);
                w.WriteString("covarianceType", CovarianceName(o.CovarianceType));
                w.WriteNumber("maxIter", o.MaxIter);
                WriteDouble(w, "tol", o.Tol);
                WriteDouble(w, "regCovar", o.RegCovar);
                w.WriteNumber("nInit", o.NInit);
                w.WriteString("init", InitName(o.Init));
                w.WriteNumber("seed", o.Seed);
                w.WriteEndObject();
            }
            w.WriteStartArray("trainOnLabels");
            foreach (var label in TrainOnLabels) w.WriteStringValue(label);
            w.WriteEndArray();
            w.WriteString("scoring", ScoringName(Scoring));
            if (Multiplicity is { } multiplicity)
            {
                w.WriteStartArray("multiplicityBins");
                foreach (var count in multiplicity.BinCounts) w.WriteNumberValue(count);
                w.WriteEndArray();
            }
            if (Candidates.Count > 0)
            {
                w.WriteStartArray("candidates");
                foreach (var c in Candidates)
                {
                    w.WriteStartObject();
                    w.WriteNumber("k", c.K);
                    w.WriteNumber("iterations", c.Iterations);
                    w.WriteBoolean("converged", c.Converged);
                    WriteDouble(w, "lowerBound", c.LowerBound);
                    WriteDouble(w, "meanLogLikelihood", c.MeanLogLikelihood);
                    WriteDouble(w, "bic", c.Bic);
                    WriteDouble(w, "aic", c.Aic);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            WriteNullable(w, "threshold", Threshold);
            if (ThresholdRule is not null) w.WriteString("thresholdRule", ThresholdRule);
            WriteNullable(w, "scoreMean", ScoreMean);
            WriteNullable(w, "scoreStd", ScoreStd);
            if (PreprocessorJson is not null)
            {
                w.WritePropertyName("preprocessor");
                w.WriteRawValue(PreprocessorJson);
            }
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    /// <summary>Parses model.json; errors name the source and the line/position or the offending key.</summary>
    public static ModelFile FromJson(string json, string sourceName = "model.json")
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"{sourceName}: invalid JSON at line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}: {ex.Message}", ex);
        }
        using (document)
        {
            var reader = new ModelJsonReader(document.RootElement, sourceName);
            return reader.Read();
        }
    }

    public static string CovarianceName(CovarianceType type) => type.ToString().ToLowerInvariant();

    public static CovarianceType ParseCovariance(string name) => name.Trim().ToLowerInvariant() switch
    {
        "full" => CovarianceType.Full,
        "diag" => CovarianceType.Diag,
        "tied" => CovarianceType.Tied,
        "spherical" => CovarianceType.Spherical,
        _ => throw new FormatException($"Unknown covariance type '{name}': use full, diag, tied or spherical."),
    };

    public static string InitName(InitMethod init) => init switch
    {
        InitMethod.KMeans => "kmeans",
        InitMethod.KMeansPlusPlus => "k-means++",
        InitMethod.RandomFromData => "random_from_data",
        _ => "random",
    };

    public static InitMethod ParseInit(string name) => name.Trim().ToLowerInvariant() switch
    {
        "kmeans" => InitMethod.KMeans,
        "k-means++" or "kmeans++" => InitMethod.KMeansPlusPlus,
        "random_from_data" => InitMethod.RandomFromData,
        "random" => InitMethod.Random,
        _ => throw new FormatException($"Unknown init method '{name}': use kmeans, k-means++, random_from_data or random."),
    };

    private static void WriteCovariances(Utf8JsonWriter w, GaussianMixture model)
    {
        var d = model.D;
        w.WriteStartArray("covariances");
        switch (model.CovarianceType)
        {
            case CovarianceType.Full:
            case CovarianceType.Tied:
                if (model.CovarianceType == CovarianceType.Tied) WriteSquare(w, model.Covariances[0], d);
                else foreach (var c in model.Covariances) { w.WriteStartArray(); WriteSquare(w, c, d); w.WriteEndArray(); }
                break;
            case CovarianceType.Diag:
                foreach (var c in model.Covariances) WriteArray(w, null, c);
                break;
            case CovarianceType.Spherical:
                foreach (var c in model.Covariances) WriteDoubleValue(w, c[0]);
                break;
        }
        w.WriteEndArray();

        static void WriteSquare(Utf8JsonWriter w, double[] m, int d)
        {
            for (var i = 0; i < d; i++) WriteArray(w, null, m.AsSpan(i * d, d).ToArray());
        }
    }

    private static void WriteArray(Utf8JsonWriter w, string? name, IReadOnlyList<double> values)
    {
        if (name is null) w.WriteStartArray(); else w.WriteStartArray(name);
        foreach (var v in values) WriteDoubleValue(w, v);
        w.WriteEndArray();
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) WriteDouble(w, name, v); else w.WriteNull(name);
    }

    private static void WriteDouble(Utf8JsonWriter w, string name, double v)
    {
        w.WritePropertyName(name);
        WriteDoubleValue(w, v);
    }

    /// <summary>Shortest round-trip text; non-finite values as strings ("NaN", "-Infinity") since JSON has no literal.</summary>
    private static void WriteDoubleValue(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
    }

    private sealed class ModelJsonReader(JsonElement root, string source)
    {
        public ModelFile Read()
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error("", "the top level must be a JSON object");
            if (root.TryGetProperty("formatVersion", out var version) && version.GetInt32() > CurrentFormatVersion)
                throw Error("formatVersion", $"version {version.GetInt32()} is newer than this program understands ({CurrentFormatVersion})");
            var type = ParseCovarianceAt(Required("covarianceType"));
            var weights = Doubles(Required("weights"), "weights");
            var k = weights.Length;
            var meansElement = Required("means");
            if (meansElement.ValueKind != JsonValueKind.Array || meansElement.GetArrayLength() != k)
                throw Error("means", $"expected {k} rows (one per weight)");
            var means = meansElement.EnumerateArray().Select((m, i) => Doubles(m, $"means[{i}]")).ToArray();
            var d = means.Length > 0 ? means[0].Length : 0;
            if (means.Any(m => m.Length != d)) throw Error("means", "rows differ in length");
            var covariances = Covariances(Required("covariances"), type, k, d);
            GaussianMixture model;
            try { model = GaussianMixture.Create(type, weights, means, covariances); }
            catch (Exception ex) when (ex is ArgumentException or ArithmeticException)
            {
                throw new FormatException($"{source}: invalid model parameters: {ex.Message}", ex);
            }
            var scoring = ReadScoring();
            return new ModelFile
            {
                Model = model,
                Iterations = OptionalInt("iterations") ?? 0,
                Converged = root.TryGetProperty("converged", out var c) && c.ValueKind == JsonValueKind.True,
                LowerBound = OptionalDouble("lowerBound"),
                LowerBoundHistory = root.TryGetProperty("lowerBoundHistory", out var h) && h.ValueKind == JsonValueKind.Array ? Doubles(h, "lowerBoundHistory") : [],
                MeanLogLikelihood = OptionalDouble("meanLogLikelihood"),
                Rows = root.TryGetProperty("rows", out var rows) && rows.ValueKind == JsonValueKind.Number ? rows.GetInt64() : 0,
                Init = OptionalString("init"),
                FeatureNames = Strings("featureNames"),
                PreprocessorJson = root.TryGetProperty("preprocessor", out var p) && p.ValueKind == JsonValueKind.Object ? p.GetRawText() : null,
                Options = ReadOptions(),
                TrainOnLabels = Strings("trainOnLabels"),
                Candidates = ReadCandidates(),
                Threshold = OptionalDouble("threshold"),
                ThresholdRule = OptionalString("thresholdRule"),
                ScoreMean = OptionalDouble("scoreMean"),
                ScoreStd = OptionalDouble("scoreStd"),
                Scoring = scoring,
                Multiplicity = ReadMultiplicity(scoring),
            };
        }

        private Scoring ReadScoring()
        {
            if (OptionalString("scoring") is not { } name) return Scoring.Rows;
            try { return ParseScoring(name); }
            catch (FormatException ex) { throw Error("scoring", ex.Message); }
        }

        private MultiplicityModel? ReadMultiplicity(Scoring scoring)
        {
            if (!root.TryGetProperty("multiplicityBins", out var e) || e.ValueKind == JsonValueKind.Null)
                return scoring.CountsRecords() ? throw Error("multiplicityBins", $"missing (a {ScoringName(scoring)} model needs its multiplicity distribution)") : null;
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != MultiplicityModel.Bins)
                throw Error("multiplicityBins", $"expected an array of {MultiplicityModel.Bins} counts");
            var bins = e.EnumerateArray().Select((v, i) => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var c) && c >= 0
                ? c : throw Error($"multiplicityBins[{i}]", "expected a count (an integer ≥ 0)")).ToArray();
            return new MultiplicityModel(bins);
        }

        private EmOptions? ReadOptions()
        {
            if (!root.TryGetProperty("options", out var o) || o.ValueKind != JsonValueKind.Object) return null;
            try
            {
                return new EmOptions(o.GetProperty("k").GetInt32(), ParseCovariance(o.GetProperty("covarianceType").GetString()!),
                    o.GetProperty("maxIter").GetInt32(), o.GetProperty("tol").GetDouble(), o.GetProperty("regCovar").GetDouble(),
                    o.GetProperty("nInit").GetInt32(), ParseInit(o.GetProperty("init").GetString()!), o.GetProperty("seed").GetInt32());
            }
            catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw Error("options", ex.Message);
            }
        }

        private IReadOnlyList<CandidateSummary> ReadCandidates()
        {
            if (!root.TryGetProperty("candidates", out var cs) || cs.ValueKind != JsonValueKind.Array) return [];
            return [.. cs.EnumerateArray().Select(c => new CandidateSummary(c.GetProperty("k").GetInt32(), c.GetProperty("iterations").GetInt32(),
                c.GetProperty("converged").GetBoolean(), Number(c.GetProperty("lowerBound"), "candidates.lowerBound"),
                Number(c.GetProperty("meanLogLikelihood"), "candidates.meanLogLikelihood"), Number(c.GetProperty("bic"), "candidates.bic"),
                Number(c.GetProperty("aic"), "candidates.aic")))];
        }

        private double[][] Covariances(JsonElement e, CovarianceType type, int k, int d)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error("covariances", "expected an array");
            double[] Square(JsonElement m, string at)
            {
                if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() != d) throw Error(at, $"expected a {d}x{d} matrix");
                var flat = new double[d * d];
                var i = 0;
                foreach (var row in m.EnumerateArray())
                {
                    var values = Doubles(row, $"{at}[{i}]");
                    if (values.Length != d) throw Error($"{at}[{i}]", $"expected {d} values");
                    values.CopyTo(flat, i * d);
                    i++;
                }
                return flat;
            }
            switch (type)
            {
                case CovarianceType.Full:
                    if (e.GetArrayLength() != k) throw Error("covariances", $"expected {k} matrices (full)");
                    return [.. e.EnumerateArray().Select((m, i) => Square(m, $"covariances[{i}]"))];
                case CovarianceType.Tied:
                    return [Square(e, "covariances")];
                case CovarianceType.Diag:
                    if (e.GetArrayLength() != k) throw Error("covariances", $"expected {k} rows (diag)");
                    return [.. e.EnumerateArray().Select((m, i) =>
                    {
                        var v = Doubles(m, $"covariances[{i}]");
                        return v.Length == d ? v : throw Error($"covariances[{i}]", $"expected {d} values");
                    })];
                default:
                    var s = Doubles(e, "covariances");
                    if (s.Length != k) throw Error("covariances", $"expected {k} values (spherical)");
                    return [.. s.Select(v => new[] { v })];
            }
        }

        private CovarianceType ParseCovarianceAt(JsonElement e)
        {
            try { return ParseCovariance(e.GetString() ?? ""); }
            catch (Exception ex) when (ex is FormatException or InvalidOperationException) { throw Error("covarianceType", ex.Message); }
        }

        private JsonElement Required(string name) =>
            root.TryGetProperty(name, out var e) ? e : throw Error(name, "missing");

        private double[] Doubles(JsonElement e, string at)
        {
            if (e.ValueKind != JsonValueKind.Array) throw Error(at, "expected an array of numbers");
            return [.. e.EnumerateArray().Select((v, i) => Number(v, $"{at}[{i}]"))];
        }

        private double Number(JsonElement v, string at) => v.ValueKind switch
        {
            JsonValueKind.Number => v.GetDouble(),
            JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var x) => x,
            _ => throw Error(at, $"expected a number, got {v.ValueKind}"),
        };

        private double? OptionalDouble(string name) =>
            root.TryGetProperty(name, out var e) && e.ValueKind != JsonValueKind.Null ? Number(e, name) : null;

        private int? OptionalInt(string name) =>
            root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Number ? e.GetInt32() : null;

        private string? OptionalString(string name) =>
            root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;

        private IReadOnlyList<string> Strings(string name) =>
            root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Array
                ? [.. e.EnumerateArray().Select(s => s.GetString() ?? "")]
                : [];

        private FormatException Error(string key, string message) =>
            new(key.Length == 0 ? $"{source}: {message}" : $"{source}: '{key}': {message}");
    }
}
