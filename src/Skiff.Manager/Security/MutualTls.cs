using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Skiff.State;

namespace Skiff.Manager.Security;

/// <summary>
/// TLS options for node-to-manager gRPC and manager-to-manager Raft: both sides present node
/// certificates, and only certificates issued by the swarm root CA are accepted.
/// </summary>
public static class MutualTls
{
    /// <summary>Managers are dialled by this name; it is in every manager certificate's SAN.</summary>
    public const string ManagerHostName = RootCa.ManagerOu;

    private const SslProtocols Protocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>
    /// Server side (a manager). Client certificates are required and must chain to <paramref name="root"/>;
    /// with <paramref name="requiredClientRole"/> (Raft: Manager) other roles are refused.
    /// </summary>
    public static SslServerAuthenticationOptions ServerOptions(
        X509Certificate2 serverCertificate, RootCa root, NodeRole? requiredClientRole = null, string? expectedOrganization = null)
    {
        ArgumentNullException.ThrowIfNull(serverCertificate);
        ArgumentNullException.ThrowIfNull(root);
        RequirePrivateKey(serverCertificate);
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(serverCertificate, additionalCertificates: null, offline: true),
            ClientCertificateRequired = true,
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = root.CreateChainPolicy(),
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                IsAcceptable(root, certificate, errors, requiredClientRole, expectedOrganization),
        };
    }

    /// <summary>
    /// Client side (any node dialling a manager). The server must present a certificate from
    /// <paramref name="root"/> with role <paramref name="requiredServerRole"/> (default Manager).
    /// </summary>
    public static SslClientAuthenticationOptions ClientOptions(
        X509Certificate2 clientCertificate,
        RootCa root,
        NodeRole? requiredServerRole = NodeRole.Manager,
        string targetHost = ManagerHostName,
        string? expectedOrganization = null)
    {
        ArgumentNullException.ThrowIfNull(clientCertificate);
        ArgumentNullException.ThrowIfNull(root);
        RequirePrivateKey(clientCertificate);
        return new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            ClientCertificateContext = SslStreamCertificateContext.Create(clientCertificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = root.CreateChainPolicy(),
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                IsAcceptable(root, certificate, errors, requiredServerRole, expectedOrganization),
        };
    }

    /// <summary>The authenticated peer's identity after the handshake (re-validated against <paramref name="root"/>).</summary>
    public static NodeIdentity PeerIdentity(SslStream stream, RootCa root)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(root);
        if (!stream.IsAuthenticated || !stream.IsMutuallyAuthenticated)
        {
            throw new NodeCertificateException("the TLS session is not mutually authenticated");
        }
        var remote = stream.RemoteCertificate
            ?? throw new NodeCertificateException("the peer presented no certificate");
        if (remote is X509Certificate2 certificate)
        {
            return root.Validate(certificate);
        }
        using var loaded = X509CertificateLoader.LoadCertificate(remote.GetRawCertData());
        return root.Validate(loaded);
    }

    private static bool IsAcceptable(
        RootCa root, X509Certificate? certificate, SslPolicyErrors errors, NodeRole? requiredRole, string? expectedOrganization)
    {
        if (errors != SslPolicyErrors.None || certificate is not X509Certificate2 presented)
        {
            return false;
        }
        try
        {
            var identity = root.Validate(presented, expectedOrganization);
            return requiredRole is not { } role || identity.Role == role;
        }
        catch (NodeCertificateException)
        {
            return false;
        }
    }

    private static void RequirePrivateKey(X509Certificate2 certificate)
    {
        if (!certificate.HasPrivateKey)
        {
            throw new ArgumentException("the node certificate must carry its private key", nameof(certificate));
        }
    }
}
