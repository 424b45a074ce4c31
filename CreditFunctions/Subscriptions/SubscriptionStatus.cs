namespace CreditFunctions.Subscriptions;

/// <summary>Stripe's subscription statuses, spelled as Stripe spells them.</summary>
public static class SubscriptionStatus
{
    public const string Active = "active";
    public const string Trialing = "trialing";
    public const string PastDue = "past_due";
    public const string Canceled = "canceled";
    public const string Unpaid = "unpaid";
    public const string Paused = "paused";
    public const string Incomplete = "incomplete";
    public const string IncompleteExpired = "incomplete_expired";

    /// <summary>Statuses a subscription never leaves: it needs no further scheduling.</summary>
    public static bool IsTerminal(string status) => status is Canceled or IncompleteExpired;

    /// <summary>Whether a subscription in this status gets its credits reset.</summary>
    public static bool IsEligibleForReset(string status, bool allowPastDue) =>
        status is Active or Trialing || (allowPastDue && status == PastDue);
}
