namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// The app's real store with a gate: once armed for a subscription, the next write of its account waits until the test lets it
/// go, so another delivery can land between that writer's read and its write, deterministically.
/// </summary>
internal sealed class GateStore(ICreditStore inner) : DelegatingCreditStore(inner)
{
    private readonly Lock _gate = new();
    private string? _armedFor;
    private TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the armed write has arrived and is being held.</summary>
    public Task Held => _held.Task;

    public void Arm(string subscriptionId)
    {
        lock (_gate)
        {
            _armedFor = subscriptionId;
            _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
            _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Release() => _release.TrySetResult();

    public override async Task<AccountWriteOutcome> TryWriteAccountAsync(AccountWrite write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        Task? wait = null;
        lock (_gate)
        {
            if (_armedFor is { } armed && write.State.Find(armed) is not null)
            {
                _armedFor = null;
                _held.TrySetResult();
                wait = _release.Task;
            }
        }

        if (wait is not null)
        {
            await wait.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        return await Inner.TryWriteAccountAsync(write, cancellationToken);
    }
}
