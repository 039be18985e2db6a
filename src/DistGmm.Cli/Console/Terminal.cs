using Spectre.Console;

namespace DistGmm.Cli.Console;

/// <summary>
/// Where a command writes: rich output (Spectre.Console live progress bars with ETA, tables) on an interactive
/// terminal; plain lines when stdout is redirected, when CI is set, or when the caller passed its own writer (tests).
/// </summary>
public sealed class Terminal
{
    private readonly Lock _gate = new();
    private readonly IAnsiConsole? _rich;
    private LiveProgress? _live;

    /// <summary>Rich output only when <paramref name="output"/> is the process's own stdout and <see cref="WantsRich"/> agrees.</summary>
    public Terminal(TextWriter output, TextWriter error)
        : this(output, error, ReferenceEquals(output, System.Console.Out)
            && WantsRich(System.Console.IsOutputRedirected, Environment.GetEnvironmentVariable)
                ? AnsiConsole.Console
                : null)
    {
    }

    /// <param name="rich">The console for rich output, or null for plain lines on <paramref name="output"/>.</param>
    public Terminal(TextWriter output, TextWriter error, IAnsiConsole? rich)
    {
        Out = output;
        Error = error;
        _rich = rich;
    }

    /// <summary>
    /// The decision: live progress and tables only on a terminal (stdout not redirected) outside CI; NO_COLOR and
    /// TERM=dumb ask for plain output too.
    /// </summary>
    public static bool WantsRich(bool outputRedirected, Func<string, string?> environment) =>
        !outputRedirected
        && string.IsNullOrEmpty(environment("CI"))
        && string.IsNullOrEmpty(environment("NO_COLOR"))
        && !string.Equals(environment("TERM"), "dumb", StringComparison.Ordinal);

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool Interactive => _rich is not null;

    /// <summary>One line of progress or information (thread-safe: observers call it from actor threads).</summary>
    public void Line(string text)
    {
        lock (_gate)
        {
            // During a live display Spectre prints the line above the bars.
            if (_rich is not null) _rich.MarkupLine(Markup.Escape(text));
            else Out.WriteLine(text);
        }
    }

    /// <summary>
    /// Progress of one task, named by <paramref name="key"/>: a live bar (created on first use) with elapsed time and
    /// ETA on a terminal; plain output prints <paramref name="text"/> as a line. <paramref name="max"/> ≤ 0: unknown
    /// total (an indeterminate bar).
    /// </summary>
    public void Progress(string key, string text, double value, double max)
    {
        lock (_gate)
        {
            if (_rich is null)
            {
                Out.WriteLine(text);
                return;
            }
            _live ??= new LiveProgress(_rich);
            _live.Update(key, text, value, max);
        }
    }

    /// <summary>Marks a task done (its bar full, with a final text); the live display ends once all its tasks are done.</summary>
    public void CompleteProgress(string key, string text)
    {
        lock (_gate)
        {
            if (_live is null) return;
            _live.Complete(key, text);
            if (_live.AllComplete) EndLiveLocked();
        }
    }

    /// <summary>Ends the live display (its last frame stays on screen). Plain output: nothing to do.</summary>
    public void EndLive()
    {
        lock (_gate) EndLiveLocked();
    }

    private void EndLiveLocked()
    {
        _live?.Dispose();
        _live = null;
    }

    /// <summary>A two-column summary table (rich) or aligned "key: value" lines (plain).</summary>
    public void Summary(string title, IEnumerable<(string Key, string Value)> rows)
    {
        var list = rows.ToList();
        lock (_gate)
        {
            if (_rich is not null)
            {
                EndLiveLocked(); // the table goes below the finished bars, not through a live frame
                var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title)).AddColumn("").AddColumn("");
                table.HideHeaders();
                foreach (var (k, v) in list) table.AddRow(new Text(k, new Style(decoration: Decoration.Bold)), new Text(v));
                _rich.Write(table);
                return;
            }
            Out.WriteLine(title);
            var width = list.Count == 0 ? 0 : list.Max(r => r.Key.Length);
            foreach (var (k, v) in list) Out.WriteLine($"  {k.PadRight(width)}  {v}");
        }
    }
}
