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
    }

    public int Length { get; }

    public Span<double> AsSpan() => Length == 0 ? [] : _array.AsSpan(_at, Length);

    public Span<double> AsSpan(int start, int length) => AsSpan().Slice(start, length);

    /// <summary>Element 0 (a null reference when empty, as <c>fixed</c> gives for an empty array).</summary>
    public ref double GetPinnableReference() => ref Length == 0 ? ref Unsafe.NullRef<double>() : ref _array[_at];
}
