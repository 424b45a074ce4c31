using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Runs;

/// <summary>
/// What a run tells about each subscription it looked at: the summary's counts and lists (<see cref="ResetRunRecorder"/>),
/// the metrics and the logs, from one place, so the three never disagree.
/// </summary>
internal sealed class RunReport(string runId, ResetRequest request, CreditMetrics metrics, ILogger logger)
{
    public ResetRunRecorder Recorder { get; } = new();

    public void Outcomes(IReadOnlyDictionary<string, ResetOutcome> outcomes, AccountState state)
    {
        foreach (var (id, outcome) in outcomes)
        {
            Outcome(id, outcome, state);
        }
    }

    public void Skip(string subscriptionId, string reason)
    {
        Recorder.Skipped(subscriptionId, reason);
        metrics.ResetSkipped(request.Trigger, reason);
        ResetLog.ResetSkipped(logger, subscriptionId, reason, runId);
    }

    public void Fail(string subscriptionId, Exception exception)
    {
        Recorder.Failed(subscriptionId, StoreFailure.Label(StoreFailure.Classify(exception)));
        metrics.ResetFailed(request.Trigger);
        ResetLog.ResetFailed(logger, exception, subscriptionId, runId);
    }

    private void Outcome(string subscriptionId, ResetOutcome outcome, AccountState state)
    {
        if (outcome.Applied is { } reset)
        {
            if (reset.SkippedBoundaries.Count > 0)
            {
                ResetLog.CatchUp(logger, subscriptionId, reset.Boundary, reset.SkippedBoundaries.Count);
            }

            ResetLog.ResetApplied(logger, subscriptionId, reset.Boundary, reset.BalanceBefore, reset.BalanceAfter, reset.Trigger, reset.RunId);
            Recorder.Reset();
        }
        else if (outcome.Planned is { } planned)
        {
            Recorder.Planned(planned);
        }
        else
        {
            // Without an index entry there is no stale entry to speak of: a named subscription with nothing due is not due.
            var reason = outcome.SkipReason == SkipReason.AlreadyApplied && request.Names ? SkipReason.NotDue : outcome.SkipReason!;
            if (reason == SkipReason.UnknownPlan)
            {
                ResetLog.UnknownPlan(logger, subscriptionId, state.Find(subscriptionId)?.Stripe.PriceId ?? "");
            }

            Skip(subscriptionId, reason);
        }
    }
}
