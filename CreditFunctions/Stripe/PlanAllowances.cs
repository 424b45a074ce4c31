using System.Globalization;
using Microsoft.Extensions.Options;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>Credits per month for a price: its <c>credits_per_month</c> metadata, else the configured map (price id, then lookup key).</summary>
public sealed class PlanAllowances(IOptions<StripeOptions> options)
{
    public const string MetadataKey = "credits_per_month";

    private readonly IReadOnlyDictionary<string, int> _configured = options.Value.ParsePlanCredits();

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
