using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Remote.Transport.DotNetty;

namespace DistGmm.Cluster.Security;

/// <summary>A node's transport is not safe to start: one line naming the setting to change.</summary>
public sealed class TransportSecurityException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Mutual TLS for Akka.Remote, read from the HOCON section <c>distgmm.tls</c>:
/// <code>
/// distgmm.tls {
///   enabled = on
///   certificate-path = "/certs/worker-1.pfx"        # this node's PKCS#12 (certificate + key), from `distgmm certs node`
///   certificate-password-env = "DISTGMM_TLS_PASSWORD" # the variable holding the PFX password; "" = no password
///   ca-certificate-path = "/certs/ca.crt"           # PEM of the cluster CA: the only issuer a peer may have
///   insecure = off                                   # on = allow a non-loopback bind without TLS (like --insecure)
/// }
/// </code>
/// What it gives Akka (Akka.Remote 1.5.75, DotNetty transport): <see cref="ToAkkaConfig"/> turns on
/// <c>enable-ssl</c> and <c>require-mutual-authentication</c>, and <see cref="CreateSslSetup"/> a
/// <see cref="DotNettySslSetup"/> with this node's certificate and a <see cref="ClusterCaValidator"/> as the
/// certificate-validation callback. Akka runs that callback on the connecting side for the server's
/// certificate and, with mutual authentication, on the accepting side for the client's certificate; a
/// connecting client that presents no certificate at all is refused by Akka itself before the callback.
/// </summary>
public sealed record TlsSettings(bool Enabled, string? CertificatePath, string? CertificatePasswordEnv, string? CaCertificatePath, bool Insecure)
{
    public const string Section = "distgmm.tls";

    public static readonly TlsSettings Disabled = new(false, null, null, null, false);

    /// <summary>The defaults: TLS off, and therefore a loopback-only bind (see <see cref="EnsureTransportSecurity"/>).</summary>
    public static Config DefaultConfig { get; } = ConfigurationFactory.ParseString("""
        distgmm.tls {
          enabled = off
          certificate-path = ""
          certificate-password-env = ""
          ca-certificate-path = ""
          insecure = off
        }
        """);

    /// <summary>The placeholder in a path that stands for the node name, so all nodes can share one config file.</summary>
    public const string NodePlaceholder = "{node}";

    /// <summary>
    /// Reads <c>distgmm.tls</c> (missing keys take the defaults); a bad combination is a one-line error.
    /// <c>{node}</c> in a path is replaced by <paramref name="nodeName"/> (e.g. <c>/certs/{node}/{node}.pfx</c>).
    /// </summary>
    public static TlsSettings FromConfig(Config config, string? nodeName = null)
    {
        var section = config.WithFallback(DefaultConfig).GetConfig(Section);
        string? Text(Config c, string key)
        {
            if (c.GetString(key) is not { Length: > 0 } s) return null;
            if (!s.Contains(NodePlaceholder, StringComparison.Ordinal)) return s;
            return nodeName is { Length: > 0 } ? s.Replace(NodePlaceholder, nodeName, StringComparison.Ordinal)
                : throw new TransportSecurityException($"{Section}.{key} = \"{s}\" uses {NodePlaceholder} but the node has no name (give --node-name)");
        }
        static bool Flag(Config c, string key)
        {
            try { return c.GetBoolean(key); }
            catch (Exception e) when (e is NotSupportedException or ConfigurationException or FormatException)
            {
                throw new TransportSecurityException($"{Section}.{key}: {e.Message.ReplaceLineEndings(" ")} (use on or off)", e);
            }
        }
        var settings = new TlsSettings(Flag(section, "enabled"), Text(section, "certificate-path"),
            Text(section, "certificate-password-env"), Text(section, "ca-certificate-path"), Flag(section, "insecure"));
        if (settings.Enabled)
        {
            if (settings.CertificatePath is null)
                throw new TransportSecurityException($"{Section}.certificate-path is required when {Section}.enabled = on (create one with 'distgmm certs node')");
            if (settings.CaCertificatePath is null)
                throw new TransportSecurityException($"{Section}.ca-certificate-path is required when {Section}.enabled = on (the cluster CA's ca.crt)");
        }
        return settings;
    }

    /// <summary>
    /// The Akka.Remote settings for this TLS configuration: nothing when disabled. The certificate itself travels
    /// in the <see cref="DotNettySslSetup"/> (which Akka prefers over <c>ssl.certificate</c> HOCON).
    /// Host-name validation stays off: the cluster CA check is what admits a peer (see <see cref="ClusterCaValidator"/>).
    /// </summary>
    public Config ToAkkaConfig() => !Enabled ? Config.Empty : ConfigurationFactory.ParseString("""
        akka.remote.dot-netty.tcp {
          enable-ssl = on
          ssl {
            suppress-validation = off
            require-mutual-authentication = on
            validate-certificate-hostname = off
          }
        }
        """);

