using System.Globalization;
using Microsoft.Extensions.Options;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>Credits per month for a price: its <c>credits_per_month</c> metadata, else the configured map (price id, then lookup key).</summary>
public sealed class PlanAllowances(IOptions<StripeOptions> options)
{
    public const string MetadataKey = "credits_per_month";
    public const string RolloverKey = "credits_rollover_max";
    public const string OverageMeterKey = "credits_overage_meter";
    public const string OverageMaxKey = "credits_overage_max";

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

    /// <summary>
    /// The plan's overage: the billing meter's <c>event_name</c> (<c>credits_overage_meter</c>) and the most credits of
    /// overage per billing period (<c>credits_overage_max</c>). Both must be set and valid, else no overage (a half or bad
    /// pair is reported).
    /// </summary>
    public static (string? Meter, long Max) Overage(Price? price, Action<string>? badMetadata = null)
    {
        if (price?.Metadata is not { } metadata)
        {
            return (null, 0);
        }

        var hasMeter = metadata.TryGetValue(OverageMeterKey, out var meter);
        var hasMax = metadata.TryGetValue(OverageMaxKey, out var rawMax);
        if (!hasMeter && !hasMax)
        {
            return (null, 0);
        }

        if (!hasMeter || string.IsNullOrWhiteSpace(meter) || meter.Length > 100 || meter.Trim() != meter)
        {
            badMetadata?.Invoke($"price {price.Id} has {OverageMaxKey} but {OverageMeterKey} is not a meter's event_name (1-100 characters); no overage");
            return (null, 0);
        }

        if (!hasMax || !long.TryParse(rawMax, NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out var max) || max is < 1 or > 1_000_000_000)
        {
            badMetadata?.Invoke($"price {price.Id} has {OverageMeterKey}='{meter}' but {OverageMaxKey}='{rawMax}' is not a whole number from 1 to 1000000000; no overage");
            return (null, 0);
        }

        return (meter, max);
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
