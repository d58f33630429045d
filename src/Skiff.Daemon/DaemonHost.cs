using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Skiff.Daemon.Api;

namespace Skiff.Daemon;

/// <summary>Builds skiffd's web host: Kestrel on the -H listeners, the Engine API routes, the engine.</summary>
public static class DaemonHost
{
    public static WebApplication Build(DaemonOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.SetMinimumLevel(ParseLevel(options.LogLevel));
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp => new Engine(options, sp.GetRequiredService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton(sp =>
        {
            var engine = sp.GetRequiredService<Engine>();
            var swarm = new Swarm.SwarmNode(engine, sp.GetRequiredService<ILoggerFactory>());
            engine.SwarmInfo = swarm.Info;
            return swarm;
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Limits.KeepAliveTimeout = TimeSpan.FromMinutes(10);
            var hosts = options.Hosts.Count > 0 ? options.Hosts : ["unix://" + options.DefaultSocket];
            foreach (var h in hosts)
            {
                Listen(k, h, options);
            }
        });
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseMiddleware<ApiMiddleware>();
        // Routing runs after the version prefix is stripped.
        app.UseRouting();
        var engine = app.Services.GetRequiredService<Engine>();
        SystemEndpoints.Map(app, engine);
        ContainerEndpoints.Map(app, engine);
        ImageEndpoints.Map(app, engine);
        BuildEndpoints.Map(app, engine);
        NetworkEndpoints.Map(app, engine);
        VolumeEndpoints.Map(app, engine);
        SwarmEndpoints.Map(app, app.Services.GetRequiredService<Swarm.SwarmNode>());
        // "{**path}", not MapFallback's default "{*path:nonfile}": a last segment with a dot (GET /nodes/node1.example.com)
        // must get the JSON 404 too, not an empty one.
        app.MapFallback("{**path}", (HttpContext ctx) =>
            ApiMiddleware.WriteErrorAsync(ctx, 404, $"page not found: {ctx.Request.Method} {ctx.Request.Path}"));
        return app;
    }

    private static void Listen(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions k, string host, DaemonOptions options)
    {
        if (host.StartsWith("unix://", StringComparison.Ordinal))
        {
            var path = host[7..];
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (File.Exists(path))
            {
                File.Delete(path);
            }

            k.ListenUnixSocket(path, lo => UseHijack(lo));
            return;
        }

        if (host.StartsWith("tcp://", StringComparison.Ordinal))
        {
            var uri = new Uri(host);
            var addr = uri.Host is "" or "0.0.0.0" ? System.Net.IPAddress.Any : System.Net.IPAddress.Parse(uri.Host);
            var port = uri.Port > 0 ? uri.Port : 2376;
            if (!options.TlsVerify || options.TlsCaCert is null || options.TlsCert is null || options.TlsKey is null)
            {
                throw new ArgumentException($"refusing to listen on {host} without --tlsverify --tlscacert --tlscert --tlskey: a TCP socket without mutual TLS gives root to anyone who can reach it");
            }

            X509Certificate2 ca, cert;
            try
            {
                ca = X509CertificateLoader.LoadCertificateFromFile(options.TlsCaCert);
                cert = X509Certificate2.CreateFromPemFile(options.TlsCert, options.TlsKey);
            }
            catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException)
            {
                throw new ArgumentException($"cannot load --tlscacert {options.TlsCaCert}, --tlscert {options.TlsCert}, --tlskey {options.TlsKey}: {ex.Message}");
            }

            // TLS first, then the hijack peeker sees plain HTTP.
            k.Listen(addr, port, lo => UseHijack(lo.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null),
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (client, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(client);
                },
            })));
            return;
        }

        throw new ArgumentException($"invalid host {host}: use unix:///path or tcp://addr:port");
    }

    private static Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions UseHijack(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions lo)
    {
        lo.Use(next => ctx => Hijack.HandleAsync(ctx, next, () => lo.ApplicationServices.GetRequiredService<Engine>()));
        return lo;
    }

    private static LogLevel ParseLevel(string level) => level.ToLowerInvariant() switch
    {
        "debug" => LogLevel.Debug,
        "info" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        _ => throw new ArgumentException($"invalid log level {level}: use debug, info, warn, error or fatal"),
    };
}
