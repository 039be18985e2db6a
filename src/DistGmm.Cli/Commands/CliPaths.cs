namespace DistGmm.Cli.Commands;

/// <summary>Checks on paths given on the command line, failing with one clear line.</summary>
public static class CliPaths
{
    public static string ExistingFile(string path) =>
        File.Exists(path) ? path
        : throw new CliException(Directory.Exists(path) ? $"{path}: is a directory, not a file" : $"{path}: no such file");

    public static string ExistingInput(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path : throw new CliException($"{path}: no such file or directory");

    /// <summary>An --out folder: its full path; a file there, or in place of one of its parents, is a command-line error.</summary>
    public static string OutputFolder(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        for (var p = full; !string.IsNullOrEmpty(p); p = Path.GetDirectoryName(p))
            if (File.Exists(p)) throw new CliException($"--out {path}: {p} is a file, not a folder", ExitCodes.Usage);
        return full;
    }
}
