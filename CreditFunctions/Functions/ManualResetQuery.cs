using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Stripe;
using Microsoft.Extensions.Primitives;

namespace CreditFunctions.Functions;

/// <summary>Parses the manual reset's query string strictly: a typo must be an error, never a silent full run.</summary>
public static class ManualResetQuery
{
    public const string DryRun = "dryRun";
    public const string SubscriptionId = "subscriptionId";
    public const string CustomerId = "customerId";

    // "code" carries the function key when it is not sent as the x-functions-key header.
    private static readonly string[] Known = [DryRun, SubscriptionId, CustomerId, "code"];

    public static (ResetRequest? Request, IDictionary<string, string[]> Errors) Parse(IEnumerable<KeyValuePair<string, StringValues>> query)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var dryRun = false;
        string? subscriptionId = null;
        string? customerId = null;

        foreach (var (key, values) in query)
        {
            var name = Array.Find(Known, k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
            if (name is null)
            {
                errors[key] = [$"Unknown parameter '{key}'. Use {DryRun}=true|false, {CustomerId}=cus_... and/or {SubscriptionId}=sub_..."];
                continue;
            }

            if (values.Count != 1)
            {
                errors[name] = [$"'{name}' was given {values.Count} times; give it once."];
                continue;
            }

            var value = values[0] ?? "";
            if (name == DryRun && !bool.TryParse(value, out dryRun))
            {
                errors[name] = [$"'{DryRun}' must be true or false; got '{value}'."];
            }
            else if (name == CustomerId)
            {
                if (StripeIds.IsCustomer(value))
                {
                    customerId = value;
                }
                else
                {
                    errors[name] = [$"'{CustomerId}' must be a Stripe customer id such as cus_1PqRsT (letters, digits and underscores after 'cus_'); got '{value}'."];
                }
            }
            else if (name == SubscriptionId)
            {
                if (StripeIds.IsSubscription(value))
                {
                    subscriptionId = value;
                }
                else
                {
                    errors[name] = [$"'{SubscriptionId}' must be a Stripe subscription id such as sub_1PqRsT (letters, digits and underscores after 'sub_'); got '{value}'."];
                }
            }
        }

        return errors.Count > 0
            ? (null, errors)
            : (new ResetRequest(ResetTrigger.Manual, dryRun, subscriptionId, customerId), errors);
    }
}
