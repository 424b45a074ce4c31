using CreditFunctions.Subscriptions;

namespace CreditFunctions.Resets;

/// <summary>
/// Who is resetting and as of when, and how to decide again if the subscription changes under the commit: the
/// in-period rule for runs, the renewal rule for a paid period.
/// </summary>
/// <param name="RunId">The run's id, or the Stripe event's for a webhook reset; recorded on every reset.</param>
/// <param name="Replan">The same rule that made the first decision, applied to a copy read again after a conflict.</param>
public sealed record ResetJob(string RunId, ResetTrigger Trigger, DateTimeOffset AsOf, bool DryRun, Func<Subscription, ResetDecision> Replan);
