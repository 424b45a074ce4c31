using System.Runtime.CompilerServices;

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

    public override Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.GetAccountAsync(customerId, cancellationToken));

    public override async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in Inner.ReadDueAsync(asOf, cancellationToken))
        {
            ThrowIfDead();
            yield return entry;
        }
    }

    public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default) =>
        Write(() => Inner.TryWriteAccountAsync(write, cancellationToken));

    public override Task<DueEntry> ScheduleAsync(DueEntry entry, CancellationToken cancellationToken = default) =>
        Write(() => Inner.ScheduleAsync(entry, cancellationToken));

    public override Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Write(() => Inner.ScheduleManyAsync(entries, cancellationToken));

    public override Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.RemoveDueManyAsync(entries, cancellationToken); return true; });

    public override Task RememberCustomerAsync(string subscriptionId, string customerId, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.RememberCustomerAsync(subscriptionId, customerId, cancellationToken); return true; });

    public override Task SaveRunAsync(ResetRunSummary summary, CancellationToken cancellationToken = default) =>
        Write(async () => { await Inner.SaveRunAsync(summary, cancellationToken); return true; });

    public override Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.GetIdempotencyAsync(customerId, key, cancellationToken));

    public override Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.HasEventAsync(customerId, eventId, cancellationToken));

    public override Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Alive(() => Inner.FindCustomerAsync(subscriptionId, cancellationToken));

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
