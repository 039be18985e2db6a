using DistGmm.Data.Parquet;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>The writer encodes a run of one string once: runs broken by nulls, equal texts in other strings and non-ASCII all come back as written.</summary>
public sealed class WriterStringRunTests
{
    [Fact]
    public void Runs_of_one_string_with_nulls_between_come_back_as_written()
    {
        var smurf = "smurf.";
        var café = "café\u00e9";
        string?[] values =
        [
            smurf, smurf, null, smurf, null, null, café, café, new string("smurf.".AsSpan()), "", "", null, café, smurf,
            .. Enumerable.Range(0, 500).Select(i => i % 7 == 0 ? null : i % 3 == 0 ? café : smurf),
        ];
        using var dir = new TempDir();
        var path = dir.File("runs.parquet");
        var field = ParquetField.String("label", nullable: true);
        using (var writer = new ParquetFileWriter(path, new ParquetSchema([field]), new ParquetWriteOptions { Dictionary = false, RowGroupSize = 100 }))
            writer.WriteRowGroup([ParquetColumn.FromStrings(field, values, values.Length)]);
        using var reader = ParquetFileReader.Open(path);
        var read = new List<string?>();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            var column = reader.ReadColumn(g, "label");
            for (var i = 0; i < column.Count; i++) read.Add(column.IsNull(i) ? null : column.Strings![i]);
        }
        Assert.Equal(values, read);
    }
}
