namespace CreditFunctions.Storage;

/// <summary>
/// Hands a customer's new events to the platform for delivery. A save that records events announces them before its
/// write, hidden for a short delay, so the delivery comes after the write has landed, and a crash right after the write
/// still gets them delivered (a write that never lands leaves an announcement that finds nothing to send). A write that
/// took longer than the delay is announced again once it has landed: the first announcement may have come too early.
/// </summary>
public interface IEventAnnouncer
{
    /// <summary>Announces, visible after the delay; null when events are off.</summary>
    Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>After the write landed: announces again, visible now, when the write took too long for the first announcement.</summary>
    Task AfterWriteAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default);
}

/// <param name="CustomerId">Whose events.</param>
/// <param name="SentAt">A <see cref="System.Diagnostics.Stopwatch"/> timestamp taken before the announcement was sent.</param>
public sealed record EventAnnouncement(string CustomerId, long SentAt);

/// <summary>Events off: nothing to announce.</summary>
public sealed class NoEventAnnouncer : IEventAnnouncer
{
    public Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default) => Task.FromResult<EventAnnouncement?>(null);

    public Task AfterWriteAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
