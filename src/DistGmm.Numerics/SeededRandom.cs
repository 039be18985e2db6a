namespace DistGmm.Numerics;

/// <summary>
/// Our own seeded generator (SplitMix64), so a seed means the same stream on every runtime and machine,
/// plus a counter-based hash for per-row draws that must not depend on how rows are partitioned.
/// </summary>
internal sealed class SeededRandom
{
    private ulong _state;

    public SeededRandom(ulong seed) { _state = seed; }

    public static SeededRandom For(int seed, int stream) => new(Mix((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)stream));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound) (rejection: no modulo bias).</summary>
    public long NextLong(long bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound));
        ulong b = (ulong)bound;
        ulong limit = ulong.MaxValue - ulong.MaxValue % b;
        ulong v;
        do v = NextUInt64(); while (v >= limit);
        return (long)(v % b);
    }

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform (0, 1] draw that is a pure function of (seed, row, column).</summary>
    public static double Hash01(ulong seed, long row, int column)
    {
        ulong h = Mix(seed ^ Mix((ulong)row * 0xD6E8FEB86659FD93UL + (ulong)column));
        return ((h >> 11) + 1) * (1.0 / (1UL << 53));
    }

    /// <summary>m distinct indices from [0, n), sorted (Floyd's algorithm).</summary>
    public long[] SampleWithoutReplacement(long n, int m)
    {
        if (m > n) m = (int)n;
        var chosen = new HashSet<long>(m);
        var result = new long[m];
        int filled = 0;
        for (long j = n - m; j < n; j++)
        {
            long t = NextLong(j + 1);
            long pick = chosen.Add(t) ? t : j;
            if (pick == j) chosen.Add(j);
            result[filled++] = pick;
        }
        Array.Sort(result);
        return result;
    }
}
