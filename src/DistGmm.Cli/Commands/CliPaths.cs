namespace DistGmm.Cli.Commands;

/// <summary>Checks on paths given on the command line, failing with one clear line.</summary>
public static class CliPaths
{
    public static string ExistingFile(string path) =>
        File.Exists(path) ? path : throw new CliException($"{path}: no such file");

    public static string ExistingInput(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path : throw new CliException($"{path}: no such file or directory");

    /// <summary>An --out folder: its full path; an existing file there is a command-line error.</summary>
    public static string OutputFolder(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        return File.Exists(full) ? throw new CliException($"--out {path} is a file, not a folder", ExitCodes.Usage) : full;
    }
}
