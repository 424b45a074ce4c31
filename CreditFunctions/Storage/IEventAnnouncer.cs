namespace CreditFunctions.Storage;

/// <summary>
/// Hands a customer's new events to the platform for delivery. A save that records events announces them before its
/// write, delayed, so a crash right after the write still gets them delivered; once the write has landed the
/// announcement is revealed at once, and a save that wrote nothing takes it back.
/// </summary>
public interface IEventAnnouncer
{
    /// <summary>Announces, not yet visible; null when events are off.</summary>
    Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default);

    /// <summary>Makes an announcement visible now: its write has landed.</summary>
    Task RevealAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default);

    /// <summary>Takes an announcement back: nothing was written.</summary>
    Task CancelAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default);
}

/// <summary>One announcement, as the queue knows it.</summary>
public sealed record EventAnnouncement(string MessageId, string PopReceipt);

/// <summary>Events off: nothing to announce.</summary>
public sealed class NoEventAnnouncer : IEventAnnouncer
{
    public Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default) => Task.FromResult<EventAnnouncement?>(null);

    public Task RevealAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task CancelAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default) => Task.CompletedTask;
}
