using DistGmm.Remoting.Serialization;
using Xunit;

namespace DistGmm.Remoting.Tests;

public sealed class SerializationTests
{
    public sealed record ShardStats(string Job, int Iteration, int Shard, double[] Sums);

    public sealed record JoinRequest(string NodeName, int Cores, string[] Capabilities);

    public sealed record BadControl(string Name, double[] Means);

    public sealed record Nested(string Name, BadControl Inner);

    private static readonly BinaryMessageSerializer<ShardStats> StatsSerializer = new(
        (m, w) => w.WriteString(m.Job).WriteInt32(m.Iteration).WriteInt32(m.Shard).WriteDoubles(m.Sums),
        (ref PayloadReader r) => new ShardStats(r.ReadString(), r.ReadInt32(), r.ReadInt32(), r.ReadDoubles()),
        "ShardStats");

    [Fact]
    public void Float64_arrays_are_raw_little_endian_bytes_after_an_int32_count()
    {
        var bytes = new PayloadWriter().WriteDoubles([1.0, -2.5]).ToArray();
        Assert.Equal(new byte[]
        {
            2, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
            0, 0, 0, 0, 0, 0, 0x04, 0xC0,
        }, bytes);
    }

    [Fact]
    public void Every_double_survives_bit_for_bit()
    {
        double[] values =
        [
            0.0, -0.0, double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, double.PositiveInfinity,
            double.NegativeInfinity, double.NaN, BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0ABC), Math.PI, 1e-310, 0.1 + 0.2,
        ];
        var message = new ShardStats("job-1", 7, 3, values);

        var decoded = StatsSerializer.Deserialize(StatsSerializer.Serialize(message));

        Assert.Equal(("job-1", 7, 3), (decoded.Job, decoded.Iteration, decoded.Shard));
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), decoded.Sums.Select(BitConverter.DoubleToInt64Bits));
    }

    [Fact]
    public void The_registry_maps_names_to_binary_and_json_serializers()
    {
        var registry = new MessageSerializerRegistry()
            .Register("ShardStats", StatsSerializer)
            .RegisterJson<JoinRequest>("JoinRequest");

        var (statsName, statsPayload) = registry.Serialize(new ShardStats("j", 1, 2, [0.5]));
        var (joinName, joinPayload) = registry.Serialize(new JoinRequest("worker-1", 2, ["avx2"]));

        Assert.Equal("ShardStats", statsName);
        Assert.Equal(4 + 1 + 4 + 4 + 4 + 8, statsPayload.Length);
        Assert.Equal("JoinRequest", joinName);
        Assert.Equal("""{"nodeName":"worker-1","cores":2,"capabilities":["avx2"]}""", System.Text.Encoding.UTF8.GetString(joinPayload));
        var join = Assert.IsType<JoinRequest>(registry.Deserialize("JoinRequest", joinPayload));
        Assert.Equal(("worker-1", 2, "avx2"), (join.NodeName, join.Cores, join.Capabilities.Single()));
        Assert.Equal([0.5], Assert.IsType<ShardStats>(registry.Deserialize("ShardStats", statsPayload)).Sums);
        Assert.True(registry.TryGetTypeName(typeof(JoinRequest), out var name) && name == "JoinRequest");
    }

    [Fact]
    public void Json_is_refused_for_types_that_carry_numeric_arrays()
    {
        var error = Assert.Throws<ArgumentException>(() => new MessageSerializerRegistry().RegisterJson<BadControl>("Bad"));
        Assert.Contains("BadControl.Means", error.Message);
        Assert.Contains("binary serializer", error.Message);
        Assert.Contains("BadControl.Means", Assert.Throws<ArgumentException>(() => new JsonMessageSerializer<Nested>()).Message);
    }

    [Fact]
    public void Unknown_names_unregistered_types_and_double_registration_fail_clearly()
    {
        var registry = new MessageSerializerRegistry().Register("ShardStats", StatsSerializer);

        Assert.Contains("unknown message type 'Nope'", Assert.Throws<MessageSerializationException>(() => registry.Deserialize("Nope", Array.Empty<byte>())).Message);
        Assert.Contains("no serializer registered for " + typeof(JoinRequest).FullName,
            Assert.Throws<MessageSerializationException>(() => registry.Serialize(new JoinRequest("w", 1, []))).Message);
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => registry.Register("ShardStats", StatsSerializer)).Message);
        Assert.Contains("already registered", Assert.Throws<ArgumentException>(() => registry.Register("Other", StatsSerializer)).Message);
    }

    [Fact]
    public void Corrupt_payloads_name_the_type_and_the_offset()
    {
        var registry = new MessageSerializerRegistry().Register("ShardStats", StatsSerializer).RegisterJson<JoinRequest>("JoinRequest");
        var payload = StatsSerializer.Serialize(new ShardStats("j", 1, 2, [0.5, 1.5]));

        var truncated = Assert.Throws<MessageSerializationException>(() => registry.Deserialize("ShardStats", payload[..^3]));
        Assert.Equal("payload of 'ShardStats' at byte offset 13: float64 array length 2 does not fit the 13 remaining bytes", truncated.Message);
        var trailing = Assert.Throws<MessageSerializationException>(() => registry.Deserialize("ShardStats", payload.Append((byte)0).ToArray()));
        Assert.Equal("payload of 'ShardStats' at byte offset 33: 1 unexpected trailing bytes", trailing.Message);
        var json = Assert.Throws<MessageSerializationException>(() => registry.Deserialize("JoinRequest", "{\"nodeName\":"u8.ToArray()));
        Assert.Contains("JSON payload of JoinRequest is invalid", json.Message);
    }
}
