namespace CreditFunctions.Runs;

/// <summary>The handler's answer: a summary, or why what the request named cannot be run.</summary>
public sealed record ResetRunResult
{
    public ResetRunSummary? Summary { get; private init; }

    /// <summary>What the request named that is not there: set when nothing ran.</summary>
    public NamedMissing? Missing { get; private init; }

    public static ResetRunResult Completed(ResetRunSummary summary) => new() { Summary = summary };

    public static ResetRunResult NotFound(NamedMissing missing) => new() { Missing = missing };
}

/// <summary>
/// A run named a customer or subscription that is not stored, or a subscription that is stored but belongs to another
/// customer than the one named (<see cref="OwnerId"/>).
/// </summary>
public sealed record NamedMissing(string Id, string? CustomerId = null, string? OwnerId = null);
