namespace CreditFunctions.Resets;

/// <summary>Why a due subscription got no reset. The strings appear in run summaries and logs.</summary>
public static class SkipReason
{
    /// <summary>The status gets no credits (canceled, unpaid, paused, incomplete, past_due unless allowed).</summary>
    public static string Status(string status) => "status:" + status;

    public const string UnknownPlan = "unknown-plan";

    /// <summary>The price bills by day or week: a monthly allowance would be handed out every period.</summary>
    public const string UnsupportedInterval = "unsupported-interval";
    public const string NotDue = "not-due";
    public const string AlreadyApplied = "already-applied";
    public const string SubscriptionMissing = "subscription-missing";
    public const string AwaitingRenewal = "period-ended-awaiting-renewal";

    /// <summary>The customer's write had no room for it (dozens of subscriptions due at once); the next write applies it.</summary>
    public const string Deferred = "deferred";

    /// <summary>The current period started more than the grace ago and its payment has not been seen.</summary>
    public const string RenewalUnconfirmed = "renewal-unconfirmed";
}
