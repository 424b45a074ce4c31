using CreditFunctions.Resets;

namespace CreditFunctions.Accounts;

/// <summary>
/// What the verbs of one unit of work recorded for save to write with the account, in the same transaction: ledger
/// entries, reset records, idempotency keys, the Stripe event, a purchase. Every record is an insert that fails if it
/// exists, which is what makes resets, keys, events and purchases exactly-once.
/// </summary>
public sealed class AccountChanges
{
    private readonly List<LedgerEntry> _ledger = [];
    private readonly List<AppliedReset> _resets = [];
    private readonly List<IdempotencyRecord> _keys = [];
    private readonly List<AccountEvent> _events = [];
    private readonly HashSet<string> _subscriptions = new(StringComparer.Ordinal);

    public IReadOnlyList<LedgerEntry> Ledger => _ledger;

    public IReadOnlyList<AppliedReset> Resets => _resets;

    /// <summary>The idempotency keys of the API requests carried out (several when concurrent requests share a write).</summary>
    public IReadOnlyList<IdempotencyRecord> Keys => _keys;

    /// <summary>What the SaaS is told about the change, in order: written with it (one outbox record however many), delivered after it.</summary>
    public IReadOnlyList<AccountEvent> Events => _events;

    /// <summary>The Stripe event the change came from, recorded so a redelivery writes nothing.</summary>
    public string? StripeEventId { get; internal set; }

    /// <summary>A purchase granted now (inserted) or refunded (updated with If-Match on its <see cref="PurchaseRecord.ConcurrencyToken"/>).</summary>
    public PurchaseRecord? Purchase { get; internal set; }

    /// <summary>The change hands work to Stripe (a top-up to charge, overage to report): save announces it on the Stripe queue.</summary>
    public bool StripeWork { get; internal set; }

    /// <summary>Subscriptions changed or looked at by a run: save places their due-index entry again, by the rule.</summary>
    public IReadOnlySet<string> Subscriptions => _subscriptions;

    /// <summary>The instant of the latest verb: what save decides the due index as of.</summary>
    public DateTimeOffset? AsOf { get; private set; }

    /// <summary>Records to insert beside the account row.</summary>
    public int Records => _ledger.Count + _resets.Count + _keys.Count + (StripeEventId is null ? 0 : 1) + (Purchase is null ? 0 : 1) + (_events.Count == 0 ? 0 : 1);

    /// <summary>Whether anything beside the state needs writing (a record); a state change alone is seen by comparing states.</summary>
    public bool HasRecords => Records > (StripeEventId is null ? 0 : 1);

    internal void Add(LedgerEntry entry) => _ledger.Add(entry);

    internal void Add(AppliedReset reset) => _resets.Add(reset);

    internal void Add(IdempotencyRecord key) => _keys.Add(key);

    internal void Add(AccountEvent accountEvent) => _events.Add(accountEvent);

    internal void Touch(string subscriptionId) => _subscriptions.Add(subscriptionId);

    internal void At(DateTimeOffset now)
    {
        if (AsOf is not { } before || now > before)
        {
            AsOf = now;
        }
    }
}
