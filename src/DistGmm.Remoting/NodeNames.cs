using System.Text.RegularExpressions;

namespace DistGmm.Remoting;

/// <summary>Node names become queue names and path segments: keep them to a safe alphabet.</summary>
public static partial class NodeNames
{
    public static bool IsValid(string? nodeName) => nodeName is not null && Pattern().IsMatch(nodeName);

    public static void Validate(string nodeName)
    {
        if (!IsValid(nodeName))
            throw new ArgumentException($"node name '{nodeName}' must be 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit", nameof(nodeName));
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex Pattern();
}
