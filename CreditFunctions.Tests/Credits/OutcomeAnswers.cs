using CreditFunctions.Functions;

namespace CreditFunctions.Tests.Credits;

/// <summary>What the functions answer for a service's outcome: its status and problem type, by the edge's own map.</summary>
internal static class OutcomeAnswers
{
    /// <summary>A spend answers 200, a grant or adjustment 201 (the receipt's kind says which); a refusal its problem's status.</summary>
    public static int Status(this Outcome<CreditsReceipt> outcome) =>
        outcome.Refusal is { } refusal ? CreditsProblems.StatusOf(refusal) : outcome.Value!.Kind == LedgerKind.Spend ? 200 : 201;

    public static int Status<T>(this Outcome<T> outcome)
        where T : class => outcome.Refusal is { } refusal ? CreditsProblems.StatusOf(refusal) : 200;

    public static string? ProblemType<T>(this Outcome<T> outcome)
        where T : class => outcome.Refusal is { } refusal ? CreditsProblems.TypeOf(refusal) : null;
}
