using System.Diagnostics.Metrics;
using CreditFunctions.Resets;
using CreditFunctions.Runs;

namespace CreditFunctions.Telemetry;

/// <summary>
/// The app's metrics, on one <see cref="Meter"/> named <see cref="MeterName"/>. In Azure they reach Application
/// Insights' <c>customMetrics</c> under these names, with the tags as <c>customDimensions</c>; the alert rules and the
/// workbook in <c>infra/app/operations.bicep</c> query exactly these. Tags are low-cardinality: never a customer or
/// subscription id.
/// </summary>
public sealed class CreditMetrics
{
    public const string MeterName = "CreditFunctions";

    public const string ResetsApplied = "credits.resets.applied";
    public const string ResetsSkipped = "credits.resets.skipped";
    public const string ResetsFailed = "credits.resets.failed";
    public const string RunsFinished = "credits.runs.finished";
    public const string RunsDuration = "credits.runs.duration";
    public const string RunsDue = "credits.runs.due";
    public const string RenewalsWaiting = "credits.renewals.waiting";
    public const string WebhooksReceived = "credits.webhooks.received";
    public const string LedgerAppended = "credits.ledger.appended";
    public const string EventsWritten = "credits.events.written";
    public const string EventsDelivered = "credits.events.delivered";
    public const string EventsRetried = "credits.events.retried";
    public const string EventsPoisoned = "credits.events.poisoned";
    public const string EventsLatency = "credits.events.latency";
    public const string TopUpsStarted = "credits.topups.started";
    public const string TopUpsCharged = "credits.topups.charged";
    public const string TopUpsFailed = "credits.topups.failed";
    public const string OverageReported = "credits.overage.reported";
    public const string OverageFailed = "credits.overage.failed";
    public const string StripeWorkRetried = "credits.stripe.retried";
    public const string StripeWorkPoisoned = "credits.stripe.poisoned";

    public const string TriggerTag = "trigger";
    public const string OutcomeTag = "outcome";
    public const string DryRunTag = "dry_run";
    public const string ReasonTag = "reason";
    public const string EventTypeTag = "event_type";
    public const string ResultTag = "result";
    public const string KindTag = "kind";
    public const string TypeTag = "type";

