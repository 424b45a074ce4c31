namespace CreditFunctions.Resets;

/// <summary>What started a reset run; recorded on every audit record and run summary.</summary>
public enum ResetTrigger
{
    Timer,
    Manual,
    Webhook,
}
