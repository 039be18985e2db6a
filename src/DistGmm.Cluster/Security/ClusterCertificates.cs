using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace DistGmm.Cluster.Security;

/// <summary>The files a cluster CA or a node certificate is written as (one folder each).</summary>
public sealed record CertificateFiles(string CertificatePem, string KeyPem, string Pfx, string? CaCertificatePem);

/// <summary>
/// A private certificate authority for one cluster and the node certificates it signs, made with
/// System.Security.Cryptography alone (no openssl). Keys are ECDSA P-256: fast to make, and accepted by the
/// TLS stacks .NET uses on Linux, Windows and macOS. Node certificates are signed directly by the CA
/// (no intermediates), carry both server and client authentication (every node accepts and opens
/// connections), and name the node, the given DNS names and IP addresses as subject alternative names.
/// </summary>
public static partial class ClusterCertificates
{
    public const string CaCertificateFile = "ca.crt";
    public const string CaKeyFile = "ca.key";
    public const string CaPfxFile = "ca.pfx";

    public static readonly TimeSpan DefaultCaValidity = TimeSpan.FromDays(3650);
    public static readonly TimeSpan DefaultNodeValidity = TimeSpan.FromDays(825);

    /// <summary>Backdating absorbs clock skew between the machine that issues and the nodes that check.</summary>
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>Creates a self-signed CA certificate (with its private key) allowed to sign node certificates only.</summary>
    public static X509Certificate2 CreateCa(string commonName, TimeSpan validity, DateTimeOffset? now = null)
    {
        RequireName(commonName, "CA name");
        RequirePositive(validity);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={commonName}"), key, HashAlgorithmName.SHA256);
        // pathLength 0: the CA signs leaf certificates only, never another CA.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var start = (now ?? DateTimeOffset.UtcNow) - Backdate;
        using var certificate = request.CreateSelfSigned(start, start + Backdate + validity);
        // Re-imported so the private key is usable for signing on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>
    /// Issues a node certificate signed by <paramref name="ca"/> (which must hold its private key). The node name
    /// is the common name and the first DNS subject alternative name.
    /// </summary>
    public static X509Certificate2 IssueNode(X509Certificate2 ca, string nodeName, IEnumerable<string> dnsNames,
        IEnumerable<IPAddress> ipAddresses, TimeSpan validity, DateTimeOffset? now = null)
    {
        RequireName(nodeName, "node name");
        RequirePositive(validity);
        if (!ca.HasPrivateKey) throw new ArgumentException($"the CA certificate '{ca.Subject}' has no private key: cannot sign");
        if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            throw new ArgumentException($"'{ca.Subject}' is not a CA certificate (no basic constraints CA=true)");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={nodeName}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid), new Oid(ClientAuthOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (var dns in new[] { nodeName }.Concat(dnsNames).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            RequireName(dns, "DNS name");
            san.AddDnsName(dns);
        }
        foreach (var ip in ipAddresses.Distinct()) san.AddIpAddress(ip);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));

        var start = (now ?? DateTimeOffset.UtcNow) - Backdate;
        var end = start + Backdate + validity;
        if (end > ca.NotAfter) end = ca.NotAfter; // a node certificate never outlives its CA
        if (start < ca.NotBefore) start = ca.NotBefore;
        using var signed = request.Create(ca, start, end, SerialNumber());
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    /// <summary>
    /// Writes the CA as <c>ca.crt</c> (PEM, world-readable: it is public), <c>ca.key</c> (PEM PKCS#8) and
    /// <c>ca.pfx</c>, the last two readable by the owner only (0600 on Unix).
    /// </summary>
    public static CertificateFiles WriteCa(X509Certificate2 ca, string directory, string? pfxPassword = null, bool overwrite = false)
    {
        var files = new CertificateFiles(Path.Combine(directory, CaCertificateFile), Path.Combine(directory, CaKeyFile),
            Path.Combine(directory, CaPfxFile), null);
        Write(files, ca, pfxPassword, overwrite, caCertificate: null);
        return files;
    }

    /// <summary>
    /// Writes a node certificate as <c>NAME.crt</c>, <c>NAME.key</c> and <c>NAME.pfx</c> (key and PFX 0600),
    /// and a copy of the CA certificate as <c>ca.crt</c>, so the folder is all a node needs to mount.
    /// </summary>
    public static CertificateFiles WriteNode(X509Certificate2 node, X509Certificate2 ca, string directory, string nodeName,
        string? pfxPassword = null, bool overwrite = false)
    {
        RequireName(nodeName, "node name");
        var files = new CertificateFiles(Path.Combine(directory, nodeName + ".crt"), Path.Combine(directory, nodeName + ".key"),
            Path.Combine(directory, nodeName + ".pfx"), Path.Combine(directory, CaCertificateFile));
        Write(files, node, pfxPassword, overwrite, ca);
        return files;
    }

