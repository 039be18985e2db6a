using System.Runtime.InteropServices;
using System.Text;
using DistGmm.Numerics;

namespace DistGmm.Cli.Commands;

/// <summary>NumPy .npy format 1.0: magic, a padded Python-dict header, then the raw little-endian float64 values.</summary>
public static class NpyWriter
{
    public static void Write(string path, DataMatrix matrix)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The .npy writer assumes a little-endian machine.");
        var header = $"{{'descr': '<f8', 'fortran_order': False, 'shape': ({matrix.Rows}, {matrix.Cols}), }}";
        // Magic (6) + version (2) + header length (2) + header, padded with spaces and ending in \n to a multiple of 64.
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(MemoryMarshal.AsBytes(matrix.Values.AsSpan(0, matrix.Rows * matrix.Cols)));
    }
}
