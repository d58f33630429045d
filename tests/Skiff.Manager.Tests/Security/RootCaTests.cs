using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using CsCheck;
using Skiff.Manager.Security;
using Skiff.State;

namespace Skiff.Manager.Tests.Security;

public sealed class RootCaTests : IDisposable
{
    private const string ClusterId = "k6wn2e0zj3e1v9w5lzqg4f0x1";
    private readonly RootCa _ca = RootCa.Create();
    private readonly RootCa _foreign = RootCa.Create();

    public void Dispose()
    {
        _ca.Dispose();
        _foreign.Dispose();
    }

    [Fact]
    public void Create_Fresh_IsSelfSignedP256SwarmCaFor20Years()
    {
        var cert = _ca.Certificate;
        Assert.Equal("CN=swarm-ca", cert.Subject);
        Assert.Equal(cert.Subject, cert.Issuer);
        using var key = cert.GetECDsaPublicKey();
        Assert.NotNull(key);
        Assert.Equal("1.2.840.10045.3.1.7", key.ExportParameters(false).Curve.Oid.Value);
        var years = (cert.NotAfter - cert.NotBefore).TotalDays / 365;
        Assert.InRange(years, 19.99, 20.01);
        var constraints = Assert.Single(cert.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        var usage = Assert.Single(cert.Extensions.OfType<X509KeyUsageExtension>());
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.True(_ca.CanSign);
        Assert.False(cert.HasPrivateKey);
    }

    [Fact]
    public void Digest_Always_IsSha256OfDer() =>
        Assert.Equal(SHA256.HashData(_ca.Certificate.RawData), _ca.Digest.ToArray());

    [Fact]
    public void FromPem_ExportedCertAndKey_RoundTripsAndStillSigns()
    {
        var certPem = _ca.ExportCertificatePem();
        var keyPem = _ca.ExportPrivateKeyPem();
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", certPem);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", keyPem);

        using var loaded = RootCa.FromPem(certPem, keyPem);
        Assert.Equal(_ca.Certificate.RawData, loaded.Certificate.RawData);
        Assert.Equal(_ca.Digest.ToArray(), loaded.Digest.ToArray());
        Assert.True(loaded.CanSign);

        using var issued = loaded.IssueNodeCertificateWithKey("node1", NodeRole.Worker, ClusterId);
        Assert.Equal("node1", _ca.Validate(issued).NodeId);
    }

    [Fact]
    public void FromPem_CertificateOnly_ValidatesButCannotIssue()
    {
        using var publicOnly = RootCa.FromPem(_ca.ExportCertificatePem());
        Assert.False(publicOnly.CanSign);
        using var issued = _ca.IssueNodeCertificateWithKey("node1", NodeRole.Manager, ClusterId);
        Assert.Equal(NodeRole.Manager, publicOnly.Validate(issued).Role);
        Assert.Throws<InvalidOperationException>(() => publicOnly.IssueNodeCertificateWithKey("n", NodeRole.Worker, ClusterId));
        Assert.Throws<InvalidOperationException>(() => publicOnly.ExportPrivateKeyPem());
    }

    [Fact]
    public void FromPem_KeyOfAnotherCa_Throws() =>
        Assert.Throws<NodeCertificateException>(() => RootCa.FromPem(_ca.ExportCertificatePem(), _foreign.ExportPrivateKeyPem()));

    [Fact]
    public void FromPem_NodeCertificate_ThrowsNotACa()
    {
        using var node = _ca.IssueNodeCertificateWithKey("node1", NodeRole.Worker, ClusterId);
        var ex = Assert.Throws<NodeCertificateException>(() => RootCa.FromPem(node.ExportCertificatePem()));
        Assert.Contains("not a CA", ex.Message);
    }

    [Fact]
    public void IssueNodeCertificate_Worker_HasSwarmkitSubjectSanEkuAnd90Days()
    {
        var nodeId = SwarmIds.New();
        var now = DateTimeOffset.UtcNow;
        using var cert = _ca.IssueNodeCertificateWithKey(nodeId, NodeRole.Worker, ClusterId, now: now);

        Assert.Equal(nodeId, cert.GetNameInfo(X509NameType.SimpleName, false));
        Assert.Equal($"CN={nodeId}, OU=swarm-worker, O={ClusterId}", cert.Subject);
        var encodedOrder = cert.SubjectName.EnumerateRelativeDistinguishedNames(reversed: false)
            .Select(rdn => rdn.GetSingleElementType().Value ?? string.Empty).ToArray();
        Assert.Equal(["2.5.4.10", "2.5.4.11", "2.5.4.3"], encodedOrder); // O, OU, CN as swarmkit encodes
        Assert.Equal(_ca.Certificate.Subject, cert.Issuer);
        Assert.True(cert.HasPrivateKey);

        Assert.InRange(cert.NotAfter.ToUniversalTime(), now.UtcDateTime.AddDays(90).AddSeconds(-1), now.UtcDateTime.AddDays(90).AddSeconds(1));
        Assert.InRange((cert.NotAfter - cert.NotBefore).TotalDays, 90, 90.01);

        var eku = Assert.Single(cert.Extensions.OfType<X509EnhancedKeyUsageExtension>());
        var oids = eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value).ToHashSet();
        Assert.Equal(new HashSet<string?> { "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2" }, oids);

        var san = Assert.Single(cert.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["swarm-worker", nodeId], san.EnumerateDnsNames().ToArray());

        var constraints = Assert.Single(cert.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.False(constraints.CertificateAuthority);
    }

