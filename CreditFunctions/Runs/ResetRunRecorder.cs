using CreditFunctions.Resets;

namespace CreditFunctions.Runs;

/// <summary>Collects a run's outcomes from concurrent workers and freezes them into a <see cref="ResetRunSummary"/>.</summary>
internal sealed class ResetRunRecorder
{
    /// <summary>Lists in a summary stop here so a response and a run record stay small; counts stay exact.</summary>
    public const int MaxListed = 1000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _skippedByReason = new(StringComparer.Ordinal);
    private readonly List<SkippedSubscription> _skipped = [];
    private readonly List<PlannedReset> _planned = [];
    private readonly List<FailedSubscription> _failures = [];
    private int _examined;
    private int _reset;
    private int _failed;
    private bool _truncated;

    public void Examined() => Interlocked.Increment(ref _examined);

    public int ExaminedCount => Volatile.Read(ref _examined);

    public void Reset() => Interlocked.Increment(ref _reset);

    public void Failed(string subscriptionId, string error)
    {
        Interlocked.Increment(ref _failed);
        lock (_gate)
        {
            Add(_failures, new FailedSubscription(subscriptionId, error));
        }
    }

    public void Skipped(string subscriptionId, string reason)
    {
        lock (_gate)
        {
            _skippedByReason[reason] = _skippedByReason.GetValueOrDefault(reason) + 1;
            Add(_skipped, new SkippedSubscription(subscriptionId, reason));
        }
    }

    public void Planned(PlannedReset reset)
    {
        Interlocked.Increment(ref _reset);
        lock (_gate)
        {
            Add(_planned, reset);
        }
    }

    public ResetRunSummary ToSummary(
        string runId, ResetTrigger trigger, DateTimeOffset asOf, bool dryRun, string? subscriptionId, string? customerId, bool remaining, TimeSpan duration, bool aborted = false)
    {
        lock (_gate)
        {
            return new ResetRunSummary
            {
                RunId = runId,
                Trigger = trigger,
                AsOf = asOf,
                DryRun = dryRun,
                SubscriptionId = subscriptionId,
                CustomerId = customerId,
                Counts = new ResetCounts(
                    _examined,
                    _reset,
                    new SortedDictionary<string, int>(_skippedByReason, StringComparer.Ordinal),
                    _failed),
                Skipped = [.. _skipped.OrderBy(s => s.SubscriptionId, StringComparer.Ordinal)],
                PlannedResets = [.. _planned.OrderBy(p => p.SubscriptionId, StringComparer.Ordinal)],
                Failures = [.. _failures.OrderBy(f => f.SubscriptionId, StringComparer.Ordinal)],
                Aborted = aborted,
                ListsTruncated = _truncated,
                Remaining = remaining,
                Duration = duration,
            };
        }
    }

    private void Add<T>(List<T> list, T item)
    {
        if (list.Count < MaxListed)
        {
            list.Add(item);
        }
        else
        {
            _truncated = true;
        }
    }
}
