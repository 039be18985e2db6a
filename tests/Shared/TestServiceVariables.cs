namespace DistGmm.Testing;

/// <summary>
/// Connection settings of the real services scripts/services.sh starts (PostgreSQL). Under CI a missing
/// variable is a failure (the services are part of the test environment); on a developer machine the test returns
/// early with a notice.
/// </summary>
internal static class TestServiceVariables
{
    public static string? Read(string variable)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        if (!string.IsNullOrWhiteSpace(value)) return value;
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            throw new InvalidOperationException(
                $"{variable} is not set but CI is: run `eval \"$(bash scripts/services.sh)\"` before the tests");
        Console.WriteLine($"NOTICE: {variable} not set; skipping the checks that need it (run scripts/services.sh)");
        return null;
    }
}
