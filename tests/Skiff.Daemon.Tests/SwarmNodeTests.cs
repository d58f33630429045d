using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Skiff.Daemon.Swarm;

namespace Skiff.Daemon.Tests;

public sealed class SwarmNodeTests
{
    private static X509Certificate2 Certificate(DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return new CertificateRequest("CN=node", key, HashAlgorithmName.SHA256).CreateSelfSigned(from, to);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(44, false)]
    [InlineData(45, true)]
    [InlineData(89, true)]
    public void NeedsRenewal_FromHalfOfTheCertificatesLife(int daysIn, bool expected)
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var certificate = Certificate(start, start.AddDays(90));

        Assert.Equal(expected, SwarmNode.NeedsRenewal(certificate, start.AddDays(daysIn)));
    }
}
