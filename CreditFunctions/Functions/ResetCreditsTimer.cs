using CreditFunctions.Resets;
using CreditFunctions.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Functions;

/// <summary>The daily reset at 02:00 UTC. The Functions host runs it once across instances (a blob lease).</summary>
public sealed partial class ResetCreditsTimer(CreditResetHandler handler, ILogger<ResetCreditsTimer> logger)
{
    /// <summary>NCRONTAB with seconds: 02:00:00 every day, in UTC (Linux plans ignore WEBSITE_TIME_ZONE).</summary>
    public const string Schedule = "0 0 2 * * *";

    /// <summary>
    /// A run that fails (the store unreachable at 02:00, or some subscriptions failing) is tried again up to this many
    /// times instead of tomorrow: the host waits about a minute, then roughly twice as long each time (randomized, at most
    /// 15 minutes). A retried run resumes: it reads the due index again, where what was applied is no longer due, so
    /// nothing is applied twice.
    /// </summary>
    public const int MaxRetries = 5;

    [Function(nameof(ResetCreditsTimer))]
    [ExponentialBackoffRetry(MaxRetries, "00:01:00", "00:15:00")]
    public async Task RunAsync(
        [TimerTrigger(Schedule, RunOnStartup = false, UseMonitor = true)] TimerInfo timer,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        if (timer.IsPastDue)
        {
            PastDue(logger, timer.ScheduleStatus?.Last, timer.ScheduleStatus?.Next);
        }

        var result = await handler.RunAsync(new ResetRequest(ResetTrigger.Timer), cancellationToken).ConfigureAwait(false);
        var summary = result.Summary!;
        if (summary.Counts.Failed > 0)
        {
            // Fail the invocation so it shows as failed in monitoring; the failed entries stay due for the next run.
            throw new ResetRunFailedException(summary);
        }
    }

    [LoggerMessage(1100, LogLevel.Warning, "Credit reset timer is past due: last run {LastRun:O}, next run {NextRun:O}; catching up now")]
    private static partial void PastDue(ILogger logger, DateTime? lastRun, DateTime? nextRun);
}
