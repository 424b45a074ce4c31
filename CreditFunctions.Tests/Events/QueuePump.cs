using Azure.Storage.Queues;
using CreditFunctions.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Tests.Events;

/// <summary>
/// The Functions host's queue listener, as far as the tests need it: takes each visible message of the events queue,
/// runs the delivery function's work with the message's dequeue count, deletes the message when it succeeds, leaves it
/// to show again when it fails, and moves it to the poison queue after the host's last try.
/// </summary>
internal static class QueuePump
{
    public static QueueClient Queue(AppHost app, string suffix = "")
    {
        var options = app.Services.GetRequiredService<IOptions<EventsOptions>>().Value;
        return EventsHandOff.Service(app.Services.GetRequiredService<IConfiguration>()).GetQueueClient(options.Queue + suffix);
    }

    /// <summary>Pumps as the host listens, until <paramref name="stop"/> is cancelled: for a client running beside the app.</summary>
    public static async Task RunAsync(AppHost app, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            await DrainAsync(app, TimeSpan.FromSeconds(5));
            await Task.Delay(200, CancellationToken.None);
        }
    }

    /// <summary>Pumps until the queue holds no message (visible or hidden) or <paramref name="within"/> passes.</summary>
    public static async Task DrainAsync(AppHost app, TimeSpan? within = null)
    {
        var queue = Queue(app);
        var poison = Queue(app, "-poison");
        await queue.CreateIfNotExistsAsync();
        var delivery = app.Services.GetRequiredService<EventDelivery>();
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        while (DateTime.UtcNow < until)
        {
            var messages = (await queue.ReceiveMessagesAsync(maxMessages: 16, visibilityTimeout: TimeSpan.FromSeconds(1))).Value;
            if (messages.Length == 0)
            {
                if ((await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0)
                {
                    return;
                }

                await Task.Delay(100);
                continue;
            }

            foreach (var message in messages)
            {
                try
                {
                    await delivery.DeliverAsync(message.Body.ToString(), message.DequeueCount);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                catch (EventDeliveryFailedException) when (message.DequeueCount >= EventDelivery.HostMaxDequeueCount)
                {
                    await poison.CreateIfNotExistsAsync();
                    await poison.SendMessageAsync(message.Body);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                catch (EventDeliveryFailedException)
                {
                    // Left to show again after its visibility timeout, as the host does.
                }
            }
        }
    }
}
