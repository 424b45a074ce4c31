using System.Globalization;
using Microsoft.Extensions.Options;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>Credits per month for a price: its <c>credits_per_month</c> metadata, else the configured map (price id, then lookup key).</summary>
public sealed class PlanAllowances(IOptions<StripeOptions> options)
{
    public const string MetadataKey = "credits_per_month";
    public const string RolloverKey = "credits_rollover_max";

    private readonly IReadOnlyDictionary<string, int> _configured = options.Value.ParsePlanCredits();
    private readonly int _defaultRollover = options.Value.DefaultRolloverMax;

    /// <summary>
    /// The most unused credits a price's plan carries over a boundary: its <c>credits_rollover_max</c> metadata, else the
    /// configured default (0, off). Metadata that is not a whole number from 0 to 1,000,000,000 counts as 0 and is reported.
    /// </summary>
    public int RolloverMax(Price? price, Action<string>? badMetadata = null)
    {
        if (price?.Metadata is not { } metadata || !metadata.TryGetValue(RolloverKey, out var raw))
        {
            return _defaultRollover;
        }

        if (int.TryParse(raw, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var cap) && cap is >= 0 and <= 1_000_000_000)
        {
            return cap;
        }

        badMetadata?.Invoke($"price {price.Id} has {RolloverKey}='{raw}', not a whole number from 0 to 1000000000; no rollover");
        return 0;
    }

    public int? Resolve(Price? price)
    {
        if (price is null)
        {
            return null;
        }

        if (price.Metadata is { } metadata
            && metadata.TryGetValue(MetadataKey, out var raw)
            && int.TryParse(raw, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var credits)
            && credits > 0)
        {
            return credits;
        }

        if (_configured.TryGetValue(price.Id, out credits))
        {
            return credits;
        }

        return price.LookupKey is { } key && _configured.TryGetValue(key, out credits) ? credits : null;
    }
}
