using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Skiff.State;

namespace Skiff.Manager.Security;

/// <summary>Who a validated node certificate says its holder is.</summary>
public sealed record NodeIdentity(string NodeId, NodeRole Role, string Organization);

/// <summary>A certificate that does not belong to this swarm (wrong CA, expired, malformed fields).</summary>
public sealed class NodeCertificateException : Exception
{
    public NodeCertificateException()
    {
    }

    public NodeCertificateException(string message)
        : base(message)
    {
    }

    public NodeCertificateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The swarm root CA (ECDSA P-256, self-signed, CN "swarm-ca", 20 years), which issues node
/// certificates with swarmkit's subject layout: CN = node id, OU = swarm-worker|swarm-manager, O = cluster id.
/// </summary>
public sealed class RootCa : IDisposable
{
    public const string CommonName = "swarm-ca";
    public const string WorkerOu = "swarm-worker";
    public const string ManagerOu = "swarm-manager";
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    public static readonly TimeSpan RootValidity = TimeSpan.FromDays(365 * 20);
    public static readonly TimeSpan DefaultNodeValidity = TimeSpan.FromDays(90);

    /// <summary>Node certificates start slightly in the past to tolerate clock skew between nodes (as cfssl's backdate).</summary>
    public static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";
    private const string OrganizationalUnitOid = "2.5.4.11";

    private readonly ECDsa? _key;
    private readonly byte[] _digest;

    private RootCa(X509Certificate2 certificate, ECDsa? key)
    {
        Certificate = certificate;
        _key = key;
        _digest = ComputeDigest(certificate.RawData);
    }

    /// <summary>The public root certificate (no private key attached).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>True if the private key is held, so node certificates can be issued.</summary>
    public bool CanSign => _key is not null;

    /// <summary>SHA-256 of the DER certificate (what join tokens carry).</summary>
    public ReadOnlyMemory<byte> Digest => _digest;

    public static byte[] ComputeDigest(ReadOnlySpan<byte> certificateDer) => SHA256.HashData(certificateDer);

