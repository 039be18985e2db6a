namespace DistGmm.Data;

/// <summary>What a column is for: features (numeric, categorical), the label, a row id, or nothing.</summary>
public enum ColumnRole { Numeric, Categorical, Label, Ignored, RowId }

/// <summary>One column of a table or dataset and its role.</summary>
public sealed record ColumnInfo(string Name, ColumnRole Role);

/// <summary>What to do with a malformed input row.</summary>
public enum BadRowPolicy { Fail, Skip }

/// <summary>The KDD Cup 99 layout (41 features + label) shared by the raw, header and NSL-KDD files.</summary>
public static class KddSchema
{
    public static readonly IReadOnlyList<string> FeatureNames =
    [
        "duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent",
        "hot", "num_failed_logins", "logged_in", "num_compromised", "root_shell", "su_attempted", "num_root",
        "num_file_creations", "num_shells", "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login",
        "count", "srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate", "same_srv_rate",
        "diff_srv_rate", "srv_diff_host_rate", "dst_host_count", "dst_host_srv_count", "dst_host_same_srv_rate",
        "dst_host_diff_srv_rate", "dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
        "dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
    ];

    public static readonly IReadOnlySet<string> CategoricalNames = new HashSet<string> { "protocol_type", "service", "flag" };

    public const string LabelName = "label";

    /// <summary>The 41 features (3 categorical) and the label, in KDD order.</summary>
    public static IReadOnlyList<ColumnInfo> Columns { get; } =
    [
        .. FeatureNames.Select(n => new ColumnInfo(n, CategoricalNames.Contains(n) ? ColumnRole.Categorical : ColumnRole.Numeric)),
        new ColumnInfo(LabelName, ColumnRole.Label),
    ];

    /// <summary>The 41 KDD features make a KDD table whatever its label is called and whatever else it carries.</summary>
    public static bool HasFeatures(IEnumerable<string> columnNames)
    {
        var names = columnNames.ToHashSet(StringComparer.Ordinal);
        return FeatureNames.All(names.Contains);
    }

    /// <summary>Maps the notebook CSV's spellings (<c>lnum_compromised</c>, <c>lroot_shell</c>, …) to KDD names.</summary>
    public static string CanonicalName(string headerName)
    {
        var name = headerName.Trim();
        if (FeatureNames.Contains(name)) return name;
        if (name.StartsWith('l') && FeatureNames.Contains(name[1..])) return name[1..];
        return name;
    }

    /// <summary>
    /// Whether a label names normal traffic: KDD's <c>normal</c> (with or without the dot), the <c>BENIGN</c>/<c>Benign</c>
    /// of the CIC-IDS captures, or <c>0</c> of a binary 0/1 label (UNSW-NB15); any case. Every other label is an attack.
    /// </summary>
    public static bool IsNormalLabel(string label)
    {
        var name = NormalizeLabel(label);
        return name.Equals("normal", StringComparison.OrdinalIgnoreCase) || name.Equals("benign", StringComparison.OrdinalIgnoreCase)
               || name == "0";
    }

    /// <summary>Labels compare equal with or without the raw file's trailing dot (<c>normal.</c> == <c>normal</c>).</summary>
    public static string NormalizeLabel(string label)
    {
        var trimmed = label.Trim();
        return trimmed.EndsWith('.') ? trimmed[..^1] : trimmed;
    }
}
