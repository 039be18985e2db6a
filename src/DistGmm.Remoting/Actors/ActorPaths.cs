namespace DistGmm.Remoting.Actors;

/// <summary>
/// Actor paths across nodes. A cluster node's actor system is named after the node, so every path names its node:
/// <c>distgmm://worker-1/user/worker</c> lives on node <c>worker-1</c> (Ask reply refs too: <c>distgmm://coordinator/temp/$3</c>).
/// </summary>
public static class ActorPaths
{
    private const string Scheme = "distgmm://";

    /// <summary>The node (actor system) a path belongs to; throws for a path that is not distgmm://node/….</summary>
    public static string NodeOf(string path)
    {
        if (!TryNodeOf(path, out var node)) throw new ArgumentException($"'{path}' is not an actor path of the form distgmm://<node>/…", nameof(path));
        return node;
    }

    public static bool TryNodeOf(string path, out string node)
    {
        node = "";
        if (!path.StartsWith(Scheme, StringComparison.Ordinal)) return false;
        var end = path.IndexOf('/', Scheme.Length);
        node = end < 0 ? path[Scheme.Length..] : path[Scheme.Length..end];
        return node.Length > 0;
    }

    /// <summary>The path of an actor on another node, e.g. For("coordinator", "user/coordinator").</summary>
    public static string For(string nodeName, string relativePath) => $"{Scheme}{nodeName}/{relativePath.TrimStart('/')}";
}
