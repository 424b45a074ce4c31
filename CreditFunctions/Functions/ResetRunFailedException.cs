using CreditFunctions.Resets;
using CreditFunctions.Runs;

namespace CreditFunctions.Functions;

/// <summary>Raised by the timer after a run in which some subscriptions failed, so the invocation is marked failed.</summary>
public sealed class ResetRunFailedException(ResetRunSummary summary)
    : Exception($"Reset run {summary.RunId} failed for {summary.Counts.Failed} subscription(s) "
        + $"(reset {summary.Counts.Reset}, skipped {summary.Counts.Skipped}); they stay due and the next run retries them.")
{
    public ResetRunSummary Summary { get; } = summary;
}
