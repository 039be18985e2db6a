using System.Text.Json;
using DistGmm.Data;
using DistGmm.Numerics;

namespace DistGmm.Cli.Serving;

/// <summary>Why a request was refused: the HTTP status and every reason found (bounded).</summary>
public sealed record RequestError(int Status, IReadOnlyList<string> Reasons);

/// <summary>
/// Reads a <c>POST /score</c> body into a <see cref="ColumnBatch"/>. The body is a JSON array of row objects, or
/// <c>{"rows": [...]}</c>; each row is keyed by raw column names (as in the dataset). Numeric columns take JSON numbers,
/// categorical columns JSON strings, <c>null</c> is a missing value (only when the model imputes). Other keys (the
/// label, ids) are ignored. A model trained with the records scoring also takes an optional
/// <c>"multiplicity"</c> per row (an integer ≥ 1: how many times the record occurs in the traffic scored; 1 when absent),
/// unless <c>multiplicity</c> is one of its input columns. All problems are reported at once, each naming the row and column.
/// </summary>
public static class ScoreRequest
{
    /// <summary>At most this many reasons are listed; the rest are counted.</summary>
    public const int MaxReasons = 50;

    /// <summary>The key of a row's multiplicity (records scoring).</summary>
    public const string MultiplicityKey = "multiplicity";

    public static (ColumnBatch? Batch, RequestError? Error) Parse(ReadOnlyMemory<byte> body, ServingModel model, int maxRows)
    {
        var (batch, _, error) = ParseRows(body, model, maxRows);
        return (batch, error);
    }

    /// <summary>As <see cref="Parse"/>, with each row's multiplicity (null unless the model scores records).</summary>
    public static (ColumnBatch? Batch, long[]? Multiplicities, RequestError? Error) ParseRows(ReadOnlyMemory<byte> body, ServingModel model, int maxRows)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException ex)
        {
            return (null, null, Bad($"body: invalid JSON at line {(ex.LineNumber ?? 0) + 1}, column {(ex.BytePositionInLine ?? 0) + 1}"));
        }
        using (document)
        {
            var root = document.RootElement;
            var rows = root;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (!root.TryGetProperty("rows", out rows))
                    return (null, null, Bad("body: expected a JSON array of row objects or {\"rows\": [...]}; the object has no 'rows'"));
            }
            if (rows.ValueKind != JsonValueKind.Array)
                return (null, null, Bad($"body: expected a JSON array of row objects, got {Kind(rows.ValueKind)}"));
            var count = rows.GetArrayLength();
            if (count == 0) return (null, null, Bad("body: no rows to score"));
            if (count > maxRows)
                return (null, null, new RequestError(413, [$"body: {count} rows exceed the limit of {maxRows} rows per request"]));
            return Fill(rows, count, model);
        }
    }

    private static (ColumnBatch?, long[]?, RequestError?) Fill(JsonElement rows, int count, ServingModel model)
    {
        var batch = model.NewBatch(count);
        var multiplicityIsColumn = model.Inputs.Any(c => c.Name == MultiplicityKey);
        var multiplicities = model.File.Scoring.CountsRecords() ? Enumerable.Repeat(1L, count).ToArray() : null;
        var reasons = new List<string>();
        var problems = 0;
        void Problem(string reason)
        {
            if (problems++ < MaxReasons) reasons.Add(reason);
        }

        var r = 0;
        foreach (var row in rows.EnumerateArray())
        {
            batch.RowIds[r] = r;
            if (row.ValueKind != JsonValueKind.Object)
            {
                Problem($"row {r}: expected a JSON object keyed by column name, got {Kind(row.ValueKind)}");
                r++;
                continue;
            }
            List<string>? missing = null;
            for (var c = 0; c < model.Inputs.Count; c++)
            {
                var column = model.Inputs[c];
                if (!row.TryGetProperty(column.Name, out var value))
                {
                    (missing ??= []).Add($"'{column.Name}'");
                    continue;
                }
                if (value.ValueKind == JsonValueKind.Null)
                {
                    if (!model.ImputesMissing)
                        Problem($"row {r}: '{column.Name}' is null, and the model cannot impute missing values (missing strategy DropRows)");
                    if (column.IsNumeric) batch.Numbers[c]![r] = double.NaN;
                    else batch.Texts[c]![r] = null;
                    continue;
                }
                if (column.IsNumeric) ReadNumber(value, column, batch.Numbers[c]!, r, Problem);
                else if (value.ValueKind == JsonValueKind.String) batch.Texts[c]![r] = value.GetString();
                else Problem($"row {r}: '{column.Name}' must be a string (a category), got {Kind(value.ValueKind)}");
            }
            if (!multiplicityIsColumn && row.TryGetProperty(MultiplicityKey, out var m))
            {
                if (multiplicities is null)
                    Problem($"row {r}: '{MultiplicityKey}' is given, but the model scores rows (it was trained with --scoring rows)");
                else if (m.ValueKind == JsonValueKind.Number && m.TryGetInt64(out var times) && times >= 1)
                    multiplicities[r] = times;
                else
                    Problem($"row {r}: '{MultiplicityKey}' must be an integer ≥ 1 (how often the record occurs), got {m.GetRawText()}");
            }
            // One reason per row for absent columns: a row of the wrong table would otherwise fill the list alone.
            if (missing is not null)
                Problem(missing.Count == 1 ? $"row {r}: missing column {missing[0]}" : $"row {r}: missing columns {string.Join(", ", missing)}");
            r++;
        }
        batch.Count = count;
        if (problems == 0) return (batch, multiplicities, null);
        if (problems > MaxReasons) reasons.Add($"… and {problems - MaxReasons} more problems");
        return (null, null, new RequestError(400, reasons));
    }

    private static void ReadNumber(JsonElement value, InputColumn column, double[] numbers, int r, Action<string> problem)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            problem($"row {r}: '{column.Name}' must be a number, got {Kind(value.ValueKind)}");
            return;
        }
        // System.Text.Json refuses to read a literal that overflows double (1e999) as a double.
        if (!value.TryGetDouble(out var x) || !double.IsFinite(x))
        {
            problem($"row {r}: '{column.Name}' is not a finite number ({value.GetRawText()})");
            return;
        }
        if (column.Log1p && !(x > -1)) // log1p(-1) = -∞: no finite feature
        {
            problem($"row {r}: '{column.Name}' is {value.GetRawText()}, but the model takes log1p of it and needs values > -1");
            return;
        }
        numbers[r] = x;
    }

    private static RequestError Bad(string reason) => new(400, [reason]);

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
