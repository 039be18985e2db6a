using System.Diagnostics;
using System.Reflection;
using System.Text;
using DistGmm.Testing;

namespace DistGmm.Cluster.Tests.Remote;

/// <summary>Real node processes for the cluster tests: the CLI built like this test assembly, started and killed.</summary>
internal static class ClusterProcesses
{
    /// <summary>The PostgreSQL connection string from scripts/services.sh; required under CI, otherwise the test returns early.</summary>
    public static string? Postgres() => DistGmm.Testing.TestServiceVariables.Read("DISTGMM_TEST_PG");

    public static int FreePort() => LoopbackPorts.Free();

    /// <summary>
    /// The CLI built with the same configuration and output layout as this test assembly (artifacts or bin/). Its
    /// DistGmm assemblies must be the very ones this test runs (deterministic builds: same bytes), or the workers would
    /// compute with other code; a missing or stale CLI is built once.
    /// </summary>
    public static readonly Lazy<Task<string>> CliDll = new(async () =>
    {
        var configuration = typeof(ClusterProcesses).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var testDir = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var inRepo = testDir.StartsWith(RepoPaths.Root, StringComparison.Ordinal);
        string? artifacts = inRepo ? null : Path.GetFullPath(Path.Combine(testDir, "..", "..", ".."));
        var dll = artifacts is null
            ? RepoPaths.InRepo("src", "DistGmm.Cli", "bin", configuration, "net10.0", "distgmm.dll")
            : Path.Combine(artifacts, "bin", "DistGmm.Cli", configuration.ToLowerInvariant(), "distgmm.dll");
        if (StaleAssembly(testDir, dll) is null) return dll;
        var build = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "build", RepoPaths.InRepo("src", "DistGmm.Cli", "DistGmm.Cli.csproj"), "-c", configuration }) build.ArgumentList.Add(a);
        if (artifacts is not null) build.Environment["DISTGMM_ARTIFACTS"] = artifacts;
        using var process = Process.Start(build)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"building the CLI for the cluster test failed (exit {process.ExitCode}):\n{await stdout}\n{await stderr}");
        if (StaleAssembly(testDir, dll) is { } stale)
            throw new InvalidOperationException($"{dll}: {stale} differs from the test's copy after a rebuild (sources changed during the test run?)");
        return dll;
    });

    /// <summary>The first DistGmm assembly the CLI and the test do not share byte for byte, or null (also "distgmm.dll" when absent).</summary>
    private static string? StaleAssembly(string testDir, string cliDll)
    {
        if (!File.Exists(cliDll)) return "distgmm.dll";
        var cliDir = Path.GetDirectoryName(cliDll)!;
        foreach (var name in new[] { "DistGmm.Numerics.dll", "DistGmm.Data.dll", "DistGmm.Cluster.dll" })
        {
            var cli = Path.Combine(cliDir, name);
            if (!File.Exists(cli) || !File.ReadAllBytes(cli).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(testDir, name)))) return name;
        }
        return null;
    }

    /// <summary>A `dotnet distgmm.dll ...` child process whose output is kept for diagnostics; disposal kills it.</summary>
    public sealed class NodeProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _log = new();
        private readonly string _name;

        private NodeProcess(Process process, string name)
        {
            _process = process;
            _name = name;
        }

        public static NodeProcess Start(string dll, params string[] arguments) => Start(dll, new Dictionary<string, string>(), arguments);

        /// <summary>As <see cref="Start(string, string[])"/> with extra environment variables (e.g. the runtime's ISA switches).</summary>
        public static NodeProcess Start(string dll, IReadOnlyDictionary<string, string> environment, params string[] arguments)
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var (name, value) in environment) start.Environment[name] = value;
            start.ArgumentList.Add(dll);
            foreach (var a in arguments) start.ArgumentList.Add(a);
            var process = new Process { StartInfo = start };
            var node = new NodeProcess(process, string.Join(' ', arguments));
            process.OutputDataReceived += (_, e) => node.Append(e.Data);
            process.ErrorDataReceived += (_, e) => node.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return node;
        }

        private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

        /// <summary>Completes with the first output line (stdout or stderr) matching <paramref name="match"/>, past or future.</summary>
        public Task<string> WhenLine(Func<string, bool> match)
        {
            lock (_log)
            {
                foreach (var line in _log.ToString().Split('\n'))
                    if (match(line.TrimEnd('\r'))) return Task.FromResult(line.TrimEnd('\r'));
                var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((match, seen));
                return seen.Task;
            }
        }

        public string Output
        {
            get { lock (_log) return _log.ToString(); }
        }

        /// <summary>SIGKILL: the process gets no chance to clean up (a crash, as far as the cluster can tell).</summary>
        public void KillHard()
        {
            if (_process.HasExited) return;
            _process.Kill();
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        public int Pid => _process.Id;

        /// <summary>SIGSTOP / SIGCONT: the process freezes (no heartbeats, no replies) and resumes, as under a long GC or a VM pause.</summary>
        public void Signal(string signal)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } })!;
            kill.WaitForExit();
        }

        /// <summary>The exit code, waiting at most <paramref name="bound"/>.</summary>
        public async Task<int> ExitCodeAsync(TimeSpan bound)
        {
            await _process.WaitForExitAsync().WaitAsync(bound);
            return _process.ExitCode;
        }

        public string Describe()
        {
            lock (_log) return $"--- {_name} ({(_process.HasExited ? $"exited {_process.ExitCode}" : "running")}):\n{_log}";
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Signal("CONT"); // a stopped process cannot die until continued
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(30));
            }
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null) return;
            List<TaskCompletionSource<string>> matched;
            lock (_log)
            {
                _log.AppendLine(line);
                matched = [.. _waiters.Where(w => w.Match(line)).Select(w => w.Seen)];
                _waiters.RemoveAll(w => matched.Contains(w.Seen));
            }
            foreach (var seen in matched) seen.TrySetResult(line);
        }
    }
}
