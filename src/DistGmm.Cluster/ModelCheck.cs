using System.Globalization;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>
/// A model checked against itself and against the data it is to score, before any worker starts (score, serve and
/// the cluster call this one class): a model that does not fit fails here with one line naming the model file and the
/// mismatch (a <see cref="DataFormatException"/>: exit code 3), not later in every worker.
/// </summary>
public static class ModelCheck
{
    /// <summary>|Σ weights − 1| above this is not rounding (a fitted model sums to 1 within ~1e-15).</summary>
    private const double WeightTolerance = 1e-6;

    /// <summary>A covariance whose Cholesky factor has a pivot below this fraction of its largest standard deviation
    /// (condition number above 1e14) is numerically singular: its log-likelihoods are noise.</summary>
    private const double SingularRatio = 1e-7;

    /// <summary>The model alone: its preprocessor, weights summing to 1, non-singular covariances, dimensions that agree.</summary>
    public static Preprocessor Check(ModelFile model, string modelPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.PreprocessorJson is null)
            throw new DataFormatException(modelPath, "the model has no preprocessor: use a model written by 'distgmm train' or 'distgmm run'");
        Preprocessor preprocessor;
        try
        {
            preprocessor = Preprocessor.FromJson(model.PreprocessorJson);
        }
        catch (FormatException e)
        {
            throw new DataFormatException(modelPath, $"'preprocessor': {e.Message}", e);
        }
        var mixture = model.Model;
        if (preprocessor.OutputDimension != mixture.D)
            throw new DataFormatException(modelPath, $"the preprocessor makes {preprocessor.OutputDimension} features but the mixture has {mixture.D}");
        var sum = mixture.Weights.Sum();
        if (!(Math.Abs(sum - 1) <= WeightTolerance))
            throw new DataFormatException(modelPath, string.Create(CultureInfo.InvariantCulture,
                $"the mixture weights sum to {sum:R}, not 1 ({string.Join(", ", mixture.Weights.Select(w => w.ToString("R", CultureInfo.InvariantCulture)))})"));
        for (var c = 0; c < mixture.PrecisionsCholesky.Length; c++)
            if (Singular(mixture, c) is { } why)
                throw new DataFormatException(modelPath, $"covariance {c} ({ModelFile.CovarianceName(mixture.CovarianceType)}) is singular: {why}");
        return preprocessor;
    }

    /// <summary>The model and a dataset: every column its preprocessor reads is there, as a number or a text alike.</summary>
    public static Preprocessor Check(ModelFile model, string modelPath, DatasetManifest data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var preprocessor = Check(model, modelPath);
        var columns = data.DataColumns.ToDictionary(c => c.Name, c => c.Role, StringComparer.Ordinal);
        // Named by the file it came from: a data file given to score is ingested into a staging folder that is gone
        // by the time the user reads the error.
        var source = data.Source is { Length: > 0 } file ? file : data.Directory;
        foreach (var column in preprocessor.Columns)
        {
            if (!columns.TryGetValue(column.Name, out var role))
                throw new DataFormatException(modelPath, $"the model reads column '{column.Name}', which the data of {source} does not have " +
                                                         $"(its columns: {string.Join(", ", columns.Keys)})");
            var numeric = column.Kind == FeatureKind.Numeric;
            if (numeric != (role == ColumnRole.Numeric))
                throw new DataFormatException(modelPath, $"the model reads column '{column.Name}' as {(numeric ? "a number" : "a category")}, " +
                                                         $"but in {source} it is {(role == ColumnRole.Numeric ? "a number" : "a category")}");
        }
        return preprocessor;
    }

    /// <summary>Why covariance <paramref name="c"/> is numerically singular, or null. The precision Cholesky factor's
    /// diagonal holds 1/pivot of the covariance's Cholesky factor (1/σ for diagonal and spherical models).</summary>
    private static string? Singular(GaussianMixture mixture, int c)
    {
        var d = mixture.D;
        var precision = mixture.PrecisionsCholesky[c];
        var triangular = mixture.CovarianceType is CovarianceType.Full or CovarianceType.Tied;
        var count = triangular ? d : precision.Length;
        double smallest = double.PositiveInfinity, largest = 0;
        for (var i = 0; i < count; i++)
        {
            var pivot = 1 / (triangular ? precision[i * d + i] : precision[i]);
            smallest = Math.Min(smallest, pivot);
            largest = Math.Max(largest, pivot);
        }
        return smallest >= SingularRatio * largest ? null : string.Create(CultureInfo.InvariantCulture,
            $"its smallest Cholesky pivot {smallest:G3} is below 1e-7 of its largest {largest:G3} (condition number above 1e14)");
    }
}
