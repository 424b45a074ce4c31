namespace CreditFunctions.Resets;

/// <summary>What started a reset; recorded on every audit record and run summary.</summary>
public enum ResetTrigger
{
    Timer,
    Manual,
    Webhook,

    /// <summary>The back-fill of subscriptions that existed in Stripe before the app (<c>POST /api/stripe/import</c>).</summary>
    Import,

    /// <summary>A credits API call (read, spend, grant) that found a boundary due and applied it on the spot.</summary>
    Api,
}
