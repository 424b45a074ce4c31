namespace CreditFunctions.Runs;

/// <summary>
/// How a run walks the due index: in chunks of <see cref="Size"/> entries, up to <see cref="InFlight"/> at once, sharing
/// the run's <see cref="StoreSlots"/>. While one chunk waits for its slowest read or its batched index writes, the next
/// one's reads and commits use the slots it leaves free, so a run keeps its requests in flight the way a plain loop of
/// reads and commits would, round trips and all.
/// </summary>
internal static class RunChunks
{
    /// <summary>Index writes are batched per chunk; 100 is also Azure's limit on operations in one batch.</summary>
    public const int Size = 100;

    /// <summary>Chunks handled at once (a few hundred entries in memory at most).</summary>
    public const int InFlight = 3;

    /// <summary>
    /// Hands the entries <paramref name="take"/> accepts to <paramref name="process"/> in chunks, overlapping; stops
    /// reading once a chunk reports that the time budget ran out. No chunk outlives the call, whatever stops it.
    /// </summary>
    /// <param name="process">Handles a chunk; false when the time budget ran out.</param>
    /// <returns>Whether entries were left when the time budget ran out.</returns>
    public static async Task<bool> DrainAsync<T>(IAsyncEnumerable<T> entries, Func<T, bool> take, Func<List<T>, Task<bool>> process)
    {
        var running = new List<Task<bool>>(InFlight);
        var outOfTime = false;
        try
        {
            var chunk = new List<T>(Size);
            await foreach (var entry in entries.ConfigureAwait(false))
            {
                if (!take(entry))
                {
                    continue;
                }

                chunk.Add(entry);
                if (chunk.Count < Size)
                {
                    continue;
                }

                running.Add(process([.. chunk]));
                chunk.Clear();
                if (running.Count == InFlight && !await OneFinishedAsync(running).ConfigureAwait(false))
                {
                    outOfTime = true;
                    break;
                }
            }

            if (!outOfTime && chunk.Count > 0)
            {
                running.Add(process(chunk));
            }

            while (running.Count > 0)
            {
                outOfTime |= !await OneFinishedAsync(running).ConfigureAwait(false);
            }

            return outOfTime;
        }
        finally
        {
            // Whatever stopped the reading (the index unreadable, a cancellation), every chunk started has ended.
            await Task.WhenAll(running).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    private static async Task<bool> OneFinishedAsync(List<Task<bool>> running)
    {
        var done = await Task.WhenAny(running).ConfigureAwait(false);
        running.Remove(done);
        return await done.ConfigureAwait(false);
    }
}

/// <summary>A run's store slots: at most <see cref="ResetOptions.MaxParallelism"/> store calls in flight, whichever chunk makes them.</summary>
internal sealed class StoreSlots(int count) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(count);

    /// <summary>Waits for a free slot; disposing the answer gives it back.</summary>
    public async Task<IDisposable> TakeAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Releaser(_slots);
    }

    public void Dispose() => _slots.Dispose();

    private sealed class Releaser(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
