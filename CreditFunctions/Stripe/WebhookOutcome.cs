namespace CreditFunctions.Stripe;

/// <summary>What a verified event did, as answered to Stripe (200) and logged.</summary>
public sealed record WebhookOutcome(string EventId, string EventType, string Result, string? SubscriptionId = null, string? Detail = null);
