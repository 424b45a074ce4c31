using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CreditFunctions.Stripe;

/// <summary>Stripe settings, bound from the <c>Stripe</c> section (<c>Stripe__WebhookSecret</c> and so on).</summary>
public sealed partial class StripeOptions : IValidatableObject
{
    public const string SectionName = "Stripe";

    /// <summary>
    /// What App Service hands the app, as is, for a Key Vault reference it could not resolve (the secret is missing, or
    /// the identity may not read it).
    /// </summary>
    public const string KeyVaultReferencePrefix = "@Microsoft.KeyVault(";

    /// <summary>The endpoint's signing secret (<c>whsec_...</c>); in Azure a Key Vault reference.</summary>
    [Required(ErrorMessage = "Stripe:WebhookSecret is required: the endpoint's signing secret (whsec_...), from the Dashboard or 'stripe listen'.")]
    public string WebhookSecret { get; set; } = "";

    /// <summary>
    /// Secret or restricted key for reconciliation and purchases (read subscriptions, invoices, prices); empty turns them
    /// off. A Key Vault reference that did not resolve also leaves them off (with a warning at start), so the app starts
    /// without this optional secret.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The API key to use: null when none is set or its Key Vault reference did not resolve.</summary>
    public string? UsableApiKey => string.IsNullOrWhiteSpace(ApiKey) || ApiKeyIsUnresolvedReference ? null : ApiKey;

    public bool ApiKeyIsUnresolvedReference => IsUnresolvedReference(ApiKey);

    /// <summary>Where the Stripe API is; only changed for tests or an egress proxy.</summary>
    public Uri? ApiBase { get; set; }

    /// <summary>
    /// The most unused plan credits carried over a boundary for prices without <c>credits_rollover_max</c> metadata;
    /// 0 (the default) turns rollover off.
    /// </summary>
    [Range(0, 1_000_000_000, ErrorMessage = "Stripe:DefaultRolloverMax must be a whole number from {1} to {2}; 0 turns rollover off.")]
    public int DefaultRolloverMax { get; set; }

    /// <summary>How long one Stripe API request may take before it counts as failed (it is tried twice at most).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Credits per month for plans whose price has no <c>credits_per_month</c> metadata:
    /// <c>price_or_lookup_key=credits</c> pairs separated by semicolons, e.g. <c>price_1Pro=1000;team_yearly=5000</c>.
    /// </summary>
    public string? PlanCredits { get; set; }

    /// <summary>
    /// The Storage queue (in the host's storage) that hands auto top-ups and overage reports to the function that sends
    /// them to Stripe. Read by that function's trigger from the app settings: with <see cref="ApiKey"/> set but no
    /// <c>Stripe__Queue</c> app setting, top-ups and overage stay off (said at start).
    /// </summary>
    public string? Queue { get; set; }

    public IReadOnlyDictionary<string, int> ParsePlanCredits() => ParsePlanCredits(PlanCredits, out _);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsUnresolvedReference(WebhookSecret))
        {
            yield return new ValidationResult(
                $"Stripe:WebhookSecret is a Key Vault reference the platform could not resolve ({WebhookSecret.Trim()}): create the secret it names "
                + "(az keyvault secret set --name StripeWebhookSecret ...), check that the app's identity may read it (Key Vault Secrets User), then restart the app.",
                [nameof(WebhookSecret)]);
        }
        else if (!string.IsNullOrEmpty(WebhookSecret) && !WebhookSecretPattern().IsMatch(WebhookSecret))
        {
            yield return new ValidationResult("Stripe:WebhookSecret must look like whsec_... (the endpoint's signing secret).", [nameof(WebhookSecret)]);
        }

        if (!string.IsNullOrEmpty(ApiKey) && !ApiKeyIsUnresolvedReference && !ApiKeyPattern().IsMatch(ApiKey))
        {
            yield return new ValidationResult("Stripe:ApiKey must be empty or a secret/restricted key (sk_... or rk_...).", [nameof(ApiKey)]);
        }

        ParsePlanCredits(PlanCredits, out var errors);
        foreach (var error in errors)
        {
            yield return new ValidationResult($"Stripe:PlanCredits {error}", [nameof(PlanCredits)]);
        }

        if (RequestTimeout < TimeSpan.FromSeconds(1) || RequestTimeout > TimeSpan.FromSeconds(60))
        {
            yield return new ValidationResult($"Stripe:RequestTimeout must be between 00:00:01 and 00:01:00; got {RequestTimeout}.", [nameof(RequestTimeout)]);
        }

        if (!string.IsNullOrWhiteSpace(Queue) && !QueuePattern().IsMatch(Queue))
        {
            yield return new ValidationResult(
                $"Stripe:Queue must be a Storage queue name: 3-56 lowercase letters, digits and single hyphens, starting and ending with a letter or digit; got '{Queue}'.",
                [nameof(Queue)]);
        }

        if (ApiBase is { IsAbsoluteUri: false })
        {
            yield return new ValidationResult($"Stripe:ApiBase must be an absolute URI; got {ApiBase}.", [nameof(ApiBase)]);
        }
    }

    private static Dictionary<string, int> ParsePlanCredits(string? value, out List<string> errors)
    {
        errors = [];
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var pair in (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0)
            {
                errors.Add($"entry '{pair}' must be 'price_or_lookup_key=credits'.");
            }
            else if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var credits) || credits <= 0)
            {
                errors.Add($"entry '{pair}' needs a positive whole number of credits.");
            }
            else if (!map.TryAdd(parts[0], credits))
            {
                errors.Add($"names '{parts[0]}' twice.");
            }
        }

        return map;
    }

    private static bool IsUnresolvedReference(string? value) =>
        value?.TrimStart().StartsWith(KeyVaultReferencePrefix, StringComparison.OrdinalIgnoreCase) == true;

    [GeneratedRegex(@"\Awhsec_[A-Za-z0-9_]+\z")]
    private static partial Regex WebhookSecretPattern();

    [GeneratedRegex(@"\A[a-z0-9](?!.*--)[a-z0-9-]{1,54}[a-z0-9]\z")]
    private static partial Regex QueuePattern();

    [GeneratedRegex(@"\A(sk|rk)_(test|live)_[A-Za-z0-9]+\z")]
    private static partial Regex ApiKeyPattern();
}
