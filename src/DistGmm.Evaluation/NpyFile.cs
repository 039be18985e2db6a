using System.Runtime.InteropServices;
using System.Text;
using DistGmm.Numerics;

namespace DistGmm.Evaluation;

/// <summary>NumPy .npy 1.0 (little-endian float64, C order): how cases travel to scripts/reference-sklearn.sh.</summary>
public static class NpyFile
{
    public static void Write(string path, DataMatrix matrix) =>
        Write(path, matrix.Values.AsSpan(0, matrix.Rows * matrix.Cols), $"({matrix.Rows}, {matrix.Cols})");

    public static void Write(string path, ReadOnlySpan<bool> vector)
    {
        var values = new double[vector.Length];
        for (var i = 0; i < values.Length; i++) values[i] = vector[i] ? 1 : 0;
        Write(path, values, $"({values.Length},)");
    }

    private static void Write(string path, ReadOnlySpan<double> values, string shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The .npy writer assumes a little-endian machine.");
        var header = $"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}";
        var total = 10 + header.Length + 1; // magic + version + length + header + '\n', padded to 64
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(MemoryMarshal.AsBytes(values));
    }
}
