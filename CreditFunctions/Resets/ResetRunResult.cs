namespace CreditFunctions.Resets;

/// <summary>The handler's answer: a summary, or what the request named does not exist.</summary>
public sealed record ResetRunResult
{
    public ResetRunSummary? Summary { get; private init; }

    /// <summary>The subscription or customer the request named, when it is not stored.</summary>
    public string? Missing { get; private init; }

    public static ResetRunResult Completed(ResetRunSummary summary) => new() { Summary = summary };

    public static ResetRunResult NotFound(string id) => new() { Missing = id };
}
