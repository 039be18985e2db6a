namespace DistGmm.Evaluation;

/// <summary>
/// numpy's legacy <c>np.random.RandomState(seed)</c> (MT19937, <c>init_genrand</c> seeding) for the two draws the
/// protocols need: <c>randint(low, high, size)</c> (masked rejection on 32-bit outputs, numpy's
/// <c>random_bounded_uint64_fill</c> with <c>use_masked</c>) and <c>permutation(n)</c> (legacy Fisher–Yates with
/// <c>random_interval</c>). Reproducing them makes scikit-learn's <c>fetch_kddcup99(subset="SA", random_state=s)</c>
/// and our splits checkable from Python without trusting exported files.
/// </summary>
public sealed class NumpyRandomState
{
    private const int N = 624, M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;

    public NumpyRandomState(uint seed)
    {
        _mt[0] = seed;
        for (var i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        var y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9D2C5680u;
        y ^= (y << 15) & 0xEFC60000u;
        return y ^ (y >> 18);
    }

    /// <summary><c>randint(low, high)</c>: uniform in [low, high) (ranges below 2³² only, which is all KDD needs).</summary>
    public long RandInt(long low, long high)
    {
        if (high <= low) throw new ArgumentOutOfRangeException(nameof(high), "high must exceed low");
        var range = (ulong)(high - low - 1);
        if (range > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(high), "ranges of 2^32 or more are not supported");
        return low + Masked((uint)range);
    }

    /// <summary><c>permutation(n)</c>: arange(n) shuffled by legacy <c>shuffle</c> (i from n−1 down to 1, j = interval(i)).</summary>
    public int[] Permutation(int n)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        for (var i = n - 1; i > 0; i--)
        {
            var j = (int)Masked((uint)i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>Uniform in [0, max]: draw 32 bits, keep the smallest all-ones mask covering max, reject above max.</summary>
    private uint Masked(uint max)
    {
        if (max == 0) return 0;
        var mask = max;
        mask |= mask >> 1; mask |= mask >> 2; mask |= mask >> 4; mask |= mask >> 8; mask |= mask >> 16;
        uint value;
        while ((value = NextUInt32() & mask) > max) { }
        return value;
    }

    private void Twist()
    {
        for (var i = 0; i < N; i++)
        {
            var y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7FFFFFFFu);
            _mt[i] = _mt[(i + M) % N] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908B0DFu : 0u);
        }
        _index = 0;
    }
}
