using System.Text.Json;

namespace DistGmm.Data;

/// <summary>
/// A small JSON file that describes or overrides column roles:
/// <c>{"header": true, "columns": [{"name": "bytes", "role": "numeric"}, {"name": "kind", "role": "label"}]}</c>.
/// With a header, the listed columns override the inferred roles by name; without one, the list names every field
/// in order.
/// </summary>
public sealed record SchemaFile(bool? Header, IReadOnlyList<ColumnInfo> Columns)
{
    /// <summary>The roles a schema file sets, by column name (none without a file).</summary>
    internal static Dictionary<string, ColumnRole> RolesByName(SchemaFile? schema) =>
        schema?.Columns.ToDictionary(c => c.Name, c => c.Role) ?? [];

    public static SchemaFile Load(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, "schema file not found");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            bool? header = root.TryGetProperty("header", out var h) ? h.GetBoolean() : null;
            var columns = new List<ColumnInfo>();
            if (root.TryGetProperty("columns", out var cols))
            {
                foreach (var col in cols.EnumerateArray())
                {
                    var name = col.GetProperty("name").GetString() ?? throw new DataFormatException(path, "a column has no name");
                    var roleText = col.TryGetProperty("role", out var r) ? r.GetString() : "numeric";
                    columns.Add(new ColumnInfo(name, ParseRole(path, name, roleText)));
                }
            }
            return new SchemaFile(header, columns);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new DataFormatException(path, $"invalid schema file: {e.Message}", e);
        }
    }

    public static ColumnRole ParseRole(string file, string column, string? role) => role?.Trim().ToLowerInvariant() switch
    {
        "numeric" or "number" => ColumnRole.Numeric,
        "categorical" or "category" => ColumnRole.Categorical,
        "label" => ColumnRole.Label,
        "ignored" or "ignore" => ColumnRole.Ignored,
        _ => throw new DataFormatException(file,
            $"column '{column}': unknown role '{role}' (use numeric, categorical, label or ignored)"),
    };
}
