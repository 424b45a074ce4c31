namespace CreditFunctions.Resets;

/// <summary>Who is resetting, as of when, and under which policy; the resetter decides again with it after a conflict.</summary>
/// <param name="RunId">The run's id, or the Stripe event's for a webhook reset; recorded on every reset.</param>
/// <param name="RecordOnly">
/// Record the due boundary as given without changing the balance: an import that brings in subscriptions whose current
/// allowance was already handed out by whatever ran before.
/// </param>
public sealed record ResetJob(string RunId, ResetTrigger Trigger, DateTimeOffset AsOf, bool DryRun, ResetPolicy Policy, bool RecordOnly = false)
{
    public ResetDecision Decide(Subscriptions.Subscription subscription) => ResetPlanner.Plan(subscription, AsOf, Policy);
}
