using Azure;
using CreditFunctions.Storage;

namespace CreditFunctions.Tests.Stripe;

/// <summary>The real store, except that account writes matching <see cref="FailWhen"/> fail as Table Storage's 503 would, <see cref="Failures"/> times.</summary>
internal sealed class FailingWritesStore(ICreditStore inner) : DelegatingCreditStore(inner)
{
    private int _failures;

    public Func<AccountWrite, bool>? FailWhen { get; set; }

    public int Failures { get => _failures; set => _failures = value; }

    public override Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        return FailWhen?.Invoke(write) == true && Interlocked.Decrement(ref _failures) >= 0
            ? throw new RequestFailedException(503, "Server busy")
            : Inner.TryWriteAccountAsync(write, cancellationToken);
    }
}
