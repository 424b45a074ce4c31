namespace CreditFunctions.Storage;

/// <summary>What a subscription write did; when applied, the stored row's new concurrency token (its ETag).</summary>
public sealed record UpsertOutcome(UpsertResult Result, string? ConcurrencyToken = null);
