using System.Globalization;

namespace DistGmm.Cli.Console;

/// <summary>Invariant number formatting for what commands print.</summary>
public static class Format
{
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double x, int digits = 6) => x.ToString("G" + digits, CultureInfo.InvariantCulture);

    public static string Fixed(double x, int decimals) => x.ToString("F" + decimals, CultureInfo.InvariantCulture);

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) + " s";

    /// <summary>"ETA mm:ss" for a known remaining time.</summary>
    public static string Remaining(TimeSpan remaining) =>
        remaining.TotalHours >= 1 ? $"ETA {(int)remaining.TotalHours}:{remaining:mm\\:ss}" : $"ETA {remaining:mm\\:ss}";

    public static string Eta(TimeSpan elapsed, double fractionDone) =>
        fractionDone <= 0 || fractionDone >= 1 ? "" :
        $"ETA {TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fractionDone) / fractionDone):mm\\:ss}";
}
