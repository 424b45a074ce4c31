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
public sealed class EventsHandOff : IEventAnnouncer
{
    private readonly QueueClient? _queue;
    private readonly TimeSpan _announceDelay;
    private readonly Lazy<Task> _created;

    public EventsHandOff(IOptions<EventsOptions> options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        _announceDelay = options.Value.AnnounceDelay;
        if (options.Value.Enabled)
        {
            _queue = Service(configuration).GetQueueClient(options.Value.Queue);
        }

        _created = new Lazy<Task>(() => _queue?.CreateIfNotExistsAsync() ?? Task.CompletedTask);
    }

    public async Task<EventAnnouncement?> AnnounceAsync(string customerId, CancellationToken cancellationToken = default)
    {
        if (_queue is null)
        {
            return null;
        }

        var receipt = await SendAsync(new EventsMessage(customerId, 1), _announceDelay, cancellationToken).ConfigureAwait(false);
        return new EventAnnouncement(receipt.MessageId, receipt.PopReceipt);
    }

    public async Task RevealAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        try
        {
            await _queue!.UpdateMessageAsync(announcement.MessageId, announcement.PopReceipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already taken (its delay passed during a very slow write): it was delivered or is being delivered.
        }
    }

    public async Task CancelAsync(EventAnnouncement announcement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(announcement);
        try
        {
            await _queue!.DeleteMessageAsync(announcement.MessageId, announcement.PopReceipt, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Already taken: its delivery finds nothing new and ends.
        }
    }

    /// <summary>Another delivery attempt for the customer, after <paramref name="delay"/>.</summary>
    public Task RetryLaterAsync(string customerId, int attempt, TimeSpan delay, CancellationToken cancellationToken = default) =>
        SendAsync(new EventsMessage(customerId, attempt), delay, cancellationToken);

    private async Task<Azure.Storage.Queues.Models.SendReceipt> SendAsync(EventsMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        await _created.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        var response = await _queue!.SendMessageAsync(JsonSerializer.Serialize(message, CreditJson.Options), visibilityTimeout: delay, cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        return response.Value;
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
            : throw new InvalidOperationException("Events are on, but AzureWebJobsStorage names no storage account (a connection string, or __accountName) for their queue.");
        var clientId = section["clientId"];
        Azure.Core.TokenCredential credential = string.IsNullOrWhiteSpace(clientId)
            ? new DefaultAzureCredential()
            : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        return new QueueServiceClient(uri, credential, options);
    }
}

/// <summary>A queue message: deliver this customer's pending events; which attempt this is.</summary>
public sealed record EventsMessage(string CustomerId, int Attempt);
