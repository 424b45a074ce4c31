namespace CreditFunctions.Accounts;

/// <summary>
/// What the account tells the SaaS (events out): whether events are on at all, the default low-credits threshold, and
/// how long before a granted bucket's expiry <c>credits.grant_expiring</c> is told.
/// </summary>
public sealed record EventPolicy(bool Enabled, AlertSettings Defaults, TimeSpan ExpiringWithin)
{
    public static readonly TimeSpan DefaultExpiringWithin = TimeSpan.FromDays(7);

    /// <summary>Events off: nothing is recorded for the SaaS.</summary>
    public static readonly EventPolicy Off = new(false, AlertSettings.None, DefaultExpiringWithin);
}
