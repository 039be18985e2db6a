using DistGmm.Data;
using DistGmm.Data.Parquet;

// Reads one Parquet file path per stdin line and answers one line each: "ok ROWS", "error MESSAGE" (a
// DataFormatException, as every user sees it) or "unexpected TYPE: MESSAGE" (any other exception: a bug).
// A crash or a hang of the native reader shows up to the parent as a missing answer.
var stdout = Console.Out;
while (Console.In.ReadLine() is { } path)
{
    string answer;
    try
    {
        using var reader = ParquetFileReader.Open(path);
        var buffer = new double[reader.RowGroupCount == 0 ? 0 : Enumerable.Range(0, reader.RowGroupCount).Max(g => (int)reader.RowGroupRowCount(g))];
        for (var g = 0; g < reader.RowGroupCount; g++)
            foreach (var field in reader.Schema.Fields)
            {
                reader.ReadColumn(g, field.Name);
                if (field.PhysicalType is PhysicalType.Int32 or PhysicalType.Int64 or PhysicalType.Float or PhysicalType.Double)
                    reader.ReadDoubles(g, field.Name, buffer);
            }
        answer = $"ok {reader.TotalRows}";
    }
    catch (DataFormatException e)
    {
        answer = "error " + e.Message;
    }
    catch (Exception e)
    {
        answer = $"unexpected {e.GetType().FullName}: {e.Message}";
    }
    stdout.WriteLine(answer.ReplaceLineEndings("\\n"));
    stdout.Flush();
}
