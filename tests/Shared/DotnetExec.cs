using System.Diagnostics;

namespace DistGmm.Testing;

/// <summary>
/// `dotnet exec ASSEMBLY ARGS` in a child process with extra environment variables ("NAME=value": the runtime's
/// vector-width switches, which only take effect at a process's start).
/// </summary>
internal static class DotnetExec
{
    public static (int ExitCode, string Stdout, string Stderr) Run(string assembly, IEnumerable<string> args, IEnumerable<string> env)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(assembly);
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var e in env)
        {
            var eq = e.IndexOf('=', StringComparison.Ordinal);
            start.Environment[e[..eq]] = e[(eq + 1)..];
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.Result);
    }
}
