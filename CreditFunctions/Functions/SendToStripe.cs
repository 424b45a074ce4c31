using CreditFunctions.Stripe;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>
/// The queue trigger that carries out a customer's work for Stripe (<see cref="StripeWork"/>): the auto top-up in flight
/// and overage waiting to be reported. The platform retries a message that throws (host.json <c>extensions.queues</c>)
/// and moves it to <c>&lt;queue&gt;-poison</c> after its last try; Stripe being unreachable is retried by the work itself.
/// </summary>
public sealed class SendToStripe(StripeWork work)
{
    [Function(nameof(SendToStripe))]
    public Task RunAsync([QueueTrigger("%Stripe:Queue%")] string message, FunctionContext context, CancellationToken cancellationToken)
    {
        return work.RunAsync(message, QueueTries.Of(context), cancellationToken);
    }
}
