namespace CreditFunctions.Runs;

/// <summary>
/// A run that failed as a whole before it finished (the due index could not be read, say). <see cref="Summary"/> is what
/// it did until then, all of it committed and recorded; the cause is the inner exception.
/// </summary>
public sealed class ResetRunAbortedException(ResetRunSummary summary, Exception cause)
    : Exception($"Reset run {summary.RunId} aborted after examining {summary.Counts.Examined} subscription(s) (reset {summary.Counts.Reset}, "
        + $"failed {summary.Counts.Failed}): {cause.Message} What it reset stays; the rest is still due.", cause)
{
    public ResetRunSummary Summary { get; } = summary;
}
