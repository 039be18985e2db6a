using System.Text;

namespace DistGmm.Reporting.Svg;

/// <summary>Escaping for text placed in HTML/SVG element content or double-quoted attributes.</summary>
public static class Escape
{
    public static string Text(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            string? rep = c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ when char.IsControl(c) && c != '\n' && c != '\t' => "\uFFFD", // control chars are invalid in XML
                _ => null,
            };
            if (rep is null)
            {
                sb?.Append(c);
                continue;
            }

            sb ??= new StringBuilder(s.Length + 16).Append(s, 0, i);
            sb.Append(rep);
        }

        return sb?.ToString() ?? s;
    }
}
