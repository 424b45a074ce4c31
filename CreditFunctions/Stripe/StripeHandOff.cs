using CreditFunctions.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Stripe;

/// <summary>
/// The Storage queue (<c>Stripe:Queue</c>, in the host's storage) that hands a customer's auto top-up and overage
/// reports, recorded by a write, to <see cref="Functions.SendToStripe"/>. On only with a usable <c>Stripe:ApiKey</c> and
/// the <c>Stripe__Queue</c> app setting the trigger reads; off, no top-up starts and no spend goes into overage.
/// </summary>
public sealed class StripeHandOff(IOptions<StripeOptions> options, IConfiguration configuration)
    : CustomerHandOff(Queue(options?.Value, configuration), AnnounceDelay)
{
    /// <summary>How long an announcement stays hidden: past the write it announces (as for events).</summary>
    public static readonly TimeSpan AnnounceDelay = TimeSpan.FromSeconds(2);

    /// <summary>Why the hand-off is off, in words; null when on.</summary>
    public static string? OffBecause(StripeOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        return options.UsableApiKey is null ? "Stripe:ApiKey is not set (or its Key Vault reference did not resolve)"
            : string.IsNullOrWhiteSpace(configuration[$"{StripeOptions.SectionName}:Queue"]) ? "the Stripe__Queue app setting is not set (for example credits-stripe)"
            : null;
    }

    private static Azure.Storage.Queues.QueueClient? Queue(StripeOptions? options, IConfiguration configuration) =>
        options is not null && OffBecause(options, configuration) is null ? Service(configuration).GetQueueClient(options.Queue) : null;
}
