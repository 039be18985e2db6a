using System.Collections;
using System.Reflection;
using System.Text.Json;

namespace DistGmm.Remoting.Serialization;

/// <summary>Encodes one message type to payload bytes and back.</summary>
public interface IMessageSerializer<T> where T : notnull
{
    byte[] Serialize(T message);

    T Deserialize(ReadOnlySpan<byte> payload);
}

/// <summary>A binary serializer from two delegates over <see cref="PayloadWriter"/> / <see cref="PayloadReader"/>.</summary>
public sealed class BinaryMessageSerializer<T>(Action<T, PayloadWriter> write, BinaryMessageSerializer<T>.ReadFunc read, string typeName)
    : IMessageSerializer<T> where T : notnull
{
    public delegate T ReadFunc(ref PayloadReader reader);

    public byte[] Serialize(T message)
    {
        var writer = new PayloadWriter();
        write(message, writer);
        return writer.ToArray();
    }

    public T Deserialize(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload, typeName);
        var message = read(ref reader);
        reader.EnsureEnd();
        return message;
    }
}

/// <summary>
/// JSON (System.Text.Json) for control messages. Types carrying numeric arrays are refused: those go binary.
/// </summary>
public sealed class JsonMessageSerializer<T> : IMessageSerializer<T> where T : notnull
{
    private static readonly JsonSerializerOptions DefaultOptions = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    private readonly JsonSerializerOptions _options;

    public JsonMessageSerializer(JsonSerializerOptions? options = null)
    {
        if (NumericArrayMember(typeof(T), []) is { } member)
            throw new ArgumentException(
                $"{typeof(T).Name} has numeric array member '{member}': numeric payloads must use a binary serializer " +
                "(little-endian float64), not JSON");
        _options = options ?? DefaultOptions;
    }

    public byte[] Serialize(T message) => JsonSerializer.SerializeToUtf8Bytes(message, _options);

    public T Deserialize(ReadOnlySpan<byte> payload)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(payload, _options)
                ?? throw new MessageSerializationException($"JSON payload of {typeof(T).Name} is null");
        }
        catch (JsonException ex)
        {
            throw new MessageSerializationException($"JSON payload of {typeof(T).Name} is invalid at {ex.Path} (line {ex.LineNumber}, byte {ex.BytePositionInLine}): {ex.Message}", ex);
        }
    }

    private static string? NumericArrayMember(Type type, HashSet<Type> visited)
    {
        if (type.IsPrimitive || type == typeof(string) || type.IsEnum || !visited.Add(type)) return null;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var propertyType = property.PropertyType;
            if (IsNumericSequence(propertyType)) return $"{type.Name}.{property.Name}";
            if (propertyType.Namespace?.StartsWith("System", StringComparison.Ordinal) == true) continue;
            if (NumericArrayMember(propertyType, visited) is { } nested) return nested;
        }
        return null;
    }

    private static bool IsNumericSequence(Type type)
    {
        if (type.IsArray) return IsFloat(type.GetElementType()!) || IsNumericSequence(type.GetElementType()!);
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            var argument = type.GetGenericArguments()[0];
            if (definition == typeof(ReadOnlyMemory<>) || definition == typeof(Memory<>)) return IsFloat(argument);
            if (typeof(IEnumerable).IsAssignableFrom(type)) return IsFloat(argument) || IsNumericSequence(argument);
        }
        return false;
    }

    private static bool IsFloat(Type type) => type == typeof(double) || type == typeof(float) || type == typeof(Half) || type == typeof(decimal);
}

/// <summary>
/// Message type names ↔ serializers. A name is the wire identity of a type (stable across builds, unlike CLR
/// names); both sides must register the same names. Lookup is by exact runtime type.
/// </summary>
public sealed class MessageSerializerRegistry
{
    private readonly Dictionary<Type, (string Name, Func<object, byte[]> Serialize)> _byType = [];
    private readonly Dictionary<string, (Type Type, Func<ReadOnlyMemory<byte>, object> Deserialize)> _byName = new(StringComparer.Ordinal);

    public MessageSerializerRegistry Register<T>(string typeName, IMessageSerializer<T> serializer) where T : notnull
    {
        if (string.IsNullOrWhiteSpace(typeName) || typeName.Length > 200)
            throw new ArgumentException($"message type name '{typeName}' must be 1-200 characters", nameof(typeName));
        if (_byName.TryGetValue(typeName, out var existing))
            throw new ArgumentException($"message type name '{typeName}' is already registered for {existing.Type.FullName}", nameof(typeName));
        if (_byType.TryGetValue(typeof(T), out var named))
            throw new ArgumentException($"{typeof(T).FullName} is already registered as '{named.Name}'", nameof(T));
        _byType[typeof(T)] = (typeName, message => serializer.Serialize((T)message));
        _byName[typeName] = (typeof(T), payload => serializer.Deserialize(payload.Span));
        return this;
    }

    /// <summary>Registers a control message type serialized as JSON.</summary>
    public MessageSerializerRegistry RegisterJson<T>(string typeName, JsonSerializerOptions? options = null) where T : notnull =>
        Register(typeName, new JsonMessageSerializer<T>(options));

    /// <summary>Registers a binary message type from write/read delegates.</summary>
    public MessageSerializerRegistry RegisterBinary<T>(string typeName, Action<T, PayloadWriter> write, BinaryMessageSerializer<T>.ReadFunc read)
        where T : notnull =>
        Register(typeName, new BinaryMessageSerializer<T>(write, read, typeName));

    public bool TryGetTypeName(Type type, out string typeName)
    {
        var found = _byType.TryGetValue(type, out var entry);
        typeName = found ? entry.Name : "";
        return found;
    }

    public (string TypeName, byte[] Payload) Serialize(object message)
    {
        if (!_byType.TryGetValue(message.GetType(), out var entry))
            throw new MessageSerializationException(
                $"no serializer registered for {message.GetType().FullName}: register it with MessageSerializerRegistry.Register before sending it to another node");
        return (entry.Name, entry.Serialize(message));
    }

    public object Deserialize(string typeName, ReadOnlyMemory<byte> payload)
    {
        if (!_byName.TryGetValue(typeName, out var entry))
            throw new MessageSerializationException($"unknown message type '{typeName}' (not registered on this node)");
        try
        {
            return entry.Deserialize(payload);
        }
        catch (Exception ex) when (ex is not MessageSerializationException)
        {
            throw new MessageSerializationException($"payload of '{typeName}' ({payload.Length} bytes) cannot be decoded: {ex.Message}", ex);
        }
    }
}
