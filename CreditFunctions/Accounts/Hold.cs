using System.Globalization;

namespace CreditFunctions.Accounts;

/// <summary>
/// Credits reserved for work whose cost is known only at its end: taken out of their buckets in spend order when the
/// hold is made, so nothing (a reset, an expiry, a refund, another spend) can take them meanwhile; captured (in part or
/// in full, or more), released, or released by itself at <see cref="ExpiresAt"/>.
/// </summary>
public sealed record Hold
{
    /// <summary><c>hold-</c> and the customer's hold number, from 1.</summary>
    public required string Id { get; init; }

    public required long Amount { get; init; }

    /// <summary>What came from which bucket, in spend order: a capture uses them in that order and gives back the rest.</summary>
    public required IReadOnlyList<HeldPart> Parts { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The first <see cref="AccountLimits.MaxBucketReason"/> characters of the reason (the ledger keeps it whole).</summary>
    public string? Reason { get; init; }

    /// <summary>The hold's number in its id; null for an id that is not a hold id as the API writes them (<c>hold-12</c>).</summary>
    public static long? NumberOf(string? holdId) =>
        holdId is not null && holdId.StartsWith(IdPrefix, StringComparison.Ordinal)
        && long.TryParse(holdId.AsSpan(IdPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 && IdOf(n) == holdId
            ? n : null;

    public static string IdOf(long number) => IdPrefix + number.ToString(CultureInfo.InvariantCulture);

    private const string IdPrefix = "hold-";
}

/// <summary>Credits a hold took from one bucket, and when that bucket's credits expired then (null: never).</summary>
/// <remarks>What is given back returns to the bucket only while it is the same bucket, still live: a plan bucket or
/// rollover of the same month (same expiry), a granted bucket before its expiry. Otherwise it expires at once.</remarks>
public sealed record HeldPart(string BucketId, long Amount, DateTimeOffset? BucketExpiresAt);

/// <summary>A hold as asked for, validated.</summary>
public sealed record HoldRequest(long Amount, string IdempotencyKey, TimeSpan ExpiresIn, string? Reason, IReadOnlyDictionary<string, string>? Metadata)
{
    public const string Operation = "hold";

    public static readonly TimeSpan DefaultExpiresIn = TimeSpan.FromMinutes(15);
    public static readonly TimeSpan MaxExpiresIn = TimeSpan.FromHours(24);

    public string Fingerprint => CreditFingerprint.Of(Operation, Amount, Reason, null, Metadata, ExpiresIn.TotalSeconds.ToString(CultureInfo.InvariantCulture));
}

/// <summary>A capture of a hold as asked for: what the work cost.</summary>
public sealed record CaptureRequest(string HoldId, long Amount, string IdempotencyKey, string? Reason, IReadOnlyDictionary<string, string>? Metadata)
{
    public const string Operation = "capture";

    public string Fingerprint => CreditFingerprint.Of(Operation, Amount, Reason, null, Metadata, HoldId);
}

/// <summary>A release of a hold as asked for: everything given back.</summary>
public sealed record ReleaseRequest(string HoldId, string IdempotencyKey)
{
    public const string Operation = "release";

    public string Fingerprint => CreditFingerprint.Of(Operation, 0, null, null, null, HoldId);
}

/// <summary>What a hold call did to its hold: the amount held, captured and given back, and the hold's status after it.</summary>
public sealed record HoldReceipt(string HoldId, string Status, long Held, long Captured, long Returned, DateTimeOffset ExpiresAt);

/// <summary>A hold's status as answered.</summary>
public static class HoldStatus
{
    public const string Open = "open";
    public const string Captured = "captured";
    public const string Released = "released";
}
