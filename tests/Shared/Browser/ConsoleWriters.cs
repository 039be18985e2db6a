using System.Runtime.CompilerServices;

namespace DistGmm.Testing;

/// <summary>
/// Playwright sets Console.OutputEncoding when it starts its driver. That setter takes the console's lock and then
/// flushes the standard writers, while a thread writing to stderr (Akka's logger in a parallel test) holds its writer and
/// waits for the same console lock to re-create Console.Out: a deadlock seen in CI. Writers installed with SetOut/SetError
/// count as redirected, so the setter leaves them alone. Linked into the test assemblies that start Playwright only.
/// </summary>
internal static class ConsoleWriters
{
    [ModuleInitializer]
    internal static void Pin()
    {
        System.Console.SetOut(System.Console.Out);
        System.Console.SetError(System.Console.Error);
    }
}