    [Fact]
    public void IssueNodeCertificate_CustomValidity_IsHonouredAndClampedToCa()
    {
        using var shortLived = _ca.IssueNodeCertificateWithKey("n", NodeRole.Worker, ClusterId, TimeSpan.FromHours(1));
        Assert.InRange((shortLived.NotAfter - shortLived.NotBefore).TotalMinutes, 64, 66);
        using var tooLong = _ca.IssueNodeCertificateWithKey("n", NodeRole.Worker, ClusterId, TimeSpan.FromDays(365 * 30));
        Assert.True(tooLong.NotAfter <= _ca.Certificate.NotAfter);
    }

    [Fact]
    public void IssueNodeCertificateFromCsr_ForeignSubject_UsesOurFieldsAndTheirKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=attacker, OU=swarm-manager", key, HashAlgorithmName.SHA256);
        var csrPem = request.CreateSigningRequestPem();

        using var cert = _ca.IssueNodeCertificateFromCsr(csrPem, "node7", NodeRole.Worker, ClusterId);

        Assert.Equal("node7", RootCa.ReadNodeId(cert));
        Assert.Equal(NodeRole.Worker, RootCa.ReadRole(cert));
        using var certKey = cert.GetECDsaPublicKey();
        Assert.NotNull(certKey);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), certKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void IssueNodeCertificateFromCsr_Garbage_Throws() =>
        Assert.Throws<NodeCertificateException>(() => _ca.IssueNodeCertificateFromCsr(
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "n", NodeRole.Worker, ClusterId));

    [Theory]
    [InlineData(NodeRole.Worker)]
    [InlineData(NodeRole.Manager)]
    public void ReadRole_IssuedCertificate_ReturnsIssuedRole(NodeRole role)
    {
        using var cert = _ca.IssueNodeCertificateWithKey("node1", role, ClusterId);
        Assert.Equal(role, RootCa.ReadRole(cert));
        Assert.Equal("node1", RootCa.ReadNodeId(cert));
        Assert.Equal(ClusterId, RootCa.ReadOrganization(cert));
    }

    [Fact]
    public void ReadRole_UnknownOu_Throws()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=n, OU=swarm-admin, O=c", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
        Assert.Throws<NodeCertificateException>(() => RootCa.ReadRole(cert));
    }

    [Fact]
    public void Validate_OurCertificate_ReturnsIdentity()
    {
        using var cert = _ca.IssueNodeCertificateWithKey("node1", NodeRole.Manager, ClusterId);
        Assert.Equal(new NodeIdentity("node1", NodeRole.Manager, ClusterId), _ca.Validate(cert, ClusterId));
    }

    [Fact]
    public void Validate_ForeignCaCertificate_Throws()
    {
        using var cert = _foreign.IssueNodeCertificateWithKey("node1", NodeRole.Manager, ClusterId);
        var ex = Assert.Throws<NodeCertificateException>(() => _ca.Validate(cert));
        Assert.Contains("root CA", ex.Message);
    }

    [Fact]
    public void Validate_Expired_Throws()
    {
        using var oldCa = RootCa.Create(DateTimeOffset.UtcNow.AddDays(-200));
        using var cert = oldCa.IssueNodeCertificateWithKey("node1", NodeRole.Worker, ClusterId, now: DateTimeOffset.UtcNow.AddDays(-100));
        var ex = Assert.Throws<NodeCertificateException>(() => oldCa.Validate(cert));
        Assert.Contains("NotTimeValid", ex.Message);
        Assert.Equal("node1", oldCa.Validate(cert, at: DateTimeOffset.UtcNow.AddDays(-50)).NodeId);
    }

    [Fact]
    public void Validate_OtherCluster_Throws()
    {
        using var cert = _ca.IssueNodeCertificateWithKey("node1", NodeRole.Worker, "othercluster");
        Assert.Throws<NodeCertificateException>(() => _ca.Validate(cert, ClusterId));
    }

    [Fact]
    public void Validate_RootItself_Throws() =>
        Assert.Throws<NodeCertificateException>(() => _ca.Validate(_ca.Certificate));

    [Fact]
    public void Validate_SelfSignedLookalike_Throws()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var cert = new CertificateRequest("CN=node1, OU=swarm-manager, O=" + ClusterId, key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.Throws<NodeCertificateException>(() => _ca.Validate(cert));
    }

    [Fact]
    public void RenewAt_AnySeed_IsBetween50And80PercentOfValidity()
    {
        using var cert = _ca.IssueNodeCertificateWithKey("node1", NodeRole.Worker, ClusterId);
        var notBefore = new DateTimeOffset(cert.NotBefore.ToUniversalTime());
        var validity = cert.NotAfter - cert.NotBefore;
        Gen.Int.Sample(seed =>
        {
            var at = RootCa.RenewAt(cert, new Random(seed));
            Assert.InRange(at, notBefore + (validity * 0.5), notBefore + (validity * 0.8));
        });
    }

    [Fact]
    public void RenewAt_ExtremeRandoms_HitTheBounds()
    {
        using var cert = _ca.IssueNodeCertificateWithKey("node1", NodeRole.Worker, ClusterId);
        var notBefore = new DateTimeOffset(cert.NotBefore.ToUniversalTime());
        var validity = cert.NotAfter - cert.NotBefore;
        Assert.Equal(notBefore + (validity * 0.5), RootCa.RenewAt(cert, new FixedRandom(0.0)));
        Assert.InRange(RootCa.RenewAt(cert, new FixedRandom(0.999999)), notBefore + (validity * 0.79), notBefore + (validity * 0.8));
    }

    private sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }
}
