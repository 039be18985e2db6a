using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DistGmm.Data;

/// <summary>How missing values are treated (after columns over <see cref="PreprocessingSpec.DropColumnsMissingAbove"/> are dropped).</summary>
public enum MissingStrategy { DropRows, Mean, Median, Mode, Knn }

public enum CategoricalEncoding { Label, OneHot }

/// <summary>
/// MinMax: sklearn's MinMaxScaler (<c>x·scale + min</c>); Standard: <c>(x − mean)/std</c> (population std);
/// ModeCentred: the notebook's <c>(x − mode)/std</c> (sample std, ddof 1). A zero spread divides by 1.
/// </summary>
public enum Scaling { None, MinMax, Standard, ModeCentred }

/// <summary>
/// What preprocessing to fit. Presets are data (Presets.json, embedded): <c>seed</c> (the notebook),
/// <c>kdd-wide</c>, <c>generic</c> (any traffic table), <c>none</c>.
/// </summary>
/// <param name="Name">The preset's or spec's name, for reports.</param>
/// <param name="DropColumns">Columns not used as features (the label is never a feature).</param>
/// <param name="Missing">What to do with a row's remaining missing values.</param>
/// <param name="DropColumnsMissingAbove">Drop columns whose missing fraction exceeds this (null: never).</param>
/// <param name="KnnNeighbors">k for <see cref="MissingStrategy.Knn"/>.</param>
/// <param name="KnnReferenceRows">Size of the seeded sample of complete rows searched for neighbours.</param>
/// <param name="Seed">Seed of that sample.</param>
/// <param name="Encoding">How categorical columns become numbers.</param>
/// <param name="Scaling">How numeric (and label-encoded) columns are scaled; one-hot columns stay 0/1.</param>
/// <param name="Log1pColumns">Heavy-tailed columns replaced by log(1 + x) before scaling.</param>
/// <param name="MaxCategories">
/// Drop categorical columns with more distinct values than this on the training rows (an address, a timestamp, an id:
/// one-hot, they would make a feature per value); each is named in the report and a warning. Null: no limit.
/// </param>
/// <param name="Log1pNonNegative">
/// Also log(1 + x) every numeric column whose fitted values are all ≥ 0 and not all within [0, 1]: counts, bytes and
/// durations, for data whose columns no preset names; rates and flags stay linear. On the KDD 10 % file it picks
/// kdd-wide's 16 columns and su_attempted (0–2).
/// </param>
public sealed record PreprocessingSpec(
    string Name = "custom",
    IReadOnlyList<string>? DropColumns = null,
    MissingStrategy Missing = MissingStrategy.DropRows,
    double? DropColumnsMissingAbove = null,
    int KnnNeighbors = 5,
    int KnnReferenceRows = 5000,
    ulong Seed = 0,
    CategoricalEncoding Encoding = CategoricalEncoding.Label,
    Scaling Scaling = Scaling.MinMax,
    IReadOnlyList<string>? Log1pColumns = null,
    // Written only when set: specs (and model.json files) from before them serialise byte for byte as they did.
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Log1pNonNegative = false,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxCategories = null)
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = true,
    };

    private static readonly Lazy<IReadOnlyDictionary<string, PreprocessingSpec>> Presets = new(LoadPresets);

    private static readonly Lazy<IReadOnlyList<string>> Names = new(LoadPresetNames);

    /// <summary>The presets' names, in file order (read without the serializer: every command's --help lists them at start-up).</summary>
    public static IReadOnlyList<string> PresetNames => Names.Value;

    public static PreprocessingSpec Preset(string name) =>
        Presets.Value.TryGetValue(name, out var spec)
            ? spec
            : throw new ArgumentException($"unknown preprocessing preset '{name}' (known: {string.Join(", ", PresetNames)})", nameof(name));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static PreprocessingSpec FromJson(string json) =>
        JsonSerializer.Deserialize<PreprocessingSpec>(json, Json) ?? throw new JsonException("the preprocessing spec is null");

    public void Validate()
    {
        if (KnnNeighbors < 1) throw new ArgumentException($"knnNeighbors must be ≥ 1 (got {KnnNeighbors})");
        if (KnnReferenceRows < 1) throw new ArgumentException($"knnReferenceRows must be ≥ 1 (got {KnnReferenceRows})");
        if (MaxCategories is < 1) throw new ArgumentException($"maxCategories must be ≥ 1 (got {MaxCategories})");
        if (DropColumnsMissingAbove is < 0 or > 1)
            throw new ArgumentException($"dropColumnsMissingAbove must be a fraction in [0, 1] (got {DropColumnsMissingAbove})");
    }

    private static Stream PresetsJson() => typeof(PreprocessingSpec).Assembly.GetManifestResourceStream("DistGmm.Data.Presets.json")
                                            ?? throw new InvalidOperationException("Presets.json is not embedded in DistGmm.Data");

    private static IReadOnlyList<string> LoadPresetNames()
    {
        using var document = JsonDocument.Parse(PresetsJson());
        return [.. document.RootElement.EnumerateArray().Select(preset => preset.GetProperty("name").GetString()!)];
    }

    private static IReadOnlyDictionary<string, PreprocessingSpec> LoadPresets()
    {
        using var stream = PresetsJson();
        var specs = JsonSerializer.Deserialize<List<PreprocessingSpec>>(stream, Json)!;
        return specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }
}
