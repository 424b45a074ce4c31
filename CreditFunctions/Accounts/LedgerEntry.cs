namespace CreditFunctions.Accounts;

/// <summary>
/// One change of a customer's credits, appended in the same transaction as the change: what happened, to which buckets
/// by how much, the customer's available total after it, and where it came from. Replaying the parts of every entry
/// gives each bucket's remaining credits exactly.
/// </summary>
public sealed record LedgerEntry
{
    public required long Sequence { get; init; }

    /// <summary>When the change took effect (an expiry at its expiry time, everything else when it was made).</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>One of <see cref="LedgerKind"/>.</summary>
    public required string Kind { get; init; }

    /// <summary>The change to the customer's total: the sum of the parts.</summary>
    public long Amount => Parts.Sum(p => p.Amount);

    public required IReadOnlyList<LedgerPart> Parts { get; init; }

    /// <summary>The customer's available credits right after this entry.</summary>
    public required long BalanceAfter { get; init; }

    public string? SubscriptionId { get; init; }
    public DateTimeOffset? Boundary { get; init; }

    /// <summary>The reset run, the Stripe event, or the API request that made the change.</summary>
    public string? RunId { get; init; }
    public string? IdempotencyKey { get; init; }
    public string? Reason { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>For <c>hold</c>, <c>capture</c> and <c>release</c> entries (and the expiry of what a hold gave back): the hold.</summary>
    public string? HoldId { get; init; }

    /// <summary>For an <c>overage</c> entry: the credits spent past 0, billed through Stripe (the balance does not change).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public long? Overage { get; init; }

    /// <summary>For an <c>overage</c> entry: the identifier of the Stripe meter event that reports it.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? MeterEventIdentifier { get; init; }
}

/// <summary>What one bucket gained (positive) or lost (negative) in a ledger entry, and what it held after.</summary>
public sealed record LedgerPart(string BucketId, long Amount, long RemainingAfter);

/// <summary>The kinds of ledger entries.</summary>
public static class LedgerKind
{
    public const string Reset = "reset";
    public const string Spend = "spend";
    public const string Grant = "grant";
    public const string Adjustment = "adjustment";
    public const string Expiry = "expiry";

    /// <summary>Unused plan credits moved into the rollover bucket at a boundary.</summary>
    public const string Rollover = "rollover";

    /// <summary>A plan upgraded within its period: the plan bucket raised by the difference at once.</summary>
    public const string Upgrade = "upgrade";

    /// <summary>A credit pack bought through Stripe.</summary>
    public const string Purchase = "purchase";

    /// <summary>A purchase refunded (in full or part): its still unspent credits taken back.</summary>
    public const string Refund = "refund";

    /// <summary>Credits reserved by a hold: taken out of their buckets until the hold closes.</summary>
    public const string Hold = "hold";

    /// <summary>A hold captured: what it held beyond the capture given back, or the extra taken.</summary>
    public const string Capture = "capture";

    /// <summary>A hold released (by a call, or by its expiry): everything it held given back.</summary>
    public const string Release = "release";

    /// <summary>A spend's shortfall past 0, within the plan's overage allowance: reported to Stripe as a meter event.</summary>
    public const string Overage = "overage";
}
