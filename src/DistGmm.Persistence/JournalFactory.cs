namespace DistGmm.Persistence;

/// <summary>Opens a journal from a provider name and connection string (as in cluster-config files).</summary>
public static class JournalFactory
{
    /// <param name="provider">"sqlite" (connection "Data Source=path") or "postgres" (an Npgsql connection string).</param>
    public static IJournal Open(string provider, string connectionString, string tablePrefix = "distgmm_") =>
        provider.Trim().ToLowerInvariant() switch
        {
            "sqlite" => SqliteJournal.FromConnectionString(connectionString, tablePrefix),
            "postgres" or "postgresql" => new PostgresJournal(connectionString, tablePrefix),
            _ => throw new ArgumentException($"unknown journal provider '{provider}' (expected 'sqlite' or 'postgres')", nameof(provider)),
        };
}
