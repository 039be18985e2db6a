using System.Collections.Immutable;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cluster;

/// <summary>An input row the model could not score, and why (it is in scores.parquet with a null score).</summary>
public sealed record UnscorableRow(long RowId, string Reason);

/// <summary>
/// Where every input row went, for summary.json: <c>Read = Rejected + Scored + Unscorable</c>. <c>Trained</c> (run only)
/// counts the rows the model was fitted on, a subset of the scored ones by policy (missing values, --train-on-label).
/// </summary>
public sealed record RowCounts(long Read, long Rejected, long? Trained, long Scored, long Unscorable,
    IReadOnlyDictionary<string, long> UnscorableReasons)
{
    /// <summary>
    /// Per categorical column, the rows (of those read) whose value is a category training never saw: one-hot scores
    /// them as all zeros, label encoding cannot score them (they are among the unscorable). Columns without any are absent.
    /// </summary>
    public IReadOnlyDictionary<string, long> UnseenCategories { get; init; } = new Dictionary<string, long>();

    /// <summary>One warning line when any row was rejected, left out of training, or not scored; null when none was.</summary>
    /// <param name="scoring">The records scorings: training sees each distinct record once, so copies are not trained on by design.</param>
    public string? Warning(Numerics.Scoring scoring = Numerics.Scoring.Rows)
    {
        var parts = new List<string>();
        if (Unscorable > 0)
            parts.Add($"{Unscorable:N0} of {Read:N0} rows unscorable ({string.Join(", ", UnscorableReasons.Select(r => $"{r.Key}: {r.Value:N0}"))}), " +
                      "marked in scores.parquet column 'unscorable'");
        if (UnseenCategories.Count > 0)
            parts.Add($"rows with a category not seen in training: {string.Join(", ", UnseenCategories.Select(u => $"{u.Key} {u.Value:N0}"))}");
        if (Trained is { } trained && trained < Scored + Unscorable)
            parts.Add(scoring.CountsRecords()
                ? $"{Scored + Unscorable - trained:N0} rows not trained on (copies of a record fitted once under --scoring {ModelFile.ScoringName(scoring)}, preprocessing policy or --train-on-label)"
                : $"{Scored + Unscorable - trained:N0} rows not trained on (preprocessing policy or --train-on-label)");
        if (Rejected > 0) parts.Add($"{Rejected:N0} rows rejected at ingestion (see the dataset's rejects.tsv)");
        return parts.Count == 0 ? null : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{string.Join("; ", parts)}");
    }
}

/// <summary>Finds the rows scoring left out: a worker scores the rows the preprocessor keeps; the rest are named here.</summary>
public static class RowAccounting
{
    /// <summary>Per shard, the dataset rows absent from its scores, in row order, with the preprocessor's reason.</summary>
    public static ImmutableSortedDictionary<int, IReadOnlyList<UnscorableRow>> FindUnscorable(DatasetManifest manifest,
        IEnumerable<ShardScored> scored, string preprocessorJson)
    {
        var result = ImmutableSortedDictionary.CreateBuilder<int, IReadOnlyList<UnscorableRow>>();
        Preprocessor? preprocessor = null;
        foreach (var shard in scored)
        {
            if (shard.RowIds.LongLength >= manifest.Shards[shard.Shard].Rows) continue;
            preprocessor ??= Preprocessor.FromJson(preprocessorJson);
            // Only shards with gaps are read again, raw, one at a time.
            var batch = ShardLoader.ReadRaw(manifest.ShardPath(shard.Shard));
            var present = shard.RowIds.ToHashSet();
            var rows = new List<UnscorableRow>();
            for (var r = 0; r < batch.Count; r++)
                if (!present.Contains(batch.RowIds[r]))
                    rows.Add(new UnscorableRow(batch.RowIds[r], preprocessor.DropReason(batch, r) ?? "left out by the preprocessor"));
            result[shard.Shard] = rows;
        }
        return result.ToImmutable();
    }

    public static RowCounts Count(DatasetManifest manifest, long scored, IReadOnlyDictionary<int, IReadOnlyList<UnscorableRow>> unscorable,
        long? trained, IReadOnlyDictionary<string, long>? unseenCategories = null) => new(
        manifest.TotalRows + manifest.RejectedRows, manifest.RejectedRows, trained, scored, unscorable.Values.Sum(u => (long)u.Count),
        unscorable.Values.SelectMany(u => u).GroupBy(u => u.Reason).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (long)g.Count()))
    {
        UnseenCategories = unseenCategories ?? new Dictionary<string, long>(),
    };

    /// <summary>
    /// Per categorical feature column of the model (in its order), the dataset rows whose value is a category the model
    /// was not fitted on; columns with none are left out. From the manifest's category counts (ingestion counted every
    /// value), so no shard is read; a manifest without them for a column has that column's shards read.
    /// </summary>
    public static IReadOnlyDictionary<string, long> CountUnseenCategories(DatasetManifest manifest, Preprocessor preprocessor)
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var column in preprocessor.Columns)
        {
            if (column.Categories is not { } categories) continue;
            var seen = categories.ToHashSet(StringComparer.Ordinal);
            var counts = manifest.ColumnSummaries.FirstOrDefault(s => s.Name == column.Name)?.Categories ?? CategoryCounts(manifest, column.Name);
            var unseen = counts.Where(p => !seen.Contains(p.Key)).Sum(p => p.Value);
            if (unseen > 0) result[column.Name] = unseen;
        }
        return result;
    }

    private static Dictionary<string, long> CategoryCounts(DatasetManifest manifest, string column)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var s = 0; s < manifest.Shards.Count; s++)
        {
            var batch = ShardLoader.ReadRaw(manifest.ShardPath(s));
            foreach (var text in batch.Texts[batch.IndexOf(column)]!.AsSpan(0, batch.Count)) // ModelCheck: the data has the column
                if (text is not null) counts[text] = counts.GetValueOrDefault(text) + 1;
        }
        return counts;
    }
}
