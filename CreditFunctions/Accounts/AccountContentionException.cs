namespace CreditFunctions.Accounts;

/// <summary>A customer's account kept changing under a write for all its attempts: the change was not made; retry it.</summary>
public sealed class AccountContentionException(string customerId, int attempts)
    : Exception($"The account of {customerId} kept changing during {attempts} write attempts; nothing was changed by this one. Retry it.")
{
    public string CustomerId { get; } = customerId;
}
