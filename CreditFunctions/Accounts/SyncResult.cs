using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>What a sync of Stripe's view (or a period's payment) did.</summary>
public enum SyncOutcome
{
    /// <summary>Stored, and the subscription is new to the app.</summary>
    Created,

    /// <summary>Stored.</summary>
    Applied,

    /// <summary>What is stored already says this; nothing to store (but a reset that was due may have been applied).</summary>
    Unchanged,

    /// <summary>This event was applied before; nothing written.</summary>
    Duplicate,

    /// <summary>Older than what is stored; nothing written.</summary>
    Stale,

    /// <summary>A different state stamped with the same second as the stored one; nothing written.</summary>
    Tie,

    /// <summary>The subscription is not stored; nothing written.</summary>
    Unknown,
}

/// <summary>The outcome, the subscription as it is after the change (null when it is not stored), and the reset applied or skipped with it.</summary>
public sealed record SyncResult(SyncOutcome Outcome, Subscription? Stored, ResetOutcome? Reset)
{
    /// <summary>Whether the change writes nothing whatever else the account holds: stale, tied or unknown.</summary>
    public bool IsRefusal => Outcome is SyncOutcome.Stale or SyncOutcome.Tie or SyncOutcome.Unknown;
}
