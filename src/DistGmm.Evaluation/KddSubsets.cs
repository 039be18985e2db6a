using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Evaluation;

/// <summary>
/// The outlier-detection subsets of scikit-learn's <c>fetch_kddcup99</c> (SA, SF, http, smtp), the whole file (Kdd),
/// and the development sets on which the unsupervised default was chosen (<see cref="KddSubsets.Development"/>).
/// </summary>
public enum KddSubset { SA, SF, Http, Smtp, Kdd, FtpData, Ftp, Telnet, Udp, Tcp }

/// <summary>One subset's rows: features, which rows are attacks, and each row's index in the source table.</summary>
public sealed record SubsetRows(KddSubset Subset, int[] SourceRows, bool[] Attack, DataMatrix? Features, IReadOnlyList<string> FeatureNames);

/// <summary>
/// Rebuilds the subsets exactly as scikit-learn 1.2.1 does (sklearn/datasets/_kddcup99.py, fetch_kddcup99,
/// percent10=True, shuffle=False):
/// <list type="bullet">
/// <item>SA: every <c>normal.</c> row (file order), then <c>RandomState(random_state).randint(0, n_abnormal, 3377)</c>
///   abnormal rows (drawn with replacement, indices into the abnormal rows in file order); all 41 features
///   (`s = target == b"normal."`, `r = random_state.randint(0, n_samples_abnormal, 3377)`).</item>
/// <item>SF, http, smtp: rows with <c>logged_in == 1</c> (`s = data[:, 11] == 1`), then
///   <c>log(x + 0.1)</c> on duration, src_bytes and dst_bytes (`np.log((data[:, 0] + 0.1))`, columns 0, 4, 5).</item>
/// <item>http / smtp: of those, <c>service == http</c> / <c>smtp</c>; features duration, src_bytes, dst_bytes.</item>
/// <item>SF: features duration, service, src_bytes, dst_bytes (service is text in scikit-learn; here it is one-hot
///   encoded over the categories present, as scikit-learn's outlier benchmark example encodes it).</item>
/// </list>
/// The positive class is every row whose label is not <c>normal</c>.
/// </summary>
public static class KddSubsets
{
    public const int SaAbnormalRows = 3377;

    /// <summary>The sets results are reported on: scikit-learn's four subsets (and, unsupervised, the whole file).</summary>
    public static IReadOnlyList<KddSubset> Report(bool unsupervised) =>
        unsupervised ? [KddSubset.SA, KddSubset.SF, KddSubset.Http, KddSubset.Smtp, KddSubset.Kdd] : [KddSubset.SA, KddSubset.SF, KddSubset.Http, KddSubset.Smtp];

    /// <summary>
    /// The development sets: every setting of the unsupervised default was chosen on these, never on a
    /// <see cref="Report"/> set's metric. Built like http/smtp (logged in, one service, three log columns): ftp_data,
    /// ftp, telnet; built like SA's 41 columns through the preset: every udp row, every tcp row (tcp's attacks are the
    /// majority, as in the whole file). They are cut from the same file, so their rows overlap the report sets' rows.
    /// </summary>
    public static IReadOnlyList<KddSubset> Development { get; } = [KddSubset.FtpData, KddSubset.Ftp, KddSubset.Telnet, KddSubset.Udp, KddSubset.Tcp];

    public static string Name(KddSubset subset) => subset switch
    {
        KddSubset.Http => "http",
        KddSubset.Smtp => "smtp",
        KddSubset.Kdd => "kdd",
        KddSubset.FtpData => "ftp_data",
        KddSubset.Ftp => "ftp",
        KddSubset.Telnet => "telnet",
        KddSubset.Udp => "udp",
        KddSubset.Tcp => "tcp",
        _ => subset.ToString(),
    };

    public static KddSubset Parse(string name)
    {
        foreach (var subset in Enum.GetValues<KddSubset>())
            if (string.Equals(Name(subset), name, StringComparison.OrdinalIgnoreCase)) return subset;
        throw new ArgumentException($"unknown subset '{name}' (known: {string.Join(", ", Enum.GetValues<KddSubset>().Select(Name))}, or report / dev)");
    }

    /// <summary>The service a service subset keeps (null: every logged-in row, or not a service subset).</summary>
    private static string? Service(KddSubset subset) => subset switch
    {
        KddSubset.Http => "http",
        KddSubset.Smtp => "smtp",
        KddSubset.FtpData => "ftp_data",
        KddSubset.Ftp => "ftp",
        KddSubset.Telnet => "telnet",
        _ => null,
    };

