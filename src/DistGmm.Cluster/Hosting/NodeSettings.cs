using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace DistGmm.Cluster.Hosting;

/// <summary>
/// Typed reads of a node config's settings that fail with one line naming the file, the setting and the value
/// (<c>FILE: setting 'PATH': 'VALUE' is not a valid TYPE</c>) instead of Akka's bare "input string was not in a
/// correct format". Every setting DistGmm reads from a node config goes through here, in <see cref="ClusterNodeConfig.Load"/>.
/// </summary>
internal sealed class NodeSettings(Config config, string file)
{
    public string File { get; } = file;

    public bool Has(string path) => config.HasPath(path);

    public int Int(string path, string type, int fallback, Func<int, bool>? valid = null) =>
        Read(path, type, fallback, () => config.GetInt(path), valid);

    public bool Bool(string path, bool fallback) => Read(path, "boolean (on or off)", fallback, () => config.GetBoolean(path));

    public TimeSpan PositiveDuration(string path, TimeSpan fallback) =>
        Read(path, "duration above 0 (e.g. 15s, 500ms)", fallback, () => config.GetTimeSpan(path, null, allowInfinite: false), t => t > TimeSpan.Zero);

    public long? ByteSize(string path) => Read<long?>(path, "byte size (e.g. 64MiB)", null, () => config.GetByteSize(path, null));

    /// <summary>A string setting: a number or a word is text too; an object or a list is not.</summary>
    public string? String(string path, string? fallback)
    {
        if (Value(path) is not { } value) return fallback;
        if (value.IsObject() || value.IsArray()) throw Invalid(path, value, "string");
        return config.GetString(path, fallback);
    }

    /// <summary>A list of strings; a single string is refused (Akka would read it as an empty list: no seed nodes).</summary>
    public IReadOnlyList<string> StringList(string path)
    {
        if (Value(path) is not { } value) return [];
        if (!value.IsArray()) throw Invalid(path, value, "list of strings ([\"…\", …])");
        try { return [.. config.GetStringList(path)]; }
        catch (Exception ex) when (ex is FormatException or NotSupportedException or ConfigurationException or ArgumentException)
        {
            throw Invalid(path, value, "list of strings ([\"…\", …])", ex);
        }
    }

    private T Read<T>(string path, string type, T fallback, Func<T> read, Func<T, bool>? valid = null)
    {
        if (Value(path) is not { } value) return fallback;
        T result;
        try
        {
            result = read();
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or NotSupportedException or ConfigurationException or ArgumentException)
        {
            throw Invalid(path, value, type, ex);
        }
        return valid is null || valid(result) ? result : throw Invalid(path, value, type);
    }

    /// <summary>The setting's value, or null when it is not set (or set to null).</summary>
    private HoconValue? Value(string path)
    {
        if (!config.HasPath(path)) return null;
        var value = config.GetValue(path);
        return value is null || value.IsEmpty ? null : value;
    }

    private ClusterConfigException Invalid(string path, HoconValue value, string type, Exception? inner = null)
    {
        var text = string.Join(' ', value.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length >= 2 && text[0] == '"' && text[^1] == '"') text = text[1..^1];
        else if (value.IsObject()) text = $"{{ {text} }}";
        if (text.Length > 80) text = text[..77] + "...";
        return new ClusterConfigException($"{File}: setting '{path}': '{text}' is not a valid {type}", inner);
    }

}
