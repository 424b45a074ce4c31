using System.Text.Json;
using Azure.Storage.Queues;
using CreditFunctions.Events;
using Microsoft.Extensions.Configuration;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// The Functions host's listener on the Stripe queue, as far as the tests need it: runs the Stripe work for each message
/// that shows (announcements show 2 s after the write), deletes it when the work succeeds, leaves it when it throws.
/// Later attempts, which the work queues minutes ahead, are run directly (<see cref="AttemptAsync"/>).
/// </summary>
internal static class StripeQueuePump
{
    /// <summary>The settings that give the app a Stripe queue of the test's own.</summary>
    public static Dictionary<string, string?> Settings(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?> { ["Stripe:Queue"] = "st-" + Guid.NewGuid().ToString("N")[..20] };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    public static QueueClient Queue(AppHost app)
    {
        var configuration = app.Services.GetRequiredService<IConfiguration>();
        return CustomerHandOff.Service(configuration).GetQueueClient(configuration["Stripe:Queue"]);
    }

    /// <summary>Runs every message that shows within <paramref name="within"/> (5 s by default); answers how many ran.</summary>
    public static async Task<int> DrainAsync(AppHost app, TimeSpan? within = null)
    {
        var queue = Queue(app);
        await queue.CreateIfNotExistsAsync();
        var work = app.Services.GetRequiredService<global::CreditFunctions.Stripe.StripeWork>();
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(5));
        var ran = 0;
        while (DateTime.UtcNow < until)
        {
            var messages = (await queue.ReceiveMessagesAsync(maxMessages: 16, visibilityTimeout: TimeSpan.FromSeconds(30))).Value;
            if (messages.Length == 0)
            {
                await Task.Delay(200);
                continue;
            }

            foreach (var message in messages)
            {
                ran++;
                try
                {
                    await work.RunAsync(message.Body.ToString(), message.DequeueCount);
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                }
                catch (Exception ex) when (ex is not Xunit.Sdk.XunitException)
                {
                    // Left for the host to try again, as it would.
                    await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: TimeSpan.Zero);
                }
            }
        }

        return ran;
    }

    /// <summary>Runs attempt <paramref name="attempt"/> of a customer's Stripe work, as the message the work queued for it would.</summary>
    public static Task AttemptAsync(AppHost app, string customerId, int attempt, long dequeueCount = 1) =>
        app.Services.GetRequiredService<global::CreditFunctions.Stripe.StripeWork>()
            .RunAsync(JsonSerializer.Serialize(new EventsMessage(customerId, attempt), CreditJson.Options), dequeueCount);
}
