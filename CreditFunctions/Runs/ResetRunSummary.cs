using CreditFunctions.Resets;

namespace CreditFunctions.Runs;

/// <summary>What one run did: answered by the HTTP twin, logged by the timer, stored as a run record.</summary>
public sealed record ResetRunSummary
{
    public required string RunId { get; init; }
    public required ResetTrigger Trigger { get; init; }
    public required DateTimeOffset AsOf { get; init; }
    public required bool DryRun { get; init; }
    /// <summary>The one subscription a run was asked for; null for a run over everything due or over a customer.</summary>
    public string? SubscriptionId { get; init; }

    /// <summary>The customer a run was asked for (with or without one of its subscriptions); null for a run over everything due.</summary>
    public string? CustomerId { get; init; }
    public required ResetCounts Counts { get; init; }

    /// <summary>Each skipped subscription and why (up to <see cref="ResetRunRecorder.MaxListed"/>).</summary>
    public required IReadOnlyList<SkippedSubscription> Skipped { get; init; }

    /// <summary>On a dry run, each reset the run would apply (up to <see cref="ResetRunRecorder.MaxListed"/>).</summary>
    public required IReadOnlyList<PlannedReset> PlannedResets { get; init; }

    /// <summary>Each subscription whose reset failed and what kind of failure it was (up to <see cref="ResetRunRecorder.MaxListed"/>).</summary>
    public IReadOnlyList<FailedSubscription> Failures { get; init; } = [];

    /// <summary>True when the list fields were cut at <see cref="ResetRunRecorder.MaxListed"/> entries; the counts are always whole.</summary>
    public bool ListsTruncated { get; init; }

    /// <summary>True when the run stopped at its time budget with due entries left; the next call or run picks them up.</summary>
    public required bool Remaining { get; init; }

    /// <summary>
    /// True when the run itself failed before it finished (the due index could not be read, say): the counts are what it
    /// did until then, all of it committed; what it did not reach is still due.
    /// </summary>
    public bool Aborted { get; init; }
    public required TimeSpan Duration { get; init; }
}

public sealed record ResetCounts(int Examined, int Reset, IReadOnlyDictionary<string, int> SkippedByReason, int Failed)
{
    public int Skipped => SkippedByReason.Values.Sum();
}

public sealed record SkippedSubscription(string SubscriptionId, string Reason);

/// <summary>A subscription whose reset failed in a run, and the kind of failure (one of <see cref="Storage.StoreFailure"/>'s labels).</summary>
public sealed record FailedSubscription(string SubscriptionId, string Error);
