using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using System.Runtime.CompilerServices;
using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests.Resets;

/// <summary>
/// Wraps a real store and "kills the process" at the N-th write: that write either never happens or happens with
/// its answer lost, and every call after it fails, as if the instance had died.
/// </summary>
internal sealed class CrashingStore(ICreditStore inner, int crashAtWrite, bool writeLandsBeforeCrash) : ICreditStore
{
    private int _writes;
    private volatile bool _dead;

    public bool Crashed => _dead;

    public Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Alive(() => inner.GetSubscriptionAsync(subscriptionId, cancellationToken));

    public async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in inner.ReadDueAsync(asOf, cancellationToken))
        {
            ThrowIfDead();
            yield return entry;
        }
    }

    public Task<UpsertOutcome> TryUpsertSubscriptionAsync(Subscription subscription, string? eventId, CancellationToken cancellationToken = default) =>
        Write(() => inner.TryUpsertSubscriptionAsync(subscription, eventId, cancellationToken));

    public Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        Write(async () => { await inner.ScheduleAsync(subscriptionId, dueAt, cancellationToken); return true; });

    public Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Write(async () => { await inner.ScheduleManyAsync(entries, cancellationToken); return true; });

    public Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Write(async () => { await inner.RemoveDueManyAsync(entries, cancellationToken); return true; });

    public Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        Write(async () => { await inner.RemoveDueAsync(entry, cancellationToken); return true; });

    public Task<CommitResult> TryApplyResetAsync(Subscription current, AppliedReset reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default) =>
        Write(() => inner.TryApplyResetAsync(current, reset, dueAt, cancellationToken));

    public Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Alive(() => inner.GetResetHistoryAsync(subscriptionId, cancellationToken));

    public Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        Write(async () => { await inner.SaveRunAsync(summary, cancellationToken); return true; });

    private async Task<T> Alive<T>(Func<Task<T>> call)
    {
        ThrowIfDead();
        return await call();
    }

    private async Task<T> Write<T>(Func<Task<T>> write)
    {
        ThrowIfDead();
        if (Interlocked.Increment(ref _writes) == crashAtWrite)
        {
            if (writeLandsBeforeCrash)
            {
                await write();
            }

            _dead = true;
            ThrowIfDead();
        }

        return await write();
    }

    private void ThrowIfDead()
    {
        if (_dead)
        {
            throw new SimulatedCrashException();
        }
    }
}

internal sealed class SimulatedCrashException() : Exception("simulated crash");
