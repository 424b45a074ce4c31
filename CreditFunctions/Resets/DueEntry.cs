namespace CreditFunctions.Resets;

/// <summary>
/// One row of the due-date index: "look at this subscription at this instant". Entries may be stale or duplicated;
/// the subscription itself, not the entry, decides what is due.
/// </summary>
public sealed record DueEntry(string SubscriptionId, DateTimeOffset DueAt, string? ConcurrencyToken = null);
