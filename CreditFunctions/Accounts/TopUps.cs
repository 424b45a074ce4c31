namespace CreditFunctions.Accounts;

/// <summary>
/// A customer's opt-in auto top-up: when a change leaves <c>available</c> below <see cref="BelowAvailable"/>, buy
/// <see cref="Quantity"/> of the one-time price <see cref="PriceId"/> (a credit pack) through Stripe, at most
/// <see cref="MaxPerMonth"/> times a calendar month (UTC).
/// </summary>
public sealed record AutoTopUpSettings(bool Enabled, long BelowAvailable, string PriceId, long Quantity, int MaxPerMonth)
{
    public const int MaxQuantity = 100;
    public const int MaxMonthly = 100;
}

/// <summary>What became of a top-up (<see cref="TopUp.Status"/>).</summary>
public static class TopUpStatus
{
    /// <summary>Recorded by the change that crossed the threshold (or by an operator's retry); not charged yet.</summary>
    public const string Pending = "pending";

    /// <summary>Its invoice exists in Stripe; being finalized and paid.</summary>
    public const string Invoiced = "invoiced";

    /// <summary>Paid, and its credits granted (by the charge or by <c>invoice.paid</c>, whichever came first).</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Not paid: declined, needing the customer, no payment method, or Stripe unreachable past the retries.</summary>
    public const string Failed = "failed";
}

/// <summary>Why a top-up failed (<see cref="TopUp.Reason"/>, and <c>credits.top_up_failed</c>'s <c>reason</c>).</summary>
public static class TopUpFailure
{
    public const string CardDeclined = "card_declined";
    public const string RequiresAction = "requires_action";
    public const string NoPaymentMethod = "no_payment_method";
    public const string StripeUnavailable = "stripe_unavailable";
    public const string InvalidRequest = "invalid_request";
    public const string NotPaid = "not_paid";

    /// <summary>Not a top-up that failed: one that was due while the month's <c>maxPerMonth</c> were used (told once a month).</summary>
    public const string MonthlyLimit = "max_per_month";
}

/// <summary>One auto top-up: the invoice for its pack, from the crossing that asked for it to its close.</summary>
/// <param name="Trigger"><c>threshold</c> (a change crossed it) or <c>operator</c> (a retry through the API).</param>
/// <param name="AvailableAtRequest">The customer's available credits when it was asked for.</param>
public sealed record TopUp(string Id, string Trigger, DateTimeOffset RequestedAt, long AvailableAtRequest, string PriceId, long Quantity)
{
    public string Status { get; init; } = TopUpStatus.Pending;

    /// <summary>The Stripe invoice that charges it, once created.</summary>
    public string? InvoiceId { get; init; }

    /// <summary>For a failed one: one of <see cref="TopUpFailure"/>, and Stripe's message.</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }

    public DateTimeOffset? ClosedAt { get; init; }

    /// <summary>Whose Stripe idempotency keys and invoice metadata: <c>tu_{customer}_{n}</c>.</summary>
    public static string IdFor(string customerId, long number) => $"tu_{customerId}_{number}";
}

/// <summary>The account's auto top-up: its settings, the one in flight (never two), the last closed, and this month's count.</summary>
public sealed record TopUpState
{
    public AutoTopUpSettings? Settings { get; init; }

    public TopUp? InFlight { get; init; }

    public TopUp? Last { get; init; }

    /// <summary>The calendar month (UTC, <c>yyyy-MM</c>) <see cref="StartedInMonth"/> counts.</summary>
    public string? Month { get; init; }

    /// <summary>Top-ups started in <see cref="Month"/>, failed ones too: what <c>maxPerMonth</c> bounds.</summary>
    public int StartedInMonth { get; init; }

    /// <summary>
    /// No new top-up until available has risen to the threshold and fallen below it again (or an operator retries): set
    /// by a failure, and by a top-up whose credits left available still below the threshold (one top-up per crossing,
    /// never a chain of them).
    /// </summary>
    public bool AwaitingRise { get; init; }

    /// <summary>The month whose limit was told (<c>credits.top_up_failed</c> with <c>max_per_month</c>), so it is told once.</summary>
    public string? LimitToldFor { get; init; }

    /// <summary>The number of the customer's last top-up.</summary>
    public long Sequence { get; init; }
}

/// <summary>
/// Overage waiting to be reported to Stripe as a billing meter event: recorded by the spend's own write, sent by the
/// Stripe hand-off (<c>Stripe:Queue</c>) with its <see cref="Identifier"/>, by which Stripe drops a repeat.
/// </summary>
/// <param name="LedgerSequence">The <c>overage</c> ledger entry it reports.</param>
public sealed record PendingUsage(string Identifier, string EventName, long Value, DateTimeOffset At, long LedgerSequence, DateTimeOffset RecordedAt);
