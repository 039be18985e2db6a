using System.Runtime.CompilerServices;
using DistGmm.Numerics;

namespace DistGmm.Cluster.Serialization;

/// <summary>
/// A pass's serialized form, made once per pass object: every worker's <see cref="ComputePass"/> carries the same
/// <see cref="DataPass"/> (the model: ≈ 0.9 MB at K=16, d=118), which the frame check and the serializer would
/// otherwise each serialize again for every worker. Keyed by reference, so an entry lives as long as its pass.
/// </summary>
public static class PassBytes
{
    private static readonly ConditionalWeakTable<DataPass, byte[]> Cache = new();

    /// <summary>The pass's bytes (<see cref="DataPass.ToBytes"/>); callers must not modify them.</summary>
    public static byte[] Of(DataPass pass) => Cache.GetValue(pass, p => p.ToBytes());
}
