using Spectre.Console;

namespace DistGmm.Cli.Console;

/// <summary>
/// One Spectre.Console live progress display, kept open on its own thread while tasks are updated from others
/// (ingest callbacks, actor threads). Spectre renders from a context that only exists inside Progress.Start, so the
/// display runs until <see cref="Dispose"/> releases it; the last frame stays on screen.
/// </summary>
internal sealed class LiveProgress : IDisposable
{
    private readonly TaskCompletionSource _stop = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, ProgressTask> _tasks = new(StringComparer.Ordinal);
    private readonly Task _display;
    private readonly ProgressContext _context;

    public LiveProgress(IAnsiConsole console)
    {
        var ready = new TaskCompletionSource<ProgressContext>(TaskCreationOptions.RunContinuationsAsynchronously);
        _display = Task.Run(() => console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn { Width = 12 },
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ready.SetResult(ctx);
                await _stop.Task.ConfigureAwait(false);
                ctx.Refresh();
            }));
        // Spectre refuses a second live display, so a failure to start surfaces here rather than as a silent hang.
        if (Task.WaitAny(ready.Task, _display) == 1) _display.GetAwaiter().GetResult();
        _context = ready.Task.Result;
    }

    public bool AllComplete => _tasks.Values.All(t => t.IsFinished);

    public void Update(string key, string text, double value, double max)
    {
        if (!_tasks.TryGetValue(key, out var task))
            _tasks[key] = task = _context.AddTask(Markup.Escape(text), autoStart: true, maxValue: max > 0 ? max : 1);
        task.Description = Markup.Escape(text);
        task.IsIndeterminate = max <= 0;
        if (max > 0) task.MaxValue = max;
        task.Value = max > 0 ? Math.Min(value, max) : 0;
    }

    public void Complete(string key, string text)
    {
        if (!_tasks.TryGetValue(key, out var task)) return;
        task.Description = Markup.Escape(text);
        task.IsIndeterminate = false;
        task.Value = task.MaxValue;
        task.StopTask();
    }

    public void Dispose()
    {
        foreach (var task in _tasks.Values) task.StopTask();
        _stop.TrySetResult();
        _display.GetAwaiter().GetResult();
    }
}
