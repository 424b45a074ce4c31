using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>
/// A Stripe customer's credits and the rules that change them: its subscriptions (each with its plan bucket), its
/// granted buckets, and the verbs the business does to them (apply what is due, spend, grant, sync a subscription from
/// Stripe, record a period's payment, grant and refund a purchase). Every change is load → verb → save: a verb changes
/// the account at an instant passed in, answers a typed result, and records what it changed (<see cref="Changes"/>)
/// for save to write in one transaction. Pure: no I/O and no clock; whatever has expired by a verb's instant goes first.
/// </summary>
public sealed partial class CustomerAccount
{
    /// <summary>Records a change may still add once what is due is applied: its ledger entry and key, an expiry entry, the events' record, and room to spare.</summary>
    private const int RoomForTheChange = 5;

    private readonly int _capacity;

    /// <param name="stored">The state as loaded; null for a customer not stored yet.</param>
    /// <param name="recordCapacity">How many records one save can write beside the account (the store's limit).</param>
    /// <param name="events">What the account tells the SaaS; off when null.</param>
    /// <param name="stripeWork">Whether work handed to Stripe (auto top-ups, overage reports) is carried out: the Stripe API
    /// and its queue are configured. Off, no top-up is started and no spend goes into overage.</param>
    public CustomerAccount(string customerId, AccountState? stored, ResetPolicy policy, int recordCapacity, EventPolicy? events = null, bool stripeWork = false)
    {
        StripeWork = stripeWork;
        ArgumentNullException.ThrowIfNull(policy);
        Loaded = stored;
        State = stored ?? AccountState.Empty(customerId);
        Policy = policy;
        Events = events ?? EventPolicy.Off;
        _capacity = recordCapacity;
    }

    public string CustomerId => State.CustomerId;

    /// <summary>The state as loaded; null for a customer that was not stored.</summary>
    public AccountState? Loaded { get; }

    /// <summary>The state as it is now, with every verb applied: what save writes.</summary>
    public AccountState State { get; private set; }

    public ResetPolicy Policy { get; }

    public AccountChanges Changes { get; } = new();

    /// <summary>
    /// Whether the customer is stored with credits history (a subscription, a bucket or a ledger entry), or will be once
    /// saved (a grant earlier in this unit of work created it). A row that only keeps a refund for a purchase not granted
    /// yet is not a customer to the API.
    /// </summary>
    public bool Exists => (Loaded is not null && (!Loaded.IsEmpty || Loaded.LedgerSequence > 0)) || Changes.Ledger.Count > 0;

    /// <summary>Whether save has anything to write: a record, or a state that differs from the one loaded.</summary>
    public bool IsChanged => Changes.HasRecords || !(Loaded is null ? State.SameContent(AccountState.Empty(CustomerId)) : State.SameContent(Loaded));

    /// <summary>Credits that can be spent at <paramref name="now"/>.</summary>
    public long Available(DateTimeOffset now) => Buckets.Available(State, now, Policy.Grace);

    /// <summary>Every bucket holding spendable credits at <paramref name="now"/>, in spend order.</summary>
    public IReadOnlyList<BucketView> BucketsAt(DateTimeOffset now) => Buckets.InSpendOrder(State, now, Policy.Grace);

    private bool HasRoomFor(int records) => Changes.Records + records <= _capacity;

    /// <summary>
    /// Takes away what has expired by <paramref name="now"/> (granted buckets, rollovers, the plan credits of a
    /// subscription that ended) in one ledger entry however many there are. Every verb starts with it, and one that
    /// ends a subscription runs it again.
    /// </summary>
    private void ExpireDue(DateTimeOffset now)
    {
        Changes.At(now);
        ReleaseExpiredHolds(now);
        var (expired, parts) = Buckets.Expire(State, now, Policy.Grace);
        if (parts.Count == 0)
        {
            State = expired;
            return;
        }

        State = expired;
        var subscriptions = parts.Select(p => p.SubscriptionId).Distinct().ToList();
        Append(new LedgerEntry
        {
            Sequence = 0,
            At = parts.Max(p => p.At),
            Kind = LedgerKind.Expiry,
            Parts = [.. parts.Select(p => p.Part)],
            BalanceAfter = 0,
            SubscriptionId = subscriptions.Count == 1 ? subscriptions[0] : null,
            Reason = parts.Count == 1
                ? parts[0].Part.BucketId.StartsWith("plan-", StringComparison.Ordinal) ? "plan credits ended with their month or subscription"
                    : parts[0].Part.BucketId.StartsWith("rollover-", StringComparison.Ordinal) ? "rollover expired" : "expired"
                : $"{parts.Count} buckets expired",
        }, now);
    }

    /// <summary>
    /// Appends a ledger entry, numbered next and stamped with the credits available after it, and tells the SaaS what it
    /// is and whether the balance crossed the customer's threshold with it.
    /// </summary>
    /// <param name="passing">Credits the entry gives to buckets that have ended, which an expiry entry takes right after:
    /// in this entry's balance, not in the account's.</param>
    private LedgerEntry Append(LedgerEntry entry, DateTimeOffset now, long passing = 0)
    {
        var numbered = entry with { Sequence = State.LedgerSequence + 1, BalanceAfter = Available(now) + passing };
        State = State with { LedgerSequence = numbered.Sequence };
        Changes.Add(numbered);
        if (numbered.Kind is not (LedgerKind.Reset or LedgerKind.Rollover))
        {
            TellEntry(numbered, now);
            NoticeLevel(now, numbered.Sequence); // Not inside a verb that settles the level at its end (see Settled).
            ConsiderTopUp(now);
        }

        return numbered;
    }

    /// <summary>Stores <paramref name="subscription"/> (added, or replacing the one with its id), counting its version on.</summary>
    private void Put(Subscription subscription)
    {
        var before = State.Find(subscription.Id);
        var version = (before?.Version ?? 0) + (before == subscription ? 0 : 1);
        State = State.With(subscription with { Version = version });
        Changes.Touch(subscription.Id);
    }
}
