using System.Runtime.CompilerServices;

namespace DistGmm.Numerics;

/// <summary>
/// A zeroed array of doubles whose first element sits on a 64-byte boundary, for the kernels' panels: a 512-bit load
/// from an address that is not 64-byte aligned spans two cache lines, and .NET aligns array data to 8 bytes only.
/// Allocated on the pinned object heap (the address never moves); <c>fixed</c> pins it like an array.
/// </summary>
internal readonly unsafe struct AlignedDoubles
{
    private readonly double[] _array;
    private readonly int _at;

    public AlignedDoubles(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            _array = [];
            return;
        }
        _array = GC.AllocateArray<double>(length + 7, pinned: true);
        _at = (int)((64 - ((nint)Unsafe.AsPointer(ref _array[0]) & 63)) & 63) / sizeof(double);
        Length = length;
        // Touch every page with a write now. The kernels read an accumulator before they write it, and a fresh page read
        // first maps the shared zero page: the write after it then copies the page and flushes the TLB of every core
        // running the process (an IPI; in a VM an exit). `distgmm run` on the 10 % file, perf samples of the whole run:
        // do_wp_page 1.35–2.10 % → 0.48–0.74 %, flush_tlb_mm_range 1.22–1.97 % → 0.51–0.58 %.
        for (int i = 0; i < _array.Length; i += 4096 / sizeof(double)) _array[i] = 0;
        _array[^1] = 0;   // the last page, when the array starts part-way into its first
    }

    public int Length { get; }

    public Span<double> AsSpan() => Length == 0 ? [] : _array.AsSpan(_at, Length);

    public Span<double> AsSpan(int start, int length) => AsSpan().Slice(start, length);

    /// <summary>Element 0 (a null reference when empty, as <c>fixed</c> gives for an empty array).</summary>
    public ref double GetPinnableReference() => ref Length == 0 ? ref Unsafe.NullRef<double>() : ref _array[_at];
}
