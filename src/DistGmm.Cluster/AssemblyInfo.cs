[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("DistGmm.Cluster.Tests")]
