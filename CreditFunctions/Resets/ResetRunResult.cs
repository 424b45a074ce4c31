namespace CreditFunctions.Resets;

/// <summary>The handler's answer: a summary, or the named subscription does not exist.</summary>
public sealed record ResetRunResult
{
    public ResetRunSummary? Summary { get; private init; }
    public string? MissingSubscriptionId { get; private init; }

    public static ResetRunResult Completed(ResetRunSummary summary) => new() { Summary = summary };

    public static ResetRunResult SubscriptionNotFound(string subscriptionId) => new() { MissingSubscriptionId = subscriptionId };
}
