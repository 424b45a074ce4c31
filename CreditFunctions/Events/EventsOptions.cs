using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using CreditFunctions.Accounts;

namespace CreditFunctions.Events;

/// <summary>
/// Events out to the SaaS, bound from the <c>Events</c> section (<c>Events__WebhookUrl</c> and so on). Off while
/// <see cref="WebhookUrl"/> is unset: nothing is recorded or sent, and the app starts without any of these.
/// </summary>
public sealed partial class EventsOptions : IValidatableObject
{
    public const string SectionName = "Events";

    /// <summary>Where events are posted; unset turns events off.</summary>
    public Uri? WebhookUrl { get; set; }

    /// <summary>The Standard Webhooks signing secret (<c>whsec_</c> and base64); in Azure a Key Vault reference.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The Storage queue that hands customers' new events to the delivery function (its poison queue: <c>-poison</c>).</summary>
    public string Queue { get; set; } = "credits-events";

    /// <summary>How long before a granted bucket's expiry <c>credits.grant_expiring</c> is told.</summary>
    public TimeSpan ExpiringWithin { get; set; } = EventPolicy.DefaultExpiringWithin;

    /// <summary>Default low threshold in credits (0: none); a customer's own overrides it.</summary>
    [Range(0, AccountLimits.MaxAmount, ErrorMessage = "Events:LowBelow must be a whole number of credits from {1} to {2}; 0 turns it off.")]
    public long LowBelow { get; set; }

    /// <summary>Default low threshold as a percentage of the customer's plans' monthly allowances (0: none).</summary>
    [Range(0, 100, ErrorMessage = "Events:LowBelowPercent must be a whole percentage from {1} to {2}; 0 turns it off.")]
    public int LowBelowPercent { get; set; }

    /// <summary>Delivery attempts of a customer's events before the message is left to the host's last retries and the poison queue.</summary>
    [Range(1, 30, ErrorMessage = "Events:MaxAttempts must be from {1} to {2}.")]
    public int MaxAttempts { get; set; } = 12;

    /// <summary>The wait before the second attempt; each later one waits twice as long, at most an hour.</summary>
    public TimeSpan RetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long after a change its events go out: the queue message is sent before the write, hidden this long, so it
    /// is taken after the write has landed (a write slower than this is announced again once it lands).
    /// </summary>
    public TimeSpan AnnounceDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one delivery (one POST) may take.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public bool Enabled => WebhookUrl is not null;

    /// <summary>What the account is told of these settings.</summary>
    public EventPolicy Policy => Enabled
        ? new EventPolicy(true, new AlertSettings(LowBelow > 0 ? LowBelow : null, LowBelowPercent > 0 ? LowBelowPercent : null), ExpiringWithin)
        : EventPolicy.Off;

    /// <summary>The wait before attempt <paramref name="attempt"/> (2 and on).</summary>
    public TimeSpan Backoff(int attempt) =>
        TimeSpan.FromTicks(Math.Min(TimeSpan.FromHours(1).Ticks, RetryAfter.Ticks * (1L << Math.Min(attempt - 2, 20))));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WebhookUrl is { } url && (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && url.IsLoopback))))
        {
            yield return new ValidationResult($"Events:WebhookUrl must be an absolute https URL (http only on localhost); got {url}.", [nameof(WebhookUrl)]);
        }

        if (Enabled)
        {
            if (WebhookSecret?.TrimStart().StartsWith(Stripe.StripeOptions.KeyVaultReferencePrefix, StringComparison.OrdinalIgnoreCase) == true)
            {
                yield return new ValidationResult(
                    $"Events:WebhookSecret is a Key Vault reference the platform could not resolve ({WebhookSecret.Trim()}): create the secret it names "
                    + "(az keyvault secret set --name EventsWebhookSecret ...), check the app's identity may read it, then restart the app.",
                    [nameof(WebhookSecret)]);
            }
            else if (WebhookSecret is null || !SecretPattern().IsMatch(WebhookSecret) || SecretBytes(WebhookSecret) is not (>= 24 and <= 64))
            {
                yield return new ValidationResult(
                    "Events:WebhookSecret must be a Standard Webhooks secret, whsec_ followed by base64 of 24 to 64 random bytes (events are on because Events:WebhookUrl is set).",
                    [nameof(WebhookSecret)]);
            }
        }

        if (Queue is null || !QueuePattern().IsMatch(Queue) || Queue.Length > MaxQueueLength)
        {
            yield return new ValidationResult(
                $"Events:Queue must be a Storage queue name of 3 to {MaxQueueLength} lowercase letters, digits and single hyphens (its poison queue adds -poison); got '{Queue}'.",
                [nameof(Queue)]);
        }

        if (ExpiringWithin <= TimeSpan.Zero || ExpiringWithin > TimeSpan.FromDays(365))
        {
            yield return new ValidationResult($"Events:ExpiringWithin must be between 00:00:01 and 365.00:00:00; got {ExpiringWithin}.", [nameof(ExpiringWithin)]);
        }

        if (RetryAfter < TimeSpan.Zero || RetryAfter > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult($"Events:RetryAfter must be between 00:00:00 and 01:00:00; got {RetryAfter}.", [nameof(RetryAfter)]);
        }

        if (AnnounceDelay < TimeSpan.FromMilliseconds(100) || AnnounceDelay > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult($"Events:AnnounceDelay must be between 00:00:00.1 and 00:10:00; got {AnnounceDelay}.", [nameof(AnnounceDelay)]);
        }

        if (DeliveryTimeout < TimeSpan.FromSeconds(1) || DeliveryTimeout > TimeSpan.FromMinutes(1))
        {
            yield return new ValidationResult($"Events:DeliveryTimeout must be between 00:00:01 and 00:01:00; got {DeliveryTimeout}.", [nameof(DeliveryTimeout)]);
        }
    }

    /// <summary>The longest queue name whose poison queue (<c>-poison</c>, 7 more) is still a valid name of at most 63.</summary>
    public const int MaxQueueLength = 56;

    /// <summary>How many bytes the secret's base64 decodes to; -1 when it is not base64.</summary>
    private static int SecretBytes(string secret)
    {
        var base64 = secret["whsec_".Length..];
        var buffer = new byte[base64.Length];
        return Convert.TryFromBase64String(base64, buffer, out var written) ? written : -1;
    }

    [GeneratedRegex(@"\Awhsec_[A-Za-z0-9+/]{32,88}={0,2}\z")]
    private static partial Regex SecretPattern();

    [GeneratedRegex(@"\A[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]\z")]
    private static partial Regex QueuePattern();
}
