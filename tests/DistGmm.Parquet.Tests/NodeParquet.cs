using System.Diagnostics;
using DistGmm.Data.Parquet;
using DistGmm.Data;
using DistGmm.Testing;

namespace DistGmm.Parquet.Tests;

/// <summary>
/// The independent JS implementations (hyparquet, parquet-wasm = arrow-rs, parquetjs), installed by
/// scripts/node-parquet.sh into a temporary copy of ../shared/node-parquet.
/// </summary>
public sealed class NodeParquet
{
    private static readonly SemaphoreSlim Slots = new(2); // the machine has two cores
    private readonly Lazy<Task<string>> _folder = new(InstallAsync);

    public Task<string> FolderAsync() => _folder.Value;

    private static async Task<string> InstallAsync()
    {
        var (code, stdout, stderr) = await RunAsync("bash", [RepoPaths.InRepo("scripts", "node-parquet.sh")], RepoPaths.Root);
        if (code != 0) throw new InvalidOperationException($"scripts/node-parquet.sh failed ({code}): {stderr}");
        return stdout.Trim();
    }

    /// <summary>Runs <c>node SCRIPT args...</c> in the installed folder.</summary>
    public async Task<(int Code, string Stdout, string Stderr)> NodeAsync(string script, params string[] args)
    {
        string folder = await FolderAsync();
        await Slots.WaitAsync();
        try
        {
            return await RunAsync("node", [script, .. args], folder);
        }
        finally
        {
            Slots.Release();
        }
    }

    private static async Task<(int, string, string)> RunAsync(string file, string[] args, string workingDirectory)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
