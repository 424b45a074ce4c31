using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace CreditFunctions.Telemetry;

/// <summary>
/// The worker's telemetry. Metrics are always published on the <see cref="CreditMetrics"/> meter; with an Application
/// Insights connection string (as in Azure) they go out through OpenTelemetry's Azure Monitor exporter, with the logs and
/// a dependency span for every outgoing HTTP call (Table Storage and the Stripe API), signed in with the managed identity
/// named by <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c>, the same setting the Functions host reads.
/// </summary>
public static class CreditTelemetry
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>The worker's own invocation spans, and HttpClient's (every call to Table Storage and to Stripe).</summary>
    public static readonly IReadOnlyList<string> TraceSources = ["Microsoft.Azure.Functions.Worker", "System.Net.Http"];

    public static IServiceCollection AddCreditTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddMetrics();
        services.AddSingleton<CreditMetrics>();

        var connectionString = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return services; // Locally: logs go to the console through the host, metrics to any listener (dotnet-counters).
        }

        var credential = Credential(configuration[AuthenticationStringSetting]);
        services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithMetrics(metrics => metrics.AddMeter(CreditMetrics.MeterName))
            .WithTracing(tracing => tracing.AddSource([.. TraceSources]))
            .UseAzureMonitorExporter(exporter =>
            {
                exporter.ConnectionString = connectionString;
                exporter.Credential = credential;
            });
        return services;
    }

    /// <summary>
    /// The credential an authentication string asks for: <c>Authorization=AAD</c> signs in with the managed identity
    /// (the user-assigned one whose <c>ClientId=</c> is given, else the system-assigned one); without it, none (the
    /// connection string's key is enough where local auth is allowed).
    /// </summary>
    public static TokenCredential? Credential(string? authenticationString)
    {
        var parts = (authenticationString ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(part => part.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(pair => pair.Length == 2)
            .GroupBy(pair => pair[0], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(pairs => pairs.Key, pairs => pairs.Last()[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return new ManagedIdentityCredential(parts.TryGetValue("ClientId", out var clientId) && clientId.Length > 0
            ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : ManagedIdentityId.SystemAssigned);
    }
}