    /// <summary>Loads the CA written by <see cref="WriteCa"/> (certificate and private key) from its folder.</summary>
    public static X509Certificate2 LoadCa(string directory)
    {
        var certificate = Path.Combine(directory, CaCertificateFile);
        var key = Path.Combine(directory, CaKeyFile);
        foreach (var file in new[] { certificate, key })
            if (!File.Exists(file)) throw new FileNotFoundException($"{file}: not found (create the CA with 'distgmm certs ca --out {directory}')", file);
        X509Certificate2 loaded;
        try { loaded = X509Certificate2.CreateFromPemFile(certificate, key); }
        catch (CryptographicException e) { throw new InvalidDataException($"{directory}: cannot load the CA from {CaCertificateFile} + {CaKeyFile}: {e.Message}", e); }
        using (loaded)
        {
            // Re-imported so the key is a persisted-in-memory one that can sign on every platform.
            return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        }
    }

    /// <summary>Loads a PEM certificate (the cluster CA a node pins).</summary>
    public static X509Certificate2 LoadPemCertificate(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: not found", path);
        try { return X509CertificateLoader.LoadCertificate(File.ReadAllBytes(path)); }
        catch (CryptographicException)
        {
            try { return X509Certificate2.CreateFromPem(File.ReadAllText(path)); }
            catch (CryptographicException e) { throw new InvalidDataException($"{path}: not a PEM or DER certificate: {e.Message}", e); }
        }
    }

    /// <summary>A node name, usable as common name, DNS name and file name: letters, digits, '-', '.', '_'.</summary>
    public static bool IsValidName(string name) => name.Length is > 0 and <= 253 && NamePattern().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")]
    private static partial Regex NamePattern();

    private static void RequireName(string name, string what)
    {
        if (!IsValidName(name))
            throw new ArgumentException($"invalid {what} '{name}': use letters, digits, '-', '.' and '_' (at most 253 characters)");
    }

    private static void RequirePositive(TimeSpan validity)
    {
        if (validity <= TimeSpan.Zero) throw new ArgumentException($"validity must be positive (got {validity.TotalDays.ToString(CultureInfo.InvariantCulture)} days)");
    }

    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // a positive integer, as RFC 5280 requires
        serial[0] |= 0x01; // and never with a leading zero byte
        return serial;
    }

    private static void Write(CertificateFiles files, X509Certificate2 certificate, string? pfxPassword, bool overwrite, X509Certificate2? caCertificate)
    {
        var targets = new[] { files.CertificatePem, files.KeyPem, files.Pfx };
        if (!overwrite)
            foreach (var target in targets.Append(files.CaCertificatePem).OfType<string>())
                if (File.Exists(target)) throw new IOException($"{target}: already exists (refusing to overwrite; pass --force to replace it)");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(files.CertificatePem))!);
        using var key = certificate.GetECDsaPrivateKey() ?? throw new ArgumentException($"'{certificate.Subject}' has no ECDSA private key");
        WriteFile(files.CertificatePem, certificate.ExportCertificatePem() + "\n", secret: false);
        WriteFile(files.KeyPem, key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        // PBES2 with AES-256 and SHA-256: the PKCS#12 default of older tools (3DES/SHA-1) is avoided.
        var pfx = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, pfxPassword);
        WriteFile(files.Pfx, pfx, secret: true);
        if (files.CaCertificatePem is { } caPath && caCertificate is not null)
            WriteFile(caPath, caCertificate.ExportCertificatePem() + "\n", secret: false);
    }

    private static void WriteFile(string path, string text, bool secret) => WriteFile(path, System.Text.Encoding.ASCII.GetBytes(text), secret);

    /// <summary>
    /// Secret files are created 0600 from the start (no moment where another user could read them) and written
    /// to a temporary name first, so an interrupted run never leaves half a key.
    /// </summary>
    private static void WriteFile(string path, byte[] bytes, bool secret)
    {
        var temporary = path + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = secret
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        try
        {
            using (var stream = new FileStream(temporary, options)) stream.Write(bytes);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
