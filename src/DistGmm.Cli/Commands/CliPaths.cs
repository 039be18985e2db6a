namespace DistGmm.Cli.Commands;

/// <summary>Checks on paths given on the command line, failing with one clear line.</summary>
public static class CliPaths
{
    public static string ExistingFile(string path) =>
        File.Exists(path) ? path : throw new CliException($"{path}: no such file");

    public static string ExistingInput(string path) =>
        File.Exists(path) || Directory.Exists(path) ? path : throw new CliException($"{path}: no such file or directory");
}
