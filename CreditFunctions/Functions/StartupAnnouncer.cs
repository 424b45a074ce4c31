using CreditFunctions.Stripe;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Functions;

/// <summary>
/// Logs at start-up what an operator would otherwise have to guess: when the reset timer fires and in which time zone,
/// and whether the Stripe API (reconciliation, pack credits from prices, the import) is on.
/// </summary>
internal sealed partial class StartupAnnouncer(IConfiguration configuration, IOptions<StripeOptions> stripe, ILogger<StartupAnnouncer> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var zone = configuration["WEBSITE_TIME_ZONE"];
        if (string.IsNullOrWhiteSpace(zone))
        {
            Announce(logger, ResetCreditsTimer.Schedule, "UTC");
        }
        else
        {
            ZoneOverride(logger, ResetCreditsTimer.Schedule, zone);
        }

        var options = stripe.Value;
        if (options.ApiKeyIsUnresolvedReference)
        {
            ApiKeyUnresolved(logger, options.ApiKey!.Trim());
        }
        else if (options.UsableApiKey is null)
        {
            ApiOff(logger);
        }
        else
        {
            ApiOn(logger);
        }

        if (StripeHandOff.OffBecause(options, configuration) is { } off)
        {
            StripeWorkOff(logger, off);
        }
        else
        {
            StripeWorkOn(logger, options.Queue!);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1200, LogLevel.Information, "Credit reset timer schedule '{Schedule}' in time zone {TimeZone}: daily at 02:00")]
    private static partial void Announce(ILogger logger, string schedule, string timeZone);

    [LoggerMessage(1201, LogLevel.Warning, "Credit reset timer schedule '{Schedule}' will be read in WEBSITE_TIME_ZONE={TimeZone} on Windows plans; Linux plans (Flex Consumption) always use UTC. Remove the setting to keep resets at 02:00 UTC everywhere")]
    private static partial void ZoneOverride(ILogger logger, string schedule, string timeZone);

    [LoggerMessage(1202, LogLevel.Information, "Stripe API is on: runs reconcile renewals Stripe did not deliver, and packs without credits metadata on the session are read from their prices")]
    private static partial void ApiOn(ILogger logger);

    [LoggerMessage(1203, LogLevel.Information, "Stripe API is off (no Stripe:ApiKey): renewals come from webhooks only, and runs report any that did not arrive")]
    private static partial void ApiOff(ILogger logger);

    [LoggerMessage(1205, LogLevel.Information, "Auto top-ups and overage reports go to Stripe through queue '{Queue}'")]
    private static partial void StripeWorkOn(ILogger logger, string queue);

    [LoggerMessage(1206, LogLevel.Information, "Auto top-ups and overage are off: {Reason}. PUT .../auto-top-up answers stripe-not-configured, and spends with allowOverage are refused past 0")]
    private static partial void StripeWorkOff(ILogger logger, string reason);

    [LoggerMessage(1204, LogLevel.Warning, "Stripe API is off: Stripe:ApiKey is a Key Vault reference the platform could not resolve ({Reference}). Create the secret it names, or turn reconciliation off in the deployment; then restart the app")]
    private static partial void ApiKeyUnresolved(ILogger logger, string reference);
}
