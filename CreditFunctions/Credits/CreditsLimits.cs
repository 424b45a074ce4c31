namespace CreditFunctions.Credits;

/// <summary>The documented bounds of the credits API (README, "Credits API").</summary>
public static class CreditsLimits
{
    /// <summary>The largest amount one spend, grant or adjustment may move.</summary>
    public const long MaxAmount = 1_000_000_000;

    public const int MaxIdempotencyKeyLength = 200;
    public const int MaxReasonLength = 500;
    public const int MaxMetadataEntries = 20;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;

    /// <summary>Open granted buckets one customer may hold (spent and expired ones do not count).</summary>
    public const int MaxOpenGrants = 1000;

    /// <summary>Request bodies are a few hundred bytes; anything bigger than this is refused before it is parsed.</summary>
    public const int MaxBodyBytes = 16 * 1024;

    public const int DefaultLedgerPage = 25;
    public const int MaxLedgerPage = 100;
}
