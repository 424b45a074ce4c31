namespace CreditFunctions.Resets;

/// <summary>The settings the reset rule reads: which statuses get credits, and how long a renewal may stay unconfirmed.</summary>
/// <param name="AllowPastDue">Whether past_due subscriptions still get their in-period resets.</param>
/// <param name="RenewalGrace">
/// How long after a billing period starts its payment may go unseen before the period counts as unconfirmed: asked of
/// the Stripe API when a key is set, reported as <c>renewal-unconfirmed</c> by every run until it is paid.
/// </param>
public sealed record ResetPolicy(bool AllowPastDue = false, TimeSpan? RenewalGrace = null)
{
    public static readonly TimeSpan DefaultRenewalGrace = TimeSpan.FromHours(6);

    public TimeSpan Grace => RenewalGrace ?? DefaultRenewalGrace;
}
