namespace CreditFunctions.Credits;

/// <summary>The documented bounds of the credits API's input (docs/credits-api.md); the account's own are <see cref="Accounts.AccountLimits"/>.</summary>
public static class CreditsLimits
{
    public const int MaxIdempotencyKeyLength = 200;
    public const int MaxReasonLength = 500;
    public const int MaxMetadataEntries = 20;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;

    /// <summary>Request bodies are a few hundred bytes; anything bigger than this is refused before it is parsed.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    public const int DefaultLedgerPage = 25;
    public const int MaxLedgerPage = 100;
}
