using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using DistGmm.Data;

namespace DistGmm.Cli.Tests;

/// <summary>A shard whose bytes no longer match manifest.json is refused by train and run (unless --no-verify).</summary>
public sealed partial class ShardIntegrityTests
{
    private static string Ingest()
    {
        var dir = Path.Combine(Directory.CreateTempSubdirectory("distgmm-integrity-").FullName, "ds");
        var r = CliRunner.Run("ingest", SmallKdd.File3000, "--out", dir, "--shards", "3");
        Assert.True(r.ExitCode == 0, r.Error);
        return dir;
    }

    private static void FlipOneByte(string shard)
    {
        var bytes = File.ReadAllBytes(shard);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(shard, bytes);
    }

    private static void AssertRefused(CliRunner.Result r, string shard, string expected, int exitCode = ExitCodes.BadInput)
    {
        Assert.True(r.ExitCode == exitCode, $"exit {r.ExitCode}: {r.Error}");
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains(shard, line);
        var digests = Digest().Matches(line).Select(m => m.Value).ToList();
        Assert.Equal(2, digests.Count);                        // the actual and the expected digest
        Assert.Equal(expected, digests[1]);
        Assert.NotEqual(digests[0], digests[1]);
        Assert.Equal(Sha256(shard), digests[0]);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));

    [GeneratedRegex("[0-9a-f]{64}")]
    private static partial Regex Digest();

    [Theory]
    [InlineData("train")]
    [InlineData("run")]
    public void A_flipped_byte_fails_with_the_shard_and_both_digests(string command)
    {
        var dir = Ingest();
        var manifest = DatasetManifest.Load(dir);
        var shard = manifest.ShardPath(1);
        FlipOneByte(shard);
        var r = CliRunner.Run(command, dir, "--out", Path.Combine(dir, "..", "out"), "--workers", "1");
        AssertRefused(r, shard, manifest.Shards[1].Sha256);
    }

    [Fact]
    public void A_wrong_digest_in_the_manifest_fails_and_no_verify_skips_the_check()
    {
        var dir = Ingest();
        var path = Path.Combine(dir, DatasetManifest.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var wrong = new string('0', 64);
        json["shards"]![2]!["sha256"] = wrong;
        File.WriteAllText(path, json.ToJsonString());
        var shard = DatasetManifest.Load(dir).ShardPath(2);
        AssertRefused(CliRunner.Run("run", dir, "--out", Path.Combine(dir, "..", "out"), "--workers", "1"), shard, wrong);

        var r = CliRunner.Run("run", dir, "--out", Path.Combine(dir, "..", "out2"), "--workers", "1", "--no-verify");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.True(File.Exists(Path.Combine(dir, "..", "out2", "summary.json")));
        // score fits nothing before its workers start: the worker that loads the shard refuses it, which fails the job.
        r = CliRunner.Run("score", "--model", Path.Combine(dir, "..", "out2", "model.json"), dir, "--out", Path.Combine(dir, "..", "out3"), "--no-report");
        AssertRefused(r, shard, wrong, ExitCodes.Failure);
    }
}
