using DistGmm.Cluster;

namespace DistGmm.Cli.Tests.Browser;

/// <summary>
/// Blocks the coordinator's observer call after iteration i until the test releases it, so the browser can be
/// checked against a job that is provably still at iteration i (no sleeps, no races).
/// </summary>
internal sealed class IterationGate : IJobObserver
{
    private readonly Dictionary<int, TaskCompletionSource> _reached = [];
    private readonly SemaphoreSlim _release = new(0);

    public Task Reached(int iteration) => Tcs(iteration).Task;

    public void Release() => _release.Release();

    public void OnEvent(JobEvent e)
    {
        if (e is not IterationCompleted it) return;
        Tcs(it.Iteration).TrySetResult();
        // Bounded, so a test that fails before releasing cannot hang the job forever.
        if (!_release.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("the test did not release the job");
    }

    private TaskCompletionSource Tcs(int iteration)
    {
        lock (_reached)
        {
            if (!_reached.TryGetValue(iteration, out var tcs)) _reached[iteration] = tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
            return tcs;
        }
    }
}
