using Azure.Core;
using Azure.Core.Pipeline;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// Counts the HTTP requests the store clients send (retries included): the work a run asks of the store, which does
/// not depend on how fast the emulator happens to serve it.
/// </summary>
internal sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    /// <summary>Runs <paramref name="work"/> and returns how many requests were sent while it ran.</summary>
    public async Task<(T Result, long Requests)> MeasureAsync<T>(Func<Task<T>> work)
    {
        var before = Count;
        var result = await work().ConfigureAwait(false);
        return (result, Count - before);
    }
}
