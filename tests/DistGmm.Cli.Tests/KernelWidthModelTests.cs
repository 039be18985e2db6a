using DistGmm.Numerics;
using DistGmm.Testing;

namespace DistGmm.Cli.Tests;

/// <summary>
/// `distgmm train` from a raw file, whole (ingest, preprocessor fit, EM), in child processes forced onto narrower vector
/// paths by the runtime's switches: the same model.json byte for byte. kdd-wide's log1p columns are not integers, so
/// any sum whose order follows the vector width shows in the fitted centres (TensorPrimitives.Sum once did).
/// </summary>
public sealed class KernelWidthModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("distgmm-width-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Train_gives_the_same_model_json_on_every_vector_width()
    {
        var runs = new (string Name, string[] Env)[]
        {
            ("default", []),
            ("256-bit", ["DOTNET_EnableAVX512=0"]),
            ("128-bit", ["DOTNET_EnableAVX512=0", "DOTNET_PreferredVectorBitWidth=128"]),
        };
        var models = runs.Select(r => (r.Name, Bytes: Train(r.Name, r.Env))).ToArray();
        foreach (var (name, bytes) in models.Skip(1))
            Assert.True(models[0].Bytes.AsSpan().SequenceEqual(bytes), $"{name}: model.json differs from the default path's ({KernelPath.Describe()})");
    }

    private byte[] Train(string name, string[] env)
    {
        var outDir = Path.Combine(_dir, name);
        var (exitCode, stdout, stderr) = DotnetExec.Run(typeof(CliApp).Assembly.Location,
            ["train", SmallKdd.File3000, "--preset", "kdd-wide", "--scoring", "rows", "--k", "2", "--max-iter", "4", "--tol", "0", "--out", outDir], env);
        Assert.True(exitCode == 0, $"{name}: exit {exitCode}: {stderr}{stdout}");
        return File.ReadAllBytes(Path.Combine(outDir, "model.json"));
    }
}