    /// <summary>Loads this node's certificate and the pinned CA and builds Akka's SSL setup; checks them first.</summary>
    public DotNettySslSetup CreateSslSetup(TlsRejections? rejections = null, Func<DateTimeOffset>? clock = null)
    {
        if (!Enabled) throw new InvalidOperationException($"{Section}.enabled is off: there is no SSL setup to make");
        var (certificate, ca) = Load(clock ?? (() => DateTimeOffset.UtcNow));
        var validator = new ClusterCaValidator(ca, rejections ?? TlsRejections.Shared, clock);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true,
            validateCertificateHostname: false, validator.Callback);
    }

    /// <summary>
    /// The node's whole actor-system setup: <paramref name="nodeConfig"/> with this TLS layer on top, and the SSL
    /// setup when enabled. The transport guard runs first, on the configured <c>akka.remote.dot-netty.tcp.hostname</c>.
    /// </summary>
    public ActorSystemSetup CreateActorSystemSetup(Config nodeConfig, bool insecureFlag = false, TlsRejections? rejections = null)
    {
        var hostname = nodeConfig.GetString("akka.remote.dot-netty.tcp.hostname", "");
        EnsureTransportSecurity(hostname, this, insecureFlag);
        var bootstrap = BootstrapSetup.Create().WithConfig(ToAkkaConfig().WithFallback(nodeConfig));
        return Enabled ? ActorSystemSetup.Create(bootstrap, CreateSslSetup(rejections)) : ActorSystemSetup.Create(bootstrap);
    }

    /// <summary>
    /// Refuses to bind a non-loopback <paramref name="hostname"/> without TLS, unless told so (<c>--insecure</c> or
    /// <c>distgmm.tls.insecure = on</c>). An empty hostname is Akka's "all interfaces" and counts as non-loopback.
    /// </summary>
    public static void EnsureTransportSecurity(string? hostname, TlsSettings tls, bool insecure)
    {
        if (tls.Enabled || insecure || tls.Insecure || IsLoopback(hostname)) return;
        var shown = string.IsNullOrEmpty(hostname) ? "(all interfaces)" : hostname;
        throw new TransportSecurityException(
            $"refusing to bind akka.remote.dot-netty.tcp.hostname = {shown} without TLS: set {Section}.enabled = on " +
            $"(certificates: 'distgmm certs'), or pass --insecure ({Section}.insecure = on) for a trusted network");
    }

    /// <summary>localhost, 127.0.0.0/8 and ::1.</summary>
    public static bool IsLoopback(string? hostname)
    {
        if (string.IsNullOrWhiteSpace(hostname)) return false;
        if (string.Equals(hostname, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(hostname.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    private (X509Certificate2 Certificate, X509Certificate2 Ca) Load(Func<DateTimeOffset> clock)
    {
        var certificatePath = CertificatePath!;
        var caPath = CaCertificatePath!;
        string? password = null;
        if (CertificatePasswordEnv is { } variable)
        {
            password = Environment.GetEnvironmentVariable(variable)
                ?? throw new TransportSecurityException($"{Section}.certificate-password-env: environment variable {variable} is not set");
        }
        if (!File.Exists(certificatePath)) throw new TransportSecurityException($"{Section}.certificate-path: {certificatePath}: not found");
        if (!File.Exists(caPath)) throw new TransportSecurityException($"{Section}.ca-certificate-path: {caPath}: not found");
        X509Certificate2 certificate;
        // The key stays in memory on Linux/macOS; Windows' TLS stack cannot use an ephemeral key for a server.
        var flags = OperatingSystem.IsWindows() ? X509KeyStorageFlags.DefaultKeySet : X509KeyStorageFlags.EphemeralKeySet;
        try { certificate = X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password, flags); }
        catch (CryptographicException e)
        {
            throw new TransportSecurityException($"{Section}.certificate-path: {certificatePath}: cannot read the PKCS#12 file ({e.Message.TrimEnd('.')}; wrong password?)", e);
        }
        if (!certificate.HasPrivateKey) throw new TransportSecurityException($"{Section}.certificate-path: {certificatePath}: holds no private key");
        X509Certificate2 ca;
        try { ca = ClusterCertificates.LoadPemCertificate(caPath); }
        catch (InvalidDataException e) { throw new TransportSecurityException($"{Section}.ca-certificate-path: {e.Message}", e); }
        if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            throw new TransportSecurityException($"{Section}.ca-certificate-path: {caPath}: '{ca.Subject}' is not a CA certificate");
        // Fail at start-up, not at the first handshake, when this node's own certificate would be refused by its peers.
        var own = new ClusterCaValidator(ca, new TlsRejections(), clock).Check(certificate);
        if (own is not null)
            throw new TransportSecurityException($"{Section}.certificate-path: {certificatePath}: this node's certificate would be refused: {own}");
        return (certificate, ca);
    }
}
