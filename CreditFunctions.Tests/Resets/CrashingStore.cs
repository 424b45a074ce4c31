using System.Runtime.CompilerServices;
using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Tests.Resets;

/// <summary>
/// Wraps a real store and "kills the process" at the N-th write: that write either never happens or happens with
/// its answer lost, and every call after it fails, as if the instance had died.
/// </summary>
internal sealed class CrashingStore(ICreditStore inner, int crashAtWrite, bool writeLandsBeforeCrash) : DelegatingCreditStore(inner)
{
    private int _writes;
    private volatile bool _dead;

    public bool Crashed => _dead;

    public override Task<Subscription?> GetSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.GetSubscriptionAsync(subscriptionId, cancellationToken));

    public override async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in Inner.ReadDueAsync(asOf, cancellationToken))
        {
            ThrowIfDead();
            yield return entry;
        }
    }

    public override Task<UpsertOutcome> TryUpsertSubscriptionAsync(Subscription subscription, string? eventId, CancellationToken cancellationToken = default) =>
        Write(() => Inner.TryUpsertSubscriptionAsync(subscription, eventId, cancellationToken));

    public override Task ScheduleAsync(string subscriptionId, DateTimeOffset dueAt, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.ScheduleAsync(subscriptionId, dueAt, cancellationToken); return true; });

    public override Task ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.ScheduleManyAsync(entries, cancellationToken); return true; });

    public override Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.RemoveDueManyAsync(entries, cancellationToken); return true; });

    public override Task RemoveDueAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.RemoveDueAsync(entry, cancellationToken); return true; });

    public override Task<CommitResult> TryCommitAsync(Subscription current, AppliedReset? reset, DateTimeOffset? dueAt, CancellationToken cancellationToken = default) =>
        Write(() => Inner.TryCommitAsync(current, reset, dueAt, cancellationToken));

    public override Task<bool> HasEventAsync(string subscriptionId, string eventId, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.HasEventAsync(subscriptionId, eventId, cancellationToken));

    public override Task<IReadOnlyList<AppliedReset>> GetResetHistoryAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.GetResetHistoryAsync(subscriptionId, cancellationToken));

    public override Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.SaveRunAsync(summary, cancellationToken); return true; });

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
