namespace CreditFunctions.Accounts;

/// <summary>
/// When a customer's credits count as low: below <see cref="LowBelow"/> credits, or below <see cref="LowBelowPercent"/>
/// percent of its plans' monthly allowances, whichever is higher. Either may be null (not set); both null, or 0, is no
/// low threshold (<c>credits.depleted</c> still tells when nothing is left).
/// </summary>
public sealed record AlertSettings(long? LowBelow, int? LowBelowPercent)
{
    public static readonly AlertSettings None = new(null, null);

    /// <summary>The threshold in credits for plans giving <paramref name="monthlyAllowances"/> a month; 0 for none.</summary>
    public long Threshold(long monthlyAllowances)
    {
        var byPercent = LowBelowPercent is { } percent and > 0 ? ((monthlyAllowances * percent) + 99) / 100 : 0;
        return Math.Max(LowBelow ?? 0, byPercent);
    }
}

/// <summary>A customer's balance level as the SaaS was told it.</summary>
public static class AlertLevel
{
    public const string Normal = "normal";
    public const string Low = "low";
    public const string Depleted = "depleted";
}
