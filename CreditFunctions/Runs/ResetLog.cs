using CreditFunctions.Resets;
using Microsoft.Extensions.Logging;

namespace CreditFunctions.Runs;

internal static partial class ResetLog
{
    [LoggerMessage(1000, LogLevel.Information, "Reset run {RunId} started: trigger {Trigger}, as of {AsOf:O}, dry run {DryRun}, customer {CustomerId}, subscription {SubscriptionId}")]
    public static partial void RunStarted(ILogger logger, string runId, ResetTrigger trigger, DateTimeOffset asOf, bool dryRun, string? customerId, string? subscriptionId);

    [LoggerMessage(1001, LogLevel.Information, "Reset run {RunId} finished: examined {Examined}, reset {Reset}, skipped {Skipped}, failed {Failed}, remaining {Remaining}, in {DurationMs} ms")]
    public static partial void RunFinished(ILogger logger, string runId, int examined, int reset, int skipped, int failed, bool remaining, long durationMs);

    [LoggerMessage(1002, LogLevel.Information, "Reset {SubscriptionId} at boundary {Boundary:O}: balance {BalanceBefore} -> {BalanceAfter} ({Trigger}, run {RunId})")]
    public static partial void ResetApplied(ILogger logger, string subscriptionId, DateTimeOffset boundary, long balanceBefore, long balanceAfter, ResetTrigger trigger, string runId);

    [LoggerMessage(1003, LogLevel.Information, "Skipped {SubscriptionId}: {Reason} (run {RunId})")]
    public static partial void ResetSkipped(ILogger logger, string subscriptionId, string reason, string runId);

    [LoggerMessage(1004, LogLevel.Warning, "Catch-up for {SubscriptionId}: applying {Boundary:O}, passing over {SkippedCount} earlier boundaries missed while no run happened")]
    public static partial void CatchUp(ILogger logger, string subscriptionId, DateTimeOffset boundary, int skippedCount);

    [LoggerMessage(1005, LogLevel.Error, "Reset of {SubscriptionId} failed in run {RunId}; its index entry stays for the next run")]
    public static partial void ResetFailed(ILogger logger, Exception exception, string subscriptionId, string runId);

    [LoggerMessage(1006, LogLevel.Warning, "Reset run {RunId} reached its time budget of {Budget}; due subscriptions remain for the next run")]
    public static partial void BudgetReached(ILogger logger, string runId, TimeSpan budget);

    [LoggerMessage(1007, LogLevel.Error, "Reset run {RunId} could not store its summary record")]
    public static partial void SummaryNotSaved(ILogger logger, Exception exception, string runId);

    [LoggerMessage(1008, LogLevel.Error, "Subscription {SubscriptionId} has an unknown plan (price {PriceId}): it gets no credits until its price has credits_per_month metadata or a configured allowance")]
    public static partial void UnknownPlan(ILogger logger, string subscriptionId, string priceId);

    [LoggerMessage(1009, LogLevel.Warning, "Subscription {SubscriptionId}: billing period ended at {PeriodEnd:O} and no renewal arrived; set Stripe:ApiKey to reconcile from the Stripe API, or check the webhook endpoint's deliveries")]
    public static partial void RenewalMissing(ILogger logger, string subscriptionId, DateTimeOffset periodEnd);

    [LoggerMessage(1010, LogLevel.Warning, "Reset run {RunId} could not drop {Count} handled index entries; they are stale now and the next run drops them")]
    public static partial void IndexCleanupFailed(ILogger logger, Exception exception, string runId, int count);

    [LoggerMessage(1011, LogLevel.Warning, "Subscription {SubscriptionId}: the payment of the billing period that started {PeriodStart:O} has not been seen; its reset waits for it (renewal-unconfirmed). Set Stripe:ApiKey to look it up, or check the webhook endpoint's invoice.paid deliveries")]
    public static partial void RenewalUnconfirmed(ILogger logger, string subscriptionId, DateTimeOffset periodStart);
}
