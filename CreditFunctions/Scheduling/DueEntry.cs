namespace CreditFunctions.Scheduling;

/// <summary>
/// One row of the due-date index: "look at this subscription (of this customer) at this instant". Entries may be stale
/// or duplicated; the subscription itself, not the entry, decides what is due.
/// </summary>
public sealed record DueEntry(string SubscriptionId, string CustomerId, DateTimeOffset DueAt, string? ConcurrencyToken = null)
{
    /// <summary>The index holds one entry per subscription per UTC day: an entry written for the same day replaces this one.</summary>
    public bool IsSameDay(DateTimeOffset other) => DueAt.UtcDateTime.Date == other.UtcDateTime.Date;
}
