namespace CreditFunctions.Scheduling;

/// <summary>
/// One row of the due-date index: "look at this subscription (of this customer) at this instant". Entries may be stale
/// or duplicated; the subscription itself, not the entry, decides what is due.
/// </summary>
/// <param name="ConcurrencyToken">The row's ETag as last written or read: removing it with this token never takes a newer entry along.</param>
public sealed record DueEntry(string SubscriptionId, string CustomerId, DateTimeOffset DueAt, string? ConcurrencyToken = null)
{
    /// <summary>The index holds one entry per subscription per UTC day: an entry written for the same day replaces this one.</summary>
    public bool IsSameDay(DateTimeOffset other) => DueAt.UtcDateTime.Date == other.UtcDateTime.Date;

    /// <summary>Whether this and <paramref name="other"/> are the same index row (one subscription's entry on one UTC day).</summary>
    public bool IsSameRow(DueEntry other) => other is not null && other.SubscriptionId == SubscriptionId && IsSameDay(other.DueAt);
}
