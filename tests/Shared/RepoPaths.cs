using System.Reflection;

namespace DistGmm.Testing;

/// <summary>Where the repository and the read-only ../shared folder are, for tests only.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>../shared beside the repository (reference material; never used by product code).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string InRepo(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string InShared(params string[] parts) => Path.Combine([Shared, .. parts]);

    private static string FindRoot()
    {
        var fromBuild = typeof(RepoPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "DistGmm.RepoRoot")?.Value;
        if (fromBuild is not null && File.Exists(Path.Combine(fromBuild, "DistGmm.sln")))
            return Path.GetFullPath(fromBuild);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "DistGmm.sln"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (DistGmm.sln).");
    }
}
