using System.Text.Json;
using Azure.Data.Tables;
using CreditFunctions.Accounts;

namespace CreditFunctions.Storage;

/// <summary>
/// One save's events for the SaaS, in the customer's partition, written in the same transaction as the change (the
/// outbox): each event's body as it is sent, so every delivery of it carries the same bytes and id. Taken away once
/// delivered; how far delivery got is kept, so a retry resumes after the last event the receiver took.
/// </summary>
internal static class OutboxEntity
{
    private const int EventChunks = 8;

    public static TableEntity From(string customerId, IReadOnlyList<AccountEvent> events)
    {
        var bodies = events.Select(e => new OutboxEvent(e.Id, e.Type, e.Sequence, JsonSerializer.Serialize(EventBody.Of(e), CreditJson.Options))).ToList();
        var entity = new TableEntity(customerId, Keys.OutboxRow(customerId, events[0].Sequence))
        {
            ["First"] = events[0].Sequence,
            ["Last"] = events[^1].Sequence,
            ["Count"] = events.Count,
            ["DeliveredThrough"] = 0L,
        };
        if (!JsonColumns.TryWrite(entity, "Events", bodies, EventChunks))
        {
            throw new AccountTooLargeException(customerId, "events of one change");
        }

        return entity;
    }

    public static OutboxBatch ToBatch(TableEntity entity) => new(
        entity.PartitionKey,
        entity.GetInt64("First") ?? 0,
        JsonColumns.Read<List<OutboxEvent>>(entity, "Events") ?? [],
        entity.GetInt64("DeliveredThrough") ?? 0,
        entity.Timestamp ?? default,
        entity.ETag.ToString(),
        entity.RowKey);
}

/// <summary>The JSON body of an event as the SaaS receives it.</summary>
/// <param name="Sequence">The customer's event number, from 1 without gaps: a receiver can tell it missed none.</param>
public sealed record EventBody(
    string Id, string Type, string CustomerId, long Sequence, long LedgerSequence, DateTimeOffset OccurredAt, long Available, IReadOnlyDictionary<string, object?> Data)
{
    public static EventBody Of(AccountEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(e.Id, e.Type, e.CustomerId, e.Sequence, e.LedgerSequence, e.OccurredAt, e.Available, e.Data);
    }
}

/// <summary>One event as stored to be sent: its id, type, number and exact body.</summary>
public sealed record OutboxEvent(string Id, string Type, long Sequence, string Body);

/// <summary>One save's events not all delivered yet, as read for delivery.</summary>
/// <param name="DeliveredThrough">The number of the last event of this batch the receiver took (0: none yet).</param>
/// <param name="RecordedAt">When the store wrote it: commit time, for the commit-to-delivery latency.</param>
public sealed record OutboxBatch(
    string CustomerId, long First, IReadOnlyList<OutboxEvent> Events, long DeliveredThrough, DateTimeOffset RecordedAt, string ConcurrencyToken, string RowKey);
