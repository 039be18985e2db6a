using Spectre.Console;

namespace DistGmm.Cli.Console;

/// <summary>
/// Where a command writes: rich output (Spectre.Console live progress, tables) on an interactive terminal,
/// plain lines when stdout is redirected, when CI is set, or when the caller passed its own writer (tests).
/// </summary>
public sealed class Terminal
{
    private readonly object _gate = new();

    public Terminal(TextWriter output, TextWriter error)
    {
        Out = output;
        Error = error;
        Interactive = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"))
            && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    public bool Interactive { get; }

    /// <summary>One line of progress or information (thread-safe: observers call it from worker threads).</summary>
    public void Line(string text)
    {
        lock (_gate)
        {
            if (Interactive) AnsiConsole.MarkupLine(Markup.Escape(text));
            else Out.WriteLine(text);
        }
    }

    /// <summary>A two-column summary table (rich) or aligned "key: value" lines (plain).</summary>
    public void Summary(string title, IEnumerable<(string Key, string Value)> rows)
    {
        var list = rows.ToList();
        lock (_gate)
        {
            if (Interactive)
            {
                var table = new Table().Title(Markup.Escape(title)).AddColumn("").AddColumn("");
                table.HideHeaders();
                foreach (var (k, v) in list) table.AddRow(Markup.Escape(k), Markup.Escape(v));
                AnsiConsole.Write(table);
                return;
            }
            Out.WriteLine(title);
            var width = list.Count == 0 ? 0 : list.Max(r => r.Key.Length);
            foreach (var (k, v) in list) Out.WriteLine($"  {k.PadRight(width)}  {v}");
        }
    }
}
