using System.Text.Json;
using CreditFunctions.Storage;
using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Events;

/// <summary>
/// Delivers one customer's pending events, in order, for one queue message: each batch the outbox holds, each event of
/// it not yet taken, posted signed; a batch goes once all of it was taken. When the receiver fails, how far it got is
/// kept and another attempt is queued after a growing wait (<see cref="EventsOptions.Backoff"/>); past
/// <see cref="EventsOptions.MaxAttempts"/> the message fails, the host tries it <see cref="HostMaxDequeueCount"/> times
/// more and then moves it to the poison queue. Nothing is lost meanwhile: the events stay in the outbox, and the
/// customer's next change delivers them, in order, before its own.
/// </summary>
public sealed partial class EventDelivery(
    ICreditStore store, EventSender sender, EventsHandOff queue, CreditMetrics metrics, IOptions<EventsOptions> options, ILogger<EventDelivery> logger)
{
    /// <summary>host.json's <c>extensions.queues.maxDequeueCount</c>: the host's tries of one message before the poison queue.</summary>
    public const int HostMaxDequeueCount = 5;

    private readonly EventsOptions _options = options.Value;

    public async Task DeliverAsync(string messageText, long dequeueCount, CancellationToken cancellationToken = default)
    {
        if (EventsMessage.Read(messageText) is not { } message)
        {
            NotAMessage(logger, messageText.Length > 200 ? messageText[..200] : messageText);
            return; // Not ours to deliver: dropping it loses nothing (the outbox is the truth).
        }

        if (!_options.Enabled)
        {
            EventsOff(logger, message.CustomerId);
            return;
        }

        try
        {
            await DeliverOutboxAsync(message, dequeueCount, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not EventDeliveryFailedException && ex is not OperationCanceledException && dequeueCount >= HostMaxDequeueCount)
        {
            // The store (or anything else) failed on the host's last try: the message goes to the poison queue all the same,
            // and the poison metric and its alert must see it.
            metrics.EventPoisoned();
            DeliveryPoisonedByFailure(logger, message.CustomerId, dequeueCount, ex.GetType().Name, ex.Message);
            throw;
        }
    }

    private async Task DeliverOutboxAsync(EventsMessage message, long dequeueCount, CancellationToken cancellationToken)
    {
        foreach (var batch in await store.GetOutboxAsync(message.CustomerId, cancellationToken).ConfigureAwait(false))
        {
            var delivered = batch.DeliveredThrough;
            foreach (var outgoing in batch.Events.Where(e => e.Sequence > batch.DeliveredThrough))
            {
                if (await sender.SendAsync(outgoing, cancellationToken).ConfigureAwait(false) is { } failure)
                {
                    if (delivered > batch.DeliveredThrough)
                    {
                        await store.MarkOutboxAsync(batch, delivered, cancellationToken).ConfigureAwait(false);
                    }

                    await FailedAsync(message, dequeueCount, outgoing, failure, cancellationToken).ConfigureAwait(false);
                    return;
                }

                delivered = outgoing.Sequence;
                // Wall time against the store's own stamp of the write: commit to delivery.
                metrics.EventDelivered(outgoing.Type, TimeProvider.System.GetUtcNow() - batch.RecordedAt);
            }

            await store.CompleteOutboxAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task FailedAsync(EventsMessage message, long dequeueCount, OutboxEvent outgoing, string failure, CancellationToken cancellationToken)
    {
        if (message.Attempt < _options.MaxAttempts)
        {
            var wait = _options.Backoff(message.Attempt + 1);
            await queue.RetryLaterAsync(message.CustomerId, message.Attempt + 1, wait, cancellationToken).ConfigureAwait(false);
            metrics.EventRetried();
            DeliveryRetried(logger, outgoing.Id, message.CustomerId, message.Attempt, failure, wait);
            return;
        }

        if (dequeueCount >= HostMaxDequeueCount)
        {
            metrics.EventPoisoned();
            DeliveryPoisoned(logger, outgoing.Id, message.CustomerId, message.Attempt, failure);
        }

        throw new EventDeliveryFailedException(message.CustomerId, outgoing.Id, failure);
    }

    [LoggerMessage(3000, LogLevel.Warning, "Event {EventId} of {CustomerId} was not delivered on attempt {Attempt} ({Failure}); trying again in {Wait}")]
    private static partial void DeliveryRetried(ILogger logger, string eventId, string customerId, int attempt, string failure, TimeSpan wait);

    [LoggerMessage(3001, LogLevel.Error, "Event {EventId} of {CustomerId} was not delivered after {Attempt} attempts ({Failure}); its message goes to the poison queue. The events stay in the outbox and go with the customer's next change, or requeue the message")]
    private static partial void DeliveryPoisoned(ILogger logger, string eventId, string customerId, int attempt, string failure);

    [LoggerMessage(3004, LogLevel.Error, "The events of {CustomerId} could not be delivered on the host's try {DequeueCount} ({ExceptionType}: {Failure}); its message goes to the poison queue. The events stay in the outbox and go with the customer's next change, or requeue the message")]
    private static partial void DeliveryPoisonedByFailure(ILogger logger, string customerId, long dequeueCount, string exceptionType, string failure);

    [LoggerMessage(3002, LogLevel.Warning, "A message on the events queue is not one of ours and was dropped: {Message}")]
    private static partial void NotAMessage(ILogger logger, string message);

    [LoggerMessage(3003, LogLevel.Information, "Events are off (no Events:WebhookUrl): the message for {CustomerId} was dropped")]
    private static partial void EventsOff(ILogger logger, string customerId);
}

/// <summary>A customer's events could not be delivered after every attempt: the host retries the message, then poisons it.</summary>
public sealed class EventDeliveryFailedException(string customerId, string eventId, string failure)
    : Exception($"Event {eventId} of {customerId} could not be delivered: {failure}. It stays in the outbox.");
