using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("DistGmm.Cli.Tests")]
