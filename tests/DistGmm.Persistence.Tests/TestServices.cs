namespace DistGmm.Persistence.Tests;

/// <summary>
/// Connection settings for the real services that scripts/services.sh starts. Under CI a missing variable is a
/// failure (the services are part of the test environment); on a developer machine the test returns early.
/// </summary>
internal static class TestServices
{
    public static string? Postgres() => Read("DISTGMM_TEST_PG");

    private static string? Read(string variable) => DistGmm.Testing.TestServiceVariables.Read(variable);
}

/// <summary>A clock that stands still unless told otherwise.</summary>
internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
