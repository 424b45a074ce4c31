namespace CreditFunctions.Storage;

public enum CommitResult
{
    /// <summary>The balance was set and the reset record inserted, atomically.</summary>
    Applied,

    /// <summary>A reset record for this (subscription, boundary) exists: someone else applied it.</summary>
    AlreadyApplied,

    /// <summary>The subscription changed since it was read (a spender, a webhook): read it again and re-plan.</summary>
    Conflict,
}
