using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>The verdict on one webhook delivery: a verified event, or why it was refused.</summary>
public sealed record WebhookVerification
{
    public Event? Event { get; private init; }
    public string? ProblemTitle { get; private init; }
    public string? ProblemDetail { get; private init; }

    public static WebhookVerification Verified(Event stripeEvent) => new() { Event = stripeEvent };

    public static WebhookVerification Refused(string title, string detail) => new() { ProblemTitle = title, ProblemDetail = detail };
}
