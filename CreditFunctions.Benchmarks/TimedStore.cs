using System.Diagnostics;
using System.Runtime.CompilerServices;
using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Scheduling;
using CreditFunctions.Storage;
using CreditFunctions.Tests.Resets;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// The real store with a stopwatch on each kind of call a run makes: index pages, next entries, removals, account reads
/// and commits. Calls overlap (a run keeps up to its parallelism in flight, over several chunks), so each figure is call
/// time summed over concurrent calls: not a share of the run's wall time, but how the store's time divides between the
/// index and the accounts.
/// </summary>
internal sealed class TimedStore(ICreditStore inner) : DelegatingCreditStore(inner)
{
    private readonly Meter _reading = new();
    private readonly Meter _scheduling = new();
    private readonly Meter _removing = new();
    private readonly Meter _accountReads = new();
    private readonly Meter _commits = new();

    public TimeSpan ReadingIndex => _reading.Elapsed;

    public TimeSpan WritingNextEntries => _scheduling.Elapsed;

    public TimeSpan RemovingHandledEntries => _removing.Elapsed;

    public TimeSpan ReadingAccounts => _accountReads.Elapsed;

    public TimeSpan Committing => _commits.Elapsed;

    public override async Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default)
    {
        StoredAccount? account = null;
        await _accountReads.TimeAsync(async () => account = await Inner.GetAccountAsync(customerId, cancellationToken));
        return account;
    }

    public override async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
    {
        AccountWriteOutcome? outcome = null;
        await _commits.TimeAsync(async () => outcome = await Inner.TryWriteAccountAsync(write, cancellationToken));
        return outcome!;
    }

    public override async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var entries = Inner.ReadDueAsync(asOf, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var more = true;
        while (more)
        {
            await _reading.TimeAsync(async () => more = await entries.MoveNextAsync());
            if (more)
            {
                yield return entries.Current;
            }
        }
    }

    public override async Task<IReadOnlyList<DueEntry>> ScheduleManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<DueEntry> written = [];
        await _scheduling.TimeAsync(async () => written = await Inner.ScheduleManyAsync(entries, cancellationToken));
        return written;
    }

    public override Task RemoveDueManyAsync(IReadOnlyCollection<DueEntry> entries, CancellationToken cancellationToken = default) =>
        _removing.TimeAsync(() => Inner.RemoveDueManyAsync(entries, cancellationToken));

    /// <summary>Wall time summed over the calls it wraps.</summary>
    private sealed class Meter
    {
        private long _ticks;

        public TimeSpan Elapsed => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks));

        public async Task TimeAsync(Func<Task> work)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await work();
            }
            finally
            {
                Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - started);
            }
        }
    }
}
