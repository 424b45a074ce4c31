namespace CreditFunctions.Storage;

public enum UpsertResult
{
    Applied,

    /// <summary>The event was recorded before: this delivery is a duplicate and nothing was written.</summary>
    DuplicateEvent,

    /// <summary>The row changed (or appeared) since it was read: read again and decide again.</summary>
    Conflict,
}
