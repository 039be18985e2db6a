using System.CommandLine;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cli.Commands;

/// <summary>Options shared by several commands, so names, defaults and errors stay consistent.</summary>
public static class CommonOptions
{
    public static Option<string> Preset() => new("--preset")
    {
        Description = $"Preprocessing preset: {string.Join(", ", PreprocessingSpec.PresetNames)}, or a preprocessing JSON file.",
        DefaultValueFactory = _ => "seed",
    };

    public static Option<CovarianceType> Covariance() => new("--covariance")
    {
        Description = "Covariance type: full, diag, tied, spherical.",
        DefaultValueFactory = _ => CovarianceType.Full,
    };

    public static PreprocessingSpec ResolvePreset(string name)
    {
        if (PreprocessingSpec.PresetNames.Contains(name, StringComparer.OrdinalIgnoreCase))
            return PreprocessingSpec.Preset(PreprocessingSpec.PresetNames.First(p => p.Equals(name, StringComparison.OrdinalIgnoreCase)));
        if (File.Exists(name)) return PreprocessingSpec.FromJson(File.ReadAllText(name));
        throw new CliException($"unknown preset '{name}' (known: {string.Join(", ", PreprocessingSpec.PresetNames)}; or give a preprocessing JSON file)", ExitCodes.Usage);
    }

    /// <summary>
    /// Adds a range check. A value that does not even parse is reported by the parser itself, so the check
    /// skips it instead of throwing from inside validation.
    /// </summary>
    public static T Require<T, TValue>(this T option, Func<TValue, bool> ok, string rule) where T : Option<TValue>
    {
        option.Validators.Add(r =>
        {
            TValue value;
            try { value = r.GetValueOrDefault<TValue>(); }
            catch (InvalidOperationException) { return; }
            if (!ok(value)) r.AddError($"{option.Name} {rule} (got {value}).");
        });
        return option;
    }

    public static int Positive(int value, string option) =>
        value >= 1 ? value : throw new CliException($"{option} must be at least 1 (got {value})", ExitCodes.Usage);
}
