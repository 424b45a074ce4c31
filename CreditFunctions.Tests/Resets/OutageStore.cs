using System.Runtime.CompilerServices;
using Azure;

namespace CreditFunctions.Tests.Resets;

/// <summary>
/// A real store that can be made to fail as Azure Table Storage does: every call while <see cref="Failure"/> is set; only
/// the account reads and writes of the customers in <see cref="FailingCustomers"/> (each with its own failure); or the
/// due index's read after <see cref="DueReadsBeforeFailure"/> entries.
/// </summary>
internal class OutageStore(ICreditStore inner) : DelegatingCreditStore(inner)
{
    /// <summary>No answer at all: what the SDK throws once its retries give up on the network.</summary>
    public static RequestFailedException Unreachable() => new(0, "Connection refused (127.0.0.1:10002)");

    public static RequestFailedException Denied() =>
        new(403, "This request is not authorized to perform this operation using this permission.", "AuthorizationPermissionMismatch", null);

    public Exception? Failure { get; set; }

    public Dictionary<string, Func<Exception>> FailingCustomers { get; } = new(StringComparer.Ordinal);

    /// <summary>When set, reading the due index fails with <see cref="Unreachable"/> after this many entries.</summary>
    public int? DueReadsBeforeFailure { get; set; }

    public override Task<StoredAccount?> GetAccountAsync(string customerId, CancellationToken cancellationToken = default) =>
        Check<StoredAccount?>(customerId) ?? base.GetAccountAsync(customerId, cancellationToken);

    public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default) =>
        Check<AccountWriteOutcome>(write.State.CustomerId) ?? base.TryWriteAccountAsync(write, cancellationToken);

    public override Task<IdempotencyRecord?> GetIdempotencyAsync(string customerId, string key, CancellationToken cancellationToken = default) =>
        Check<IdempotencyRecord?>(customerId) ?? base.GetIdempotencyAsync(customerId, key, cancellationToken);

    public override Task<bool> HasEventAsync(string customerId, string eventId, CancellationToken cancellationToken = default) =>
        Check<bool>(customerId) ?? base.HasEventAsync(customerId, eventId, cancellationToken);

    public override Task<string?> FindCustomerAsync(string subscriptionId, CancellationToken cancellationToken = default) =>
        Check<string?>(null) ?? base.FindCustomerAsync(subscriptionId, cancellationToken);

    public override async IAsyncEnumerable<DueEntry> ReadDueAsync(DateTimeOffset asOf, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Failure is { } failure)
        {
            throw failure;
        }

        var read = 0;
        await foreach (var entry in base.ReadDueAsync(asOf, cancellationToken))
        {
            if (read++ == DueReadsBeforeFailure)
            {
                throw Unreachable();
            }

            yield return entry;
        }
    }

    private Task<T>? Check<T>(string? customerId) =>
        Failure is { } failure ? Task.FromException<T>(failure)
        : customerId is not null && FailingCustomers.TryGetValue(customerId, out var customerFailure) ? Task.FromException<T>(customerFailure())
        : null;
}
