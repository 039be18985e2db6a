using DistGmm.Data.Parquet;
using Xunit;

namespace DistGmm.Parquet.Tests;

/// <summary>The writer's per-column dictionary choice: on when at most half of a chunk's first values are distinct (a null counts as one value).</summary>
public sealed class DictionaryChoiceTests
{
    [Fact]
    public void A_column_gets_a_dictionary_when_at_most_half_its_values_are_distinct()
    {
        const int rows = 100;
        string?[] Texts(int distinct, bool withNull) =>
            [.. Enumerable.Range(0, rows).Select(i => withNull && i % 10 == 9 ? null : "v" + (i % distinct))];
        byte[]?[] Bytes(int distinct) => [.. Enumerable.Range(0, rows).Select(i => new[] { (byte)(i % distinct), (byte)1 })];
        // Zero and minus zero are two values for the dictionary (bit patterns), NaN one.
        double[] signedZeros = [.. Enumerable.Range(0, rows).Select(i => i < 49 ? i : i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : double.NaN)];
        (ParquetColumn Column, bool Dictionary)[] cases =
        [
            (ParquetColumn.FromDoubles(ParquetField.Double("half"), [.. Enumerable.Range(0, rows).Select(i => (double)(i % 50))], rows), true),
            (ParquetColumn.FromDoubles(ParquetField.Double("over"), [.. Enumerable.Range(0, rows).Select(i => (double)(i % 51))], rows), false),
            (ParquetColumn.FromDoubles(ParquetField.Double("zeros"), signedZeros, rows), false),
            (ParquetColumn.FromInt64s(ParquetField.Int64("ids"), [.. Enumerable.Range(0, rows).Select(i => (long)i)], rows), false),
            (ParquetColumn.FromInt32s(ParquetField.Int32("flags"), [.. Enumerable.Range(0, rows).Select(i => i % 2)], rows), true),
            // 49 texts + null = 50 values; 50 texts + null = 51 (every tenth row is null, so the texts are cut to fit).
            (ParquetColumn.FromStrings(ParquetField.String("labels", nullable: true), Texts(49, withNull: true), rows), true),
            (ParquetColumn.FromStrings(ParquetField.String("services", nullable: true), Texts(100, withNull: true), rows), false),
            (ParquetColumn.FromBinaries(ParquetField.Binary("blobs"), Bytes(50), rows), true),
            (ParquetColumn.FromBinaries(ParquetField.Binary("keys"), Bytes(51), rows), false),
        ];
        using var dir = new TempDir();
        var path = dir.File("dictionary.parquet");
        var schema = new ParquetSchema([.. cases.Select(c => c.Column.Field)]);
        using (var writer = new ParquetFileWriter(path, schema, new ParquetWriteOptions()))
            writer.WriteRowGroup([.. cases.Select(c => c.Column)]);
        using var reader = ParquetFileReader.Open(path);
        for (var c = 0; c < cases.Length; c++)
        {
            var encodings = reader.GetColumnChunkInfo(0, c).Encodings;
            var dictionary = encodings.Contains(ParquetEncoding.RleDictionary) || encodings.Contains(ParquetEncoding.PlainDictionary);
            Assert.True(cases[c].Dictionary == dictionary, $"{cases[c].Column.Field.Name}: {string.Join(", ", encodings)}");
        }
    }
}
