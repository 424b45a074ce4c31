using CreditFunctions.Events;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>
/// The queue trigger that delivers a customer's events to the SaaS (<see cref="EventDelivery"/>). The platform retries
/// a message that fails (host.json <c>extensions.queues</c>) and moves it to <c>&lt;queue&gt;-poison</c> after its last try.
/// </summary>
public sealed class DeliverCreditEvents(EventDelivery delivery)
{
    [Function(nameof(DeliverCreditEvents))]
    public Task RunAsync([QueueTrigger("%Events:Queue%")] string message, FunctionContext context, CancellationToken cancellationToken)
    {
        return delivery.DeliverAsync(message, QueueTries.Of(context), cancellationToken);
    }
}