    /// <summary>The rows of a subset (SA's features are left to the caller's preprocessing: null here).</summary>
    public static SubsetRows Build(KddTable table, KddSubset subset, int randomState)
    {
        if (subset == KddSubset.SA) return BuildSa(table, randomState);
        if (subset is KddSubset.Kdd or KddSubset.Udp or KddSubset.Tcp) return BuildWhole(table, subset);
        var loggedIn = Numbers(table, "logged_in");
        var service = Texts(table, "service");
        var only = Service(subset);
        var rows = new List<int>();
        for (var r = 0; r < table.Count; r++)
        {
            if (loggedIn[r] != 1) continue;
            if (only is not null && service[r] != only) continue;
            rows.Add(r);
        }
        var selected = rows.ToArray();
        var duration = Numbers(table, "duration");
        var srcBytes = Numbers(table, "src_bytes");
        var dstBytes = Numbers(table, "dst_bytes");
        var services = subset == KddSubset.SF
            ? selected.Select(r => service[r] ?? "").Distinct().Order(StringComparer.Ordinal).ToArray()
            : [];
        var names = new List<string> { "log(duration+0.1)" };
        names.AddRange(services.Select(s => $"service={s}"));
        names.Add("log(src_bytes+0.1)");
        names.Add("log(dst_bytes+0.1)");
        var d = names.Count;
        var serviceIndex = services.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => p.i, StringComparer.Ordinal);
        var values = new double[selected.Length * d];
        for (var i = 0; i < selected.Length; i++)
        {
            var r = selected[i];
            var row = values.AsSpan(i * d, d);
            row[0] = LogShifted(duration[r], table, r, "duration");
            if (services.Length > 0) row[1 + serviceIndex[service[r] ?? ""]] = 1;
            row[d - 2] = LogShifted(srcBytes[r], table, r, "src_bytes");
            row[d - 1] = LogShifted(dstBytes[r], table, r, "dst_bytes");
        }
        return new SubsetRows(subset, selected, selected.Select(r => !table.IsNormal(r)).ToArray(),
            new DataMatrix(values, selected.Length, d), names);
    }

    private static SubsetRows BuildSa(KddTable table, int randomState)
    {
        var normal = new List<int>();
        var abnormal = new List<int>();
        for (var r = 0; r < table.Count; r++) (table.IsNormal(r) ? normal : abnormal).Add(r);
        if (abnormal.Count == 0) throw new ArgumentException("SA needs attack rows; the data has none");
        var random = new NumpyRandomState(checked((uint)randomState));
        var rows = new int[normal.Count + SaAbnormalRows];
        normal.CopyTo(rows);
        for (var i = 0; i < SaAbnormalRows; i++) rows[normal.Count + i] = abnormal[(int)random.RandInt(0, abnormal.Count)];
        return new SubsetRows(KddSubset.SA, rows, rows.Select(r => !table.IsNormal(r)).ToArray(), null, []);
    }

    /// <summary>Every row (kdd), or every row of one protocol_type (udp, tcp); features through the caller's preset.</summary>
    private static SubsetRows BuildWhole(KddTable table, KddSubset subset)
    {
        var protocol = subset == KddSubset.Kdd ? null : Texts(table, "protocol_type");
        var only = subset == KddSubset.Udp ? "udp" : "tcp";
        var rows = Enumerable.Range(0, table.Count).Where(r => protocol is null || protocol[r] == only).ToArray();
        return new SubsetRows(subset, rows, rows.Select(r => !table.IsNormal(r)).ToArray(), null, []);
    }

    private static double LogShifted(double x, KddTable table, int row, string column)
    {
        if (!(x + 0.1 > 0))
            throw new DataFormatException(column, $"row {table.Batch.RowIds[row]}: log(x + 0.1) needs x > -0.1 in column '{column}', found {x}");
        return Math.Log(x + 0.1);
    }

    private static double[] Numbers(KddTable table, string column)
    {
        var c = table.Batch.IndexOf(column);
        return c >= 0 && table.Batch.Numbers[c] is { } n ? n
            : throw new ArgumentException($"the subsets need a numeric column '{column}' (KDD Cup 99 layout)");
    }

    private static string?[] Texts(KddTable table, string column)
    {
        var c = table.Batch.IndexOf(column);
        return c >= 0 && table.Batch.Texts[c] is { } t ? t
            : throw new ArgumentException($"the subsets need a categorical column '{column}' (KDD Cup 99 layout)");
    }
}
