using System.Diagnostics;
using System.Text.Json;
using Azure;
using Azure.Identity;
using Azure.Storage.Queues;
using CreditFunctions.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Events;

/// <summary>
/// The Storage queue that hands a customer's new events to <see cref="Functions.DeliverCreditEvents"/>: in the host's own
/// storage account (<c>AzureWebJobsStorage</c>, as the queue trigger reads it), named by <c>Events:Queue</c>. A message
/// names a customer, never an event: the delivery sends whatever that customer's outbox holds, in order.
/// </summary>
public sealed class EventsHandOff : CustomerHandOff
{
    public EventsHandOff(IOptions<EventsOptions> options, IConfiguration configuration)
        : base(options?.Value.Enabled == true ? Service(configuration).GetQueueClient(options.Value.Queue) : null, options!.Value.AnnounceDelay)
    {
    }

    private EventsHandOff(QueueClient queue, TimeSpan announceDelay)
        : base(queue, announceDelay)
    {
    }

    /// <summary>A hand-off over a queue client made elsewhere (the benchmark's, with its own pipeline policies).</summary>
    public static EventsHandOff Over(QueueClient queue, TimeSpan announceDelay)
    {
        ArgumentNullException.ThrowIfNull(queue);
        return new EventsHandOff(queue, announceDelay);
    }
}

/// <summary>
/// A Storage queue in the host's own storage account that hands a customer's work recorded by a write to a queue-triggered
/// function: announced before the write (shown after a delay), again after a write that landed too late for that
/// (<see cref="IEventAnnouncer"/>), and again later for another attempt. A message names a customer and the attempt
/// (<see cref="EventsMessage"/>), never the work: the function does whatever the customer's stored state holds.
/// </summary>
public abstract class CustomerHandOff : IEventAnnouncer
{
    private readonly QueueClient? _queue;
    private readonly TimeSpan _announceDelay;
    private readonly Lazy<Task> _created;

    protected CustomerHandOff(QueueClient? queue, TimeSpan announceDelay)
    {
        _queue = queue;
        _announceDelay = announceDelay;
        _created = new Lazy<Task>(() => _queue?.CreateIfNotExistsAsync() ?? Task.CompletedTask);
    }

    /// <summary>Whether there is a queue (the work it hands off is on).</summary>
    public bool IsOn => _queue is not null;

    public async Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default)
    {
        if (_queue is null)
        {
            return null;
        }

        var sentAt = Stopwatch.GetTimestamp();
        await SendAsync(new EventsMessage(customerId, 1), _announceDelay, cancellationToken).ConfigureAwait(false);
        return new EventAnnouncement(customerId, sentAt);
    }

    public async Task AfterWriteAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        // The announcement shows itself no sooner than the delay after it was sent: a write that landed well before that
        // is handled by it. One that landed later may have been looked for too early, so it is announced again, now.
        if (_queue is not null && Stopwatch.GetElapsedTime(announcement.SentAt) >= _announceDelay - SafetyMargin(_announceDelay))
        {
            await SendAsync(new EventsMessage(announcement.CustomerId, 1), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How much sooner than the delay a write counts as late: a second, or half the delay when that is shorter.</summary>
    public static TimeSpan SafetyMargin(TimeSpan announceDelay) => TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond, announceDelay.Ticks / 2));

    /// <summary>Another attempt for the customer, after <paramref name="delay"/>.</summary>
    public Task RetryLaterAsync(string customerId, int attempt, TimeSpan delay, CancellationToken cancellationToken = default) =>
        SendAsync(new EventsMessage(customerId, attempt), delay, cancellationToken);

    private async Task SendAsync(EventsMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        await _created.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _queue!.SendMessageAsync(JsonSerializer.Serialize(message, CreditJson.Options), visibilityTimeout: delay, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The host's storage as the queue trigger reads it: a connection string in <c>AzureWebJobsStorage</c> (locally), or
    /// <c>AzureWebJobsStorage__accountName</c> (or <c>__queueServiceUri</c>) with the managed identity of <c>__clientId</c>.
    /// </summary>
    public static QueueServiceClient Service(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        var section = configuration.GetSection("AzureWebJobsStorage");
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new QueueServiceClient(section.Value, options);
        }

        var uri = section["queueServiceUri"] is { Length: > 0 } explicitUri ? new Uri(explicitUri)
            : section["accountName"] is { Length: > 0 } account ? new Uri($"https://{account}.queue.core.windows.net")
            : throw new InvalidOperationException("AzureWebJobsStorage names no storage account (a connection string, or __accountName) for the app's queues.");
        var clientId = section["clientId"];
        Azure.Core.TokenCredential credential = string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        return new QueueServiceClient(uri, credential, options);
    }
}

/// <summary>A queue message of a hand-off (the events queue's and the Stripe queue's): this customer has work; which attempt this is.</summary>
public sealed record EventsMessage(string CustomerId, int Attempt)
{
    /// <summary>The message in a queue message's text; null when it is not one of the app's (not JSON, no customer id, no attempt).</summary>
    public static EventsMessage? Read(string text)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize<EventsMessage>(text, CreditJson.Options) is { } message
                && Stripe.StripeIds.IsCustomer(message.CustomerId) && message.Attempt >= 1
                ? message
                : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
