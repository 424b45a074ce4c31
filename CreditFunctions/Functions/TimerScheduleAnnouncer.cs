using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>Logs at start-up when the reset timer fires and in which time zone, so nobody has to guess.</summary>
internal sealed partial class TimerScheduleAnnouncer(IConfiguration configuration, ILogger<TimerScheduleAnnouncer> logger) : IHostedService
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

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1200, LogLevel.Information, "Credit reset timer schedule '{Schedule}' in time zone {TimeZone}: daily at 02:00")]
    private static partial void Announce(ILogger logger, string schedule, string timeZone);

    [LoggerMessage(1201, LogLevel.Warning, "Credit reset timer schedule '{Schedule}' will be read in WEBSITE_TIME_ZONE={TimeZone} on Windows plans; Linux plans (Flex Consumption) always use UTC. Remove the setting to keep resets at 02:00 UTC everywhere")]
    private static partial void ZoneOverride(ILogger logger, string schedule, string timeZone);
}
