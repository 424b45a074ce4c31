using System.Text.Json;
using System.Text.Json.Serialization;

namespace CreditFunctions.Accounts;

/// <summary>A spend as asked for, validated: all or nothing, once per key.</summary>
/// <param name="AllowOverage">Past 0, record the shortfall as overage billed through Stripe (within the plan's allowance) instead of refusing.</param>
public sealed record SpendRequest(long Amount, string IdempotencyKey, string? Reason, IReadOnlyDictionary<string, string>? Metadata, bool AllowOverage = false)
{
    public const string Operation = "spend";

    /// <summary>The request's parameters as compared when its key is used again (a spend without overage compares as it always did).</summary>
    public string Fingerprint => CreditFingerprint.Of(Operation, Amount, Reason, null, Metadata, AllowOverage ? "allowOverage" : null);
}

/// <summary>A grant (positive) or an adjustment (negative) as asked for, validated.</summary>
public sealed record GrantRequest(long Amount, string IdempotencyKey, DateTimeOffset? ExpiresAt, string Reason)
{
    public const string Operation = "grant";

    public string Fingerprint => CreditFingerprint.Of(Operation, Amount, Reason, ExpiresAt, null);
}

/// <summary>What a spend, grant, adjustment or hold call did: the amount per bucket, the total after, and its ledger entry.</summary>
public sealed record CreditsReceipt(
    string CustomerId, string IdempotencyKey, string Kind, long Amount, IReadOnlyList<LedgerPart> Parts, long Available, long LedgerSequence, DateTimeOffset At)
{
    /// <summary>For a spend that went past 0: the overage recorded and reported to Stripe (absent otherwise).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public OverageReceipt? Overage { get; init; }

    /// <summary>For a hold, a capture or a release: the hold as that call left it (answered as a hold, never on a spend or grant).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HoldReceipt? Hold { get; init; }

    public static CreditsReceipt Of(string customerId, string key, LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(customerId, key, entry.Kind, entry.Amount, entry.Parts, entry.BalanceAfter, entry.Sequence, entry.At);
    }
}

/// <summary>A spend's overage: the credits past 0, the subscription whose plan allows it, and the Stripe meter event's identifier.</summary>
public sealed record OverageReceipt(long Amount, string SubscriptionId, string Meter, string MeterEventIdentifier);

internal static class CreditFingerprint
{
    /// <summary><c>"metadata": {}</c> and no metadata are the same request; metadata keys compare in order.</summary>
    /// <param name="target">What the request acts on (a hold's id, a hold's duration); left out of the text when null.</param>
    public static string Of(string operation, long amount, string? reason, DateTimeOffset? expiresAt, IReadOnlyDictionary<string, string>? metadata, string? target = null)
    {
        var ordered = metadata?.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[] { m.Key, m.Value });
        return target is null
            ? JsonSerializer.Serialize(new { operation, amount, reason, expiresAt, metadata = ordered })
            : JsonSerializer.Serialize(new { operation, amount, reason, expiresAt, metadata = ordered, target });
    }
}
