using System.Diagnostics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// A network round trip in front of every request a client sends (retries included): what a request from a function to
/// Table Storage in Azure costs beyond the store's own work, which a store on 127.0.0.1 does not. Added to every client
/// the benchmark measures, the engine's, the naive cron's and the yardsticks' alike.
/// </summary>
/// <remarks>
/// <c>Task.Delay</c> cannot wait 5 ms on this kind of machine: its timer rounds up to about 4 ms steps (5 ms waits 8 ms).
/// A clock thread that wakes every millisecond releases the waiters whose time has come instead, so a 5 ms round trip
/// waits 5 to 6 ms; the mean actually waited is measured and printed.
/// </remarks>
internal sealed class RoundTrip : HttpPipelinePolicy, IDisposable
{
    private readonly long _ticks;
    private readonly PriorityQueue<TaskCompletionSource, long> _waiting = new();
    private readonly Lock _gate = new();
    private readonly Thread _clock;
    private volatile bool _stopped;
    private long _waits;
    private long _waitedTicks;

    public RoundTrip(TimeSpan delay)
    {
        Delay = delay;
        _ticks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        _clock = new Thread(Tick) { IsBackground = true, Name = "round-trip clock" };
        _clock.Start();
    }

    public TimeSpan Delay { get; }

    /// <summary>The mean time requests actually waited.</summary>
    public TimeSpan MeanWaited => Interlocked.Read(ref _waits) == 0 ? TimeSpan.Zero
        : TimeSpan.FromSeconds((double)Interlocked.Read(ref _waitedTicks) / Interlocked.Read(ref _waits) / Stopwatch.Frequency);

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await WaitAsync().ConfigureAwait(false);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        WaitAsync().GetAwaiter().GetResult();
        ProcessNext(message, pipeline);
    }

    public static string Label(TimeSpan rtt) => rtt == TimeSpan.Zero ? "0 ms" : $"{rtt.TotalMilliseconds:0.#} ms";

    public void Dispose()
    {
        _stopped = true;
        _clock.Join();
    }

    private async Task WaitAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _waiting.Enqueue(waiter, started + _ticks);
        }

        await waiter.Task.ConfigureAwait(false);
        Interlocked.Increment(ref _waits);
        Interlocked.Add(ref _waitedTicks, Stopwatch.GetTimestamp() - started);
    }

    private void Tick()
    {
        while (!_stopped)
        {
            Thread.Sleep(1);
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                while (_waiting.TryPeek(out var waiter, out var due) && due <= now)
                {
                    _waiting.Dequeue();
                    waiter.TrySetResult();
                }
            }
        }

        lock (_gate)
        {
            while (_waiting.TryDequeue(out var waiter, out _))
            {
                waiter.TrySetResult();
            }
        }
    }
}