    public static RootCa Create(DateTimeOffset? now = null)
    {
        var start = now ?? DateTimeOffset.UtcNow;
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var subject = new X500DistinguishedNameBuilder();
            subject.AddCommonName(CommonName);
            var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(
                X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var selfSigned = request.CreateSelfSigned(start - Backdate, start + RootValidity);
            return new RootCa(X509CertificateLoader.LoadCertificate(selfSigned.RawData), key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Loads a root from PEM. <paramref name="privateKeyPem"/> (PKCS#8 or SEC1) is optional: without it the
    /// instance can validate but not issue. Throws if the certificate is not a CA or the key does not match.
    /// </summary>
    public static RootCa FromPem(string certificatePem, string? privateKeyPem = null)
    {
        ArgumentNullException.ThrowIfNull(certificatePem);
        var certificate = X509Certificate2.CreateFromPem(certificatePem);
        ECDsa? key = null;
        try
        {
            var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is not { CertificateAuthority: true })
            {
                throw new NodeCertificateException("root CA certificate is not a CA certificate");
            }
            using var publicKey = certificate.GetECDsaPublicKey()
                ?? throw new NodeCertificateException("root CA certificate does not hold an ECDSA key");
            if (privateKeyPem is not null)
            {
                key = ECDsa.Create();
                key.ImportFromPem(privateKeyPem);
                if (!publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
                {
                    throw new NodeCertificateException("root CA private key does not match the certificate");
                }
            }
            return new RootCa(certificate, key);
        }
        catch
        {
            key?.Dispose();
            certificate.Dispose();
            throw;
        }
    }

    public string ExportCertificatePem() => Certificate.ExportCertificatePem();

    public string ExportPrivateKeyPem() => SigningKey().ExportPkcs8PrivateKeyPem();

    public static string RoleOu(NodeRole role) => role switch
    {
        NodeRole.Worker => WorkerOu,
        NodeRole.Manager => ManagerOu,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "unknown node role"),
    };

    /// <summary>Issues a node certificate for a PEM certificate signing request (its signature is checked, its subject ignored).</summary>
    public X509Certificate2 IssueNodeCertificateFromCsr(
        string csrPem, string nodeId, NodeRole role, string organization, TimeSpan? validity = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(csrPem);
        CertificateRequest csr;
        try
        {
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException e)
        {
            throw new NodeCertificateException("invalid certificate signing request", e);
        }
        return IssueNodeCertificate(csr.PublicKey, nodeId, role, organization, validity, now);
    }

    /// <summary>Issues a node certificate (public part only) for <paramref name="publicKey"/>.</summary>
    public X509Certificate2 IssueNodeCertificate(
        PublicKey publicKey, string nodeId, NodeRole role, string organization, TimeSpan? validity = null, DateTimeOffset? now = null)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(nodeId);
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        var lifetime = validity ?? DefaultNodeValidity;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero, nameof(validity));
        var signingKey = SigningKey();
        var ou = RoleOu(role);
        var start = now ?? DateTimeOffset.UtcNow;
        var notBefore = start - Backdate;
        var notAfter = start + lifetime;
        var caNotAfter = new DateTimeOffset(Certificate.NotAfter.ToUniversalTime());
        if (notAfter > caNotAfter)
        {
            notAfter = caNotAfter;
        }

        var subject = new X500DistinguishedNameBuilder();
        // The builder encodes in reverse order of the calls, so this yields swarmkit's (Go's) O, OU, CN sequence.
        subject.AddCommonName(nodeId);
        subject.AddOrganizationalUnitName(ou);
        subject.AddOrganizationName(organization);
        var request = new CertificateRequest(subject.Build(), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid(ServerAuthOid), new Oid(ClientAuthOid) }, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(ou);
        san.AddDnsName(nodeId);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));

        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        serial[0] |= 0x01; // positive and never shortened by DER minimal encoding
        return request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(signingKey), notBefore, notAfter, serial);
    }

    /// <summary>Issues a certificate together with a fresh P-256 key (manager self-issue, tests).</summary>
    public X509Certificate2 IssueNodeCertificateWithKey(
        string nodeId, NodeRole role, string organization, TimeSpan? validity = null, DateTimeOffset? now = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + CommonName, key, HashAlgorithmName.SHA256);
        using var issued = IssueNodeCertificate(request.PublicKey, nodeId, role, organization, validity, now);
        return issued.CopyWithPrivateKey(key);
    }

    public static NodeRole ReadRole(X509Certificate2 certificate) =>
        SingleAttribute(certificate, OrganizationalUnitOid, "OU") switch
        {
            WorkerOu => NodeRole.Worker,
            ManagerOu => NodeRole.Manager,
            var other => throw new NodeCertificateException($"certificate has an unknown role (OU \"{other}\")"),
        };

    public static string ReadNodeId(X509Certificate2 certificate) => SingleAttribute(certificate, CommonNameOid, "CN");

    public static string ReadOrganization(X509Certificate2 certificate) => SingleAttribute(certificate, OrganizationOid, "O");

    /// <summary>The chain policy every check uses: only this root is trusted, no revocation lookups.</summary>
    public X509ChainPolicy CreateChainPolicy(DateTimeOffset? at = null)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(Certificate);
        if (at is { } time)
        {
            policy.VerificationTime = time.UtcDateTime;
            policy.VerificationTimeIgnored = false;
        }
        return policy;
    }

    /// <summary>
    /// Checks that <paramref name="certificate"/> is a node certificate issued by this root and valid at
    /// <paramref name="at"/> (default now), optionally for <paramref name="expectedOrganization"/>.
    /// Throws <see cref="NodeCertificateException"/> otherwise.
    /// </summary>
    public NodeIdentity Validate(X509Certificate2 certificate, string? expectedOrganization = null, DateTimeOffset? at = null)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (certificate.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span))
        {
            throw new NodeCertificateException("the root CA certificate is not a node certificate");
        }
        using (var chain = new X509Chain())
        {
            chain.ChainPolicy = CreateChainPolicy(at);
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthOid));
            if (!chain.Build(certificate))
            {
                var reasons = string.Join(", ", chain.ChainStatus
                    .Where(s => s.Status != X509ChainStatusFlags.NoError)
                    .Select(s => s.Status.ToString())
                    .Distinct());
                throw new NodeCertificateException(
                    $"certificate for \"{certificate.Subject}\" is not valid for this swarm's root CA ({reasons})");
            }
            var elements = chain.ChainElements;
            if (elements.Count != 2 || !elements[^1].Certificate.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span))
            {
                throw new NodeCertificateException("certificate is not issued directly by this swarm's root CA");
            }
        }
        var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (constraints is { CertificateAuthority: true })
        {
            throw new NodeCertificateException("a CA certificate is not a node certificate");
        }
        var identity = new NodeIdentity(ReadNodeId(certificate), ReadRole(certificate), ReadOrganization(certificate));
        if (expectedOrganization is not null && !string.Equals(identity.Organization, expectedOrganization, StringComparison.Ordinal))
        {
            throw new NodeCertificateException(
                $"certificate belongs to cluster \"{identity.Organization}\", not \"{expectedOrganization}\"");
        }
        return identity;
    }

    /// <summary>When to renew: a random point between 50% and 80% of the certificate's validity (as swarmkit).</summary>
    public static DateTimeOffset RenewAt(X509Certificate2 certificate, Random random)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(random);
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        var validity = notAfter - notBefore;
        var fraction = 0.5 + (0.3 * random.NextDouble());
        return notBefore + (validity * fraction);
    }

    public void Dispose()
    {
        _key?.Dispose();
        Certificate.Dispose();
    }

    private ECDsa SigningKey() =>
        _key ?? throw new InvalidOperationException("this root CA was loaded without its private key and cannot sign");

    private static string SingleAttribute(X509Certificate2 certificate, string oid, string name)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        string? found = null;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements || rdn.GetSingleElementType().Value != oid)
            {
                continue;
            }
            if (found is not null)
            {
                throw new NodeCertificateException($"certificate subject has more than one {name}");
            }
            found = rdn.GetSingleElementValue();
        }
        return string.IsNullOrEmpty(found)
            ? throw new NodeCertificateException($"certificate subject has no {name}")
            : found;
    }
}
