namespace CreditFunctions.Accounts;

/// <summary>The account's own bounds (the credits API's input bounds build on them).</summary>
public static class AccountLimits
{
    /// <summary>The largest amount one spend, grant, adjustment or purchase may move.</summary>
    public const long MaxAmount = 1_000_000_000;

    /// <summary>Open granted buckets one customer may hold (spent and expired ones do not count).</summary>
    public const int MaxOpenGrants = 1000;

    /// <summary>A granted bucket keeps the first this many characters of its reason; the ledger keeps it whole.</summary>
    public const int MaxBucketReason = 100;

    /// <summary>Open holds one customer may have at once.</summary>
    public const int MaxOpenHolds = 1000;

    /// <summary>Refunds told of before their purchase's grant one customer's account keeps (each for a different payment).</summary>
    public const int MaxPendingRefunds = 50;

    /// <summary>Overage reports waiting for Stripe one customer's account keeps; an overage spend past them is refused until they are sent.</summary>
    public const int MaxPendingUsage = 200;
}
