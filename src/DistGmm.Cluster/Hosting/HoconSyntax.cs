namespace DistGmm.Cluster.Hosting;

/// <summary>
/// What Akka's HOCON parser (1.5) lets through without a word: an unclosed '{' or '[', a stray '}' or ']', an
/// unterminated string — it reads to the end of the file and keeps whatever it got, so a setting after the slip
/// lands in the wrong object or is lost. HOCON's lexical rules make these exact to find: braces and brackets cannot
/// appear in unquoted text, only inside quoted strings, triple-quoted strings and comments (# or //).
/// </summary>
public static class HoconSyntax
{
    /// <summary>Null when balanced, else "LINE:COLUMN: what is wrong" (1-based).</summary>
    public static string? FindUnbalanced(string text)
    {
        var open = new Stack<(char Bracket, int Line, int Column)>();
        int line = 1, lineStart = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            int Column() => i - lineStart + 1;
            switch (c)
            {
                case '\n':
                    line++;
                    lineStart = i + 1;
                    break;
                case '#':
                case '/' when i + 1 < text.Length && text[i + 1] == '/':
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                    break;
                case '"' when string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0:
                {
                    var (startLine, startColumn) = (line, Column());
                    var end = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) return $"{startLine}:{startColumn}: the string \"\"\" opened here is never closed";
                    // A triple-quoted string may end in more quotes ("""a""""): they belong to it.
                    end += 3;
                    while (end < text.Length && text[end] == '"') end++;
                    for (var j = i; j < end; j++)
                        if (text[j] == '\n') { line++; lineStart = j + 1; }
                    i = end - 1;
                    break;
                }
                case '"':
                {
                    var (startLine, startColumn) = (line, Column());
                    i++;
                    while (i < text.Length && text[i] != '"' && text[i] != '\n')
                        i += text[i] == '\\' ? 2 : 1;
                    if (i >= text.Length || text[i] != '"') return $"{startLine}:{startColumn}: the string opened here is never closed";
                    break;
                }
                case '{' or '[':
                    open.Push((c, line, Column()));
                    break;
                case '}' or ']':
                {
                    var expected = c == '}' ? '{' : '[';
                    if (open.Count == 0) return $"{line}:{Column()}: '{c}' closes nothing";
                    var top = open.Pop();
                    if (top.Bracket != expected)
                        return $"{line}:{Column()}: '{c}' closes the '{top.Bracket}' of {top.Line}:{top.Column}";
                    break;
                }
            }
        }
        if (open.Count == 0) return null;
        var unclosed = open.ToArray()[^1]; // the outermost one still open: where the slip most likely is
        return $"{unclosed.Line}:{unclosed.Column}: '{unclosed.Bracket}' is never closed";
    }
}
