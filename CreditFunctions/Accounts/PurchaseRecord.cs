namespace CreditFunctions.Accounts;

/// <summary>
/// A credit pack bought through Stripe, written in the customer's partition with the grant it made: its key (the
/// Checkout session, or the invoice) makes the grant exactly-once, and it remembers which buckets it filled and how much
/// of it refunds have taken back, so a refund takes back its share once, however often Stripe tells of it.
/// </summary>
public sealed record PurchaseRecord
{
    /// <summary>The Stripe object the purchase is keyed by: the invoice when there is one, else the Checkout session.</summary>
    public required string Id { get; init; }

    /// <summary>What the customer paid with: refunds (<c>charge.refunded</c>) find the purchase by it.</summary>
    public string? PaymentIntentId { get; init; }

    public required long Credits { get; init; }
    public required IReadOnlyList<string> BucketIds { get; init; }

    /// <summary>Credits refunds have accounted for so far (taken back, or already spent when the refund came).</summary>
    public long RefundedCredits { get; init; }

    public required DateTimeOffset PurchasedAt { get; init; }
    public required string EventId { get; init; }

    /// <summary>The stored record's concurrency token; null for a purchase being granted now.</summary>
    public string? ConcurrencyToken { get; init; }
}