    /// <summary>Every instrument and the tags it carries: what the infra tests hold the alert and workbook queries to.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Instruments = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        [ResetsApplied] = [TriggerTag],
        [ResetsSkipped] = [TriggerTag, ReasonTag],
        [ResetsFailed] = [TriggerTag],
        [RunsFinished] = [TriggerTag, OutcomeTag, DryRunTag],
        [RunsDuration] = [TriggerTag, OutcomeTag],
        [RunsDue] = [TriggerTag],
        [RenewalsWaiting] = [ReasonTag],
        [WebhooksReceived] = [EventTypeTag, ResultTag],
        [LedgerAppended] = [KindTag],
        [EventsWritten] = [TypeTag],
        [EventsDelivered] = [TypeTag],
        [EventsRetried] = [],
        [EventsPoisoned] = [],
        [EventsLatency] = [TypeTag],
        [TopUpsStarted] = [TriggerTag],
        [TopUpsCharged] = [],
        [TopUpsFailed] = [ReasonTag],
        [OverageReported] = [],
        [OverageFailed] = [ReasonTag],
        [StripeWorkRetried] = [],
        [StripeWorkPoisoned] = [],
    };

    private readonly Counter<long> _resetsApplied;
    private readonly Counter<long> _resetsSkipped;
    private readonly Counter<long> _resetsFailed;
    private readonly Counter<long> _runsFinished;
    private readonly Histogram<double> _runsDuration;
    private readonly Histogram<long> _runsDue;
    private readonly Histogram<double> _renewalsWaiting;
    private readonly Counter<long> _webhooksReceived;
    private readonly Histogram<long> _ledgerAppended;
    private readonly Counter<long> _eventsWritten;
    private readonly Counter<long> _eventsDelivered;
    private readonly Counter<long> _eventsRetried;
    private readonly Counter<long> _eventsPoisoned;
    private readonly Histogram<double> _eventsLatency;
    private readonly Counter<long> _topUpsStarted;
    private readonly Counter<long> _topUpsCharged;
    private readonly Counter<long> _topUpsFailed;
    private readonly Counter<long> _overageReported;
    private readonly Counter<long> _overageFailed;
    private readonly Counter<long> _stripeRetried;
    private readonly Counter<long> _stripePoisoned;

    public CreditMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _resetsApplied = meter.CreateCounter<long>(ResetsApplied, "{reset}", "Resets applied (one per subscription and boundary), by what applied them.");
        _resetsSkipped = meter.CreateCounter<long>(ResetsSkipped, "{subscription}", "Due subscriptions a run looked at and did not reset, by reason.");
        _resetsFailed = meter.CreateCounter<long>(ResetsFailed, "{subscription}", "Subscriptions whose reset failed in a run; they stay due for the next one.");
        _runsFinished = meter.CreateCounter<long>(RunsFinished, "{run}", "Reset runs by outcome: succeeded, failed (some subscriptions), remaining (time budget reached), aborted (the run itself failed).");
        _runsDuration = meter.CreateHistogram<double>(RunsDuration, "s", "How long reset runs took.");
        _runsDue = meter.CreateHistogram<long>(RunsDue, "{subscription}", "Due subscriptions a run looked at: the backlog it found.");
        _renewalsWaiting = meter.CreateHistogram<double>(RenewalsWaiting, "h",
            "For each subscription a run reports period-ended-awaiting-renewal or renewal-unconfirmed (and Stripe's API could not settle): how long it has been waiting.");
        _webhooksReceived = meter.CreateCounter<long>(WebhooksReceived, "{event}", "Stripe webhook deliveries by event type and result (refused: bad signature, body or API version).");
        _ledgerAppended = meter.CreateHistogram<long>(LedgerAppended, "{credit}", "Ledger entries written, by kind; the value is the credits the entry moved (spent, granted, reset ...).");
        _eventsWritten = meter.CreateCounter<long>(EventsWritten, "{event}", "Events to the SaaS written with the changes that caused them, by type.");
        _eventsDelivered = meter.CreateCounter<long>(EventsDelivered, "{event}", "Events the SaaS's endpoint took (2xx), by type; a redelivery counts again.");
        _eventsRetried = meter.CreateCounter<long>(EventsRetried, "{attempt}", "Delivery attempts that failed and were queued again, after a wait.");
        _eventsPoisoned = meter.CreateCounter<long>(EventsPoisoned, "{message}", "Delivery messages that failed every attempt and go to the poison queue.");
        _eventsLatency = meter.CreateHistogram<double>(EventsLatency, "s", "From the write that recorded an event to its delivery.");
        _topUpsStarted = meter.CreateCounter<long>(TopUpsStarted, "{top-up}", "Auto top-ups started (recorded by the write that crossed the threshold, or an operator's retry), by trigger.");
        _topUpsCharged = meter.CreateCounter<long>(TopUpsCharged, "{top-up}", "Auto top-ups paid and granted, counted once whichever of the charge and invoice.paid came first.");
        _topUpsFailed = meter.CreateCounter<long>(TopUpsFailed, "{top-up}", "Auto top-ups closed unpaid (and due top-ups past maxPerMonth), by reason.");
        _overageReported = meter.CreateCounter<long>(OverageReported, "{meter event}", "Overage meter events Stripe took.");
        _overageFailed = meter.CreateCounter<long>(OverageFailed, "{meter event}", "Overage meter events Stripe refused for good (dropped, in the logs), by reason.");
        _stripeRetried = meter.CreateCounter<long>(StripeWorkRetried, "{attempt}", "Attempts at a customer's Stripe work that Stripe could not take (unreachable, 429, 5xx) and were queued again.");
        _stripePoisoned = meter.CreateCounter<long>(StripeWorkPoisoned, "{message}", "Stripe work messages that failed the host's every try and go to the poison queue.");
    }

    public void ResetApplied(ResetTrigger trigger) => _resetsApplied.Add(1, new KeyValuePair<string, object?>(TriggerTag, Label(trigger)));

    public void ResetSkipped(ResetTrigger trigger, string reason) =>
        _resetsSkipped.Add(1, new KeyValuePair<string, object?>(TriggerTag, Label(trigger)), new KeyValuePair<string, object?>(ReasonTag, reason));

    public void ResetFailed(ResetTrigger trigger) => _resetsFailed.Add(1, new KeyValuePair<string, object?>(TriggerTag, Label(trigger)));

    public void RunFinished(ResetTrigger trigger, string outcome, bool dryRun, TimeSpan duration, int due)
    {
        var triggerTag = new KeyValuePair<string, object?>(TriggerTag, Label(trigger));
        var outcomeTag = new KeyValuePair<string, object?>(OutcomeTag, outcome);
        _runsFinished.Add(1, triggerTag, outcomeTag, new KeyValuePair<string, object?>(DryRunTag, dryRun ? "true" : "false"));
        _runsDuration.Record(duration.TotalSeconds, triggerTag, outcomeTag);
        _runsDue.Record(due, triggerTag);
    }

    public void RenewalWaiting(string reason, TimeSpan waited) =>
        _renewalsWaiting.Record(Math.Max(0, waited.TotalHours), new KeyValuePair<string, object?>(ReasonTag, reason));

    public void WebhookReceived(string eventType, string result) =>
        _webhooksReceived.Add(1, new KeyValuePair<string, object?>(EventTypeTag, eventType), new KeyValuePair<string, object?>(ResultTag, result));

    public void LedgerEntryAppended(string kind, long amount) =>
        _ledgerAppended.Record(Math.Abs(amount), new KeyValuePair<string, object?>(KindTag, kind));

    public void EventWritten(string type) => _eventsWritten.Add(1, new KeyValuePair<string, object?>(TypeTag, type));

    public void EventDelivered(string type, TimeSpan sinceWritten)
    {
        var tag = new KeyValuePair<string, object?>(TypeTag, type);
        _eventsDelivered.Add(1, tag);
        _eventsLatency.Record(Math.Max(0, sinceWritten.TotalSeconds), tag);
    }

    public void EventRetried() => _eventsRetried.Add(1);

    public void EventPoisoned() => _eventsPoisoned.Add(1);

    public void TopUpStarted(string trigger) => _topUpsStarted.Add(1, new KeyValuePair<string, object?>(TriggerTag, trigger));

    public void TopUpCharged() => _topUpsCharged.Add(1);

    public void TopUpFailed(string reason) => _topUpsFailed.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    public void OverageSent(int count) => _overageReported.Add(count);

    public void OverageRefused(string reason) => _overageFailed.Add(1, new KeyValuePair<string, object?>(ReasonTag, reason));

    public void StripeWorkRetry() => _stripeRetried.Add(1);

    public void StripeWorkPoison() => _stripePoisoned.Add(1);

    /// <summary>The tag value of a trigger: its name in lower case (<c>timer</c>, <c>manual</c>, <c>webhook</c> ...).</summary>
    public static string Label(ResetTrigger trigger) => trigger.ToString().ToLowerInvariant();
}

/// <summary>The outcomes of <see cref="CreditMetrics.RunsFinished"/>.</summary>
public static class RunOutcome
{
    public const string Succeeded = "succeeded";

    /// <summary>Some subscriptions failed; they stay due. What else the run did is committed.</summary>
    public const string Failed = "failed";

    /// <summary>The run reached its time budget with due entries left; the next run picks them up.</summary>
    public const string Remaining = "remaining";

    /// <summary>The run itself failed before it finished (the store unreachable, say); nothing it did not commit happened.</summary>
    public const string Aborted = "aborted";

    public static readonly IReadOnlyList<string> All = [Succeeded, Failed, Remaining, Aborted];

    public static string Of(ResetRunSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return summary.Aborted ? Aborted : summary.Counts.Failed > 0 ? Failed : summary.Remaining ? Remaining : Succeeded;
    }
}
