using Azure.Core;
using Azure.Core.Pipeline;

namespace CreditFunctions.Benchmarks;

/// <summary>
/// A network round trip in front of every request a client sends (retries included): what a request from a function to
/// Table Storage in Azure costs beyond the store's own work, which a store on 127.0.0.1 does not. Added to every client
/// the benchmark measures, the engine's, the naive cron's and the yardsticks' alike.
/// </summary>
internal sealed class RoundTrip(TimeSpan delay) : HttpPipelinePolicy
{
    public TimeSpan Delay { get; } = delay;

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await Task.Delay(Delay, message.CancellationToken).ConfigureAwait(false);
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        Thread.Sleep(Delay);
        ProcessNext(message, pipeline);
    }

    public static string Label(TimeSpan rtt) => rtt == TimeSpan.Zero ? "0 ms" : $"{rtt.TotalMilliseconds:0.#} ms";
}
