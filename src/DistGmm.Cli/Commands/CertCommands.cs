using System.CommandLine;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using DistGmm.Cluster.Security;

namespace DistGmm.Cli.Commands;

/// <summary>
/// `distgmm certs ca|node`: a private cluster CA and node certificates for mutual TLS between cluster nodes,
/// made in-process (no openssl). See cluster-config/SECURITY.md.
/// </summary>
public sealed class CertCommands : ICliCommand
{
    public int Order => 87;

    public Command Build()
    {
        var command = new Command("certs", "Certificates for mutual TLS between cluster nodes: a cluster CA, and node certificates it signs.");
        command.Subcommands.Add(Ca());
        command.Subcommands.Add(Node());
        return command;
    }

    private static Option<int> Days(int defaultDays) => new Option<int>("--days")
    {
        Description = "Validity in days.",
        DefaultValueFactory = _ => defaultDays,
    }.Require<Option<int>, int>(d => d >= 1, "must be at least 1");

    private static Option<string?> PasswordEnv() => new("--password-env")
    {
        Description = "Encrypt the .pfx with the password in this environment variable (then set distgmm.tls.certificate-password-env "
                      + "to the same name). Default: no password; the key files are readable by their owner only (0600).",
    };

    private static Option<bool> Force() => new("--force") { Description = "Replace existing files." };

    private static Command Ca()
    {
        var output = new Option<string>("--out") { Description = "Folder to write ca.crt (public), ca.key and ca.pfx (owner-only) into.", Required = true };
        var name = new Option<string>("--name") { Description = "The CA's common name.", DefaultValueFactory = _ => "distgmm-cluster-ca" };
        var days = Days((int)ClusterCertificates.DefaultCaValidity.TotalDays);
        var passwordEnv = PasswordEnv();
        var force = Force();
        var command = new Command("ca", "Create a cluster CA (ECDSA P-256). Keep ca.key off the nodes: only ca.crt is deployed.")
        {
            output, name, days, passwordEnv, force,
        };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            var commonName = parse.GetValue(name)!;
            if (!ClusterCertificates.IsValidName(commonName))
                throw new CliException($"--name '{commonName}': use letters, digits, '-', '.' and '_'", ExitCodes.Usage);
            var password = Password(parse.GetValue(passwordEnv));
            using var ca = ClusterCertificates.CreateCa(commonName, TimeSpan.FromDays(parse.GetValue(days)));
            var files = Write(() => ClusterCertificates.WriteCa(ca, dir, password, parse.GetValue(force)));
            var stdout = parse.InvocationConfiguration.Output;
            stdout.WriteLine($"cluster CA 'CN={commonName}' valid until {ca.NotAfter.ToUniversalTime():yyyy-MM-dd} (thumbprint {ca.Thumbprint})");
            stdout.WriteLine($"  {files.CertificatePem}   deploy to every node (distgmm.tls.ca-certificate-path)");
            stdout.WriteLine($"  {files.KeyPem}   secret: signs node certificates; keep it off the nodes");
            stdout.WriteLine($"  {files.Pfx}");
            stdout.WriteLine($"next: distgmm certs node NAME --ca {dir} --out DIR");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Node()
    {
        var nodeName = new Argument<string>("NAME") { Description = "The node name: the certificate's common name, first DNS name and file names." };
        var caDir = new Option<string>("--ca") { Description = "The CA folder written by 'distgmm certs ca' (ca.crt + ca.key).", Required = true };
        var dns = new Option<string[]>("--dns") { Description = "Another DNS name of the node (repeatable).", AllowMultipleArgumentsPerToken = false };
        var ips = new Option<string[]>("--ip") { Description = "An IP address of the node (repeatable).", AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--out") { Description = "Folder to write NAME.crt, NAME.key, NAME.pfx and a copy of ca.crt into.", Required = true };
        var days = Days((int)ClusterCertificates.DefaultNodeValidity.TotalDays);
        var passwordEnv = PasswordEnv();
        var force = Force();
        var command = new Command("node", "Issue a node certificate signed by the cluster CA, for server and client authentication (mutual TLS).")
        {
            nodeName, caDir, dns, ips, output, days, passwordEnv, force,
        };
        command.SetAction(parse =>
        {
            var name = parse.GetValue(nodeName)!;
            if (!ClusterCertificates.IsValidName(name))
                throw new CliException($"NAME '{name}': use letters, digits, '-', '.' and '_'", ExitCodes.Usage);
            var dnsNames = parse.GetValue(dns) ?? [];
            foreach (var d in dnsNames)
                if (!ClusterCertificates.IsValidName(d)) throw new CliException($"--dns '{d}': not a DNS name", ExitCodes.Usage);
            var addresses = (parse.GetValue(ips) ?? []).Select(ip => IPAddress.TryParse(ip, out var a)
                ? a : throw new CliException($"--ip '{ip}': not an IP address", ExitCodes.Usage)).ToList();
            var password = Password(parse.GetValue(passwordEnv));
            var dir = parse.GetValue(output)!;
            var caFolder = parse.GetValue(caDir)!;
            if (!Directory.Exists(caFolder)) throw new CliException($"--ca {caFolder}: no such folder (create the CA with 'distgmm certs ca --out {caFolder}')");
            X509Certificate2 ca;
            try { ca = ClusterCertificates.LoadCa(caFolder); }
            catch (InvalidDataException e) { throw new CliException(e.Message); }
            using (ca)
            {
                if (ca.NotAfter.ToUniversalTime() <= DateTime.UtcNow)
                    throw new CliException($"--ca {caFolder}: the CA expired on {ca.NotAfter.ToUniversalTime():yyyy-MM-dd}; create a new one");
                using var node = ClusterCertificates.IssueNode(ca, name, dnsNames, addresses, TimeSpan.FromDays(parse.GetValue(days)));
                var files = Write(() => ClusterCertificates.WriteNode(node, ca, dir, name, password, parse.GetValue(force)));
                var stdout = parse.InvocationConfiguration.Output;
                var sans = string.Join(", ", new[] { name }.Concat(dnsNames).Distinct(StringComparer.OrdinalIgnoreCase).Concat(addresses.Select(a => a.ToString())));
                stdout.WriteLine($"node certificate 'CN={name}' ({sans}) signed by '{ca.Subject}', valid until {node.NotAfter.ToUniversalTime():yyyy-MM-dd}");
                stdout.WriteLine($"  {files.CertificatePem}");
                stdout.WriteLine($"  {files.KeyPem}   secret");
                stdout.WriteLine($"  {files.Pfx}   secret");
                stdout.WriteLine($"  {files.CaCertificatePem}");
                stdout.WriteLine("in the node's HOCON:");
                stdout.WriteLine($"  distgmm.tls {{ enabled = on, certificate-path = \"{files.Pfx}\", ca-certificate-path = \"{files.CaCertificatePem}\"" +
                                 (parse.GetValue(passwordEnv) is { } v ? $", certificate-password-env = {v}" : "") + " }");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string? Password(string? variable)
    {
        if (variable is null) return null;
        var value = Environment.GetEnvironmentVariable(variable);
        return string.IsNullOrEmpty(value) ? throw new CliException($"--password-env {variable}: the variable is not set or empty", ExitCodes.Usage) : value;
    }

    private static CertificateFiles Write(Func<CertificateFiles> write)
    {
        try { return write(); }
        catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException) { throw new CliException(e.Message, ExitCodes.Usage); }
        catch (UnauthorizedAccessException e) { throw new CliException(e.Message, ExitCodes.Failure); }
    }
}
