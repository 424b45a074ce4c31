using CreditFunctions.Resets;

namespace CreditFunctions.Stripe;

/// <summary>What a verified event did, as answered to Stripe (200) and logged.</summary>
/// <param name="Result">One of <see cref="WebhookResult"/>'s labels.</param>
public sealed record WebhookOutcome(string EventId, string EventType, string Result)
{
    public string? SubscriptionId { get; init; }

    /// <summary>The customer of a purchase or refund.</summary>
    public string? CustomerId { get; init; }

    /// <summary>The reset the event led to, or why a due one was not applied; null when nothing was due.</summary>
    public WebhookReset? Reset { get; init; }

    /// <summary>Why an event was ignored, or what it is waiting for.</summary>
    public string? Detail { get; init; }
}

/// <summary>A reset decided after an event: applied (its boundary and new balance), or skipped with one of <see cref="SkipReason"/>'s reasons.</summary>
public sealed record WebhookReset(bool Applied, DateTimeOffset? Boundary = null, long? BalanceAfter = null, string? Reason = null)
{
    public static WebhookReset? From(ResetOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.Applied is { } applied ? new WebhookReset(true, applied.Boundary, applied.BalanceAfter)
            : !outcome.IsNews || outcome.SkipReason is null ? null
            : new WebhookReset(false, Reason: outcome.SkipReason);
    }
}

/// <summary>The closed list of the webhook's answers (the <c>result</c> field).</summary>
public static class WebhookResult
{
    /// <summary>Stripe's state of the subscription (or its period's payment) was stored.</summary>
    public const string Synced = "synced";

    /// <summary>A period's payment was stored ahead of the period's state; its reset follows that state, with its plan.</summary>
    public const string PaidRecorded = "paid-recorded";

    /// <summary>What is stored already says this; nothing was written.</summary>
    public const string Unchanged = "unchanged";

    /// <summary>This event was applied before (a redelivery); nothing was written.</summary>
    public const string Duplicate = "duplicate";

    /// <summary>Older than what is stored (delivered out of order); nothing was written.</summary>
    public const string Stale = "stale";

    /// <summary>A type or shape this endpoint does not act on (see <c>detail</c>); nothing was written.</summary>
    public const string Ignored = "ignored";

    /// <summary>An invoice for a subscription that is not stored, and no API key to fetch it; nothing was written.</summary>
    public const string UnknownSubscription = "unknown-subscription";

    /// <summary>A credit pack's credits were granted.</summary>
    public const string Granted = "granted";

    /// <summary>A refund's share of a pack's unspent credits was taken back.</summary>
    public const string Refunded = "refunded";

    /// <summary>A refund of a payment no granted purchase is known for yet: kept, and taken back if that purchase is granted.</summary>
    public const string RefundPending = "refund-pending";

    /// <summary>A paid purchase whose credits cannot be told (no metadata, bad metadata, no customer): logged as an error.</summary>
    public const string NotGranted = "not-granted";

    public static readonly IReadOnlyList<string> All = [Synced, PaidRecorded, Unchanged, Duplicate, Stale, Ignored, UnknownSubscription, Granted, Refunded, RefundPending, NotGranted];
}
