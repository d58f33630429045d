using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Skiff.Integration.Tests.Support;

namespace Skiff.Integration.Tests;

/// <summary>How skiffd is deployed: several side by side, and TCP with mutual TLS.</summary>
public sealed class DaemonTopologyTests
{
    [Fact]
    public void TwoDaemons_SideBySide_RunContainersIndependently()
    {
        using var a = new Skiffd();
        using var b = new Skiffd();
        a.DockerOk("load", "-i", Repo.Image("busybox"));
        b.DockerOk("load", "-i", Repo.Image("busybox"));
        a.DockerOk("run", "-d", "--name", "same-name", "busybox", "sleep", "300");
        b.DockerOk("run", "-d", "--name", "same-name", "busybox", "sleep", "300");
        Assert.Single(a.DockerOk("ps", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Single(b.DockerOk("ps", "-q").Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var ipA = a.DockerOk("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "same-name").Trim();
        var ipB = b.DockerOk("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "same-name").Trim();
        Assert.StartsWith(a.Cidr.Split('.')[0] + "." + a.Cidr.Split('.')[1] + "." + a.Cidr.Split('.')[2] + ".", ipA);
        Assert.StartsWith(b.Cidr.Split('.')[0] + "." + b.Cidr.Split('.')[1] + "." + b.Cidr.Split('.')[2] + ".", ipB);
        a.DockerOk("rm", "-f", "same-name");
        Assert.Contains("same-name", b.DockerOk("ps"));
    }

    [Fact]
    public void TcpWithMutualTls_AcceptsClientCertificateAndRefusesWithout()
    {
        var dir = Path.Combine(Path.GetTempPath(), "skiff-it-tls-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        Directory.CreateDirectory(dir);
        try
        {
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caReq = new CertificateRequest("CN=skiff test CA", caKey, HashAlgorithmName.SHA256);
            caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllText(Path.Combine(dir, "ca.pem"), ca.ExportCertificatePem());
            void Issue(string name, bool server)
            {
                using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
                var req = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
                var san = new SubjectAlternativeNameBuilder();
                san.AddIpAddress(System.Net.IPAddress.Loopback);
                san.AddDnsName("localhost");
                req.CertificateExtensions.Add(san.Build());
                req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
                using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
                File.WriteAllText(Path.Combine(dir, name + "-cert.pem"), cert.ExportCertificatePem());
                File.WriteAllText(Path.Combine(dir, name + "-key.pem"), key.ExportPkcs8PrivateKeyPem());
            }

            Issue("server", server: true);
            Issue("client", server: false);
            var port = Skiffd.FreePort();
            using var d = new Skiffd(
            [
                "-H", $"tcp://127.0.0.1:{port}", "--tlsverify",
                "--tlscacert", Path.Combine(dir, "ca.pem"), "--tlscert", Path.Combine(dir, "server-cert.pem"), "--tlskey", Path.Combine(dir, "server-key.pem"),
            ]);
            var env = new Dictionary<string, string> { ["DOCKER_HOST"] = $"tcp://127.0.0.1:{port}", ["DOCKER_TLS_VERIFY"] = "1", ["DOCKER_CERT_PATH"] = dir };
            File.Copy(Path.Combine(dir, "client-cert.pem"), Path.Combine(dir, "cert.pem"));
            File.Copy(Path.Combine(dir, "client-key.pem"), Path.Combine(dir, "key.pem"));
            var ok = Cli.Run("docker", ["version", "--format", "{{.Server.Version}}"], TimeSpan.FromSeconds(60), env);
            Assert.True(ok.ExitCode == 0, ok.ToString());
            Assert.Equal("28.2.2-skiff", ok.Stdout.Trim());

            File.Delete(Path.Combine(dir, "cert.pem"));
            File.Delete(Path.Combine(dir, "key.pem"));
            var noCert = Cli.Run("docker", ["--tlsverify", "--tlscacert", Path.Combine(dir, "ca.pem"), "-H", $"tcp://127.0.0.1:{port}", "version", "--format", "{{.Server.Version}}"], TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, noCert.ExitCode);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TcpWithoutTls_IsRefusedAtStart()
    {
        var r = Cli.Run("dotnet", [Repo.Built("Skiff.Daemon", "skiffd.dll"), "-H", "tcp://127.0.0.1:1", "--data-root", "/tmp/skiff-it-none", "--exec-root", "/tmp/skiff-it-none-run"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("without --tlsverify", r.Stderr);
        Assert.Single(r.Stderr.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("not-an-ip")]
    [InlineData("::1")]
    public void DefaultBindIp_NotIPv4_IsRefusedAtStart(string ip)
    {
        var r = Cli.Run("dotnet", [Repo.Built("Skiff.Daemon", "skiffd.dll"), "--ip", ip, "--data-root", "/tmp/skiff-it-none", "--exec-root", "/tmp/skiff-it-none-run"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"skiffd: --ip {ip}: not an IPv4 address", r.Stderr.Trim());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1000")]
    public void MaxConcurrentStarts_OutOfRange_IsRefusedAtStart(string n)
    {
        var r = Cli.Run("dotnet", [Repo.Built("Skiff.Daemon", "skiffd.dll"), "--max-concurrent-starts", n, "--data-root", "/tmp/skiff-it-none", "--exec-root", "/tmp/skiff-it-none-run"], TimeSpan.FromSeconds(60));
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"skiffd: --max-concurrent-starts {n}: must be between 1 and 256", r.Stderr.Trim());
    }

    [Fact]
    public void Sigterm_ShutsDownCleanly()
    {
        using var d = new Skiffd();

        var code = d.Terminate(TimeSpan.FromSeconds(60));

        Assert.True(code == 0, $"exit {code}\n{d.Log}");
        Assert.DoesNotContain("Unhandled exception", d.Log, StringComparison.Ordinal);
        Assert.Contains("Application is shutting down", d.Log, StringComparison.Ordinal);
    }
}
