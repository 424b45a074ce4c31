using CreditFunctions.Resets;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>
/// One change of a customer's account being put together from the copy read: each step changes the account and appends
/// its ledger entry (numbered after the account's last, with the available total after it), and everything due at the
/// draft's instant (expired grants, due resets) is applied as part of it. Pure; <see cref="AccountWriter"/> writes it.
/// </summary>
public sealed class AccountDraft
{
    private readonly List<LedgerEntry> _ledger = [];
    private readonly List<AppliedReset> _resets = [];
    private readonly HashSet<string> _touched = new(StringComparer.Ordinal);

    /// <summary>
    /// Azure's limit on one transaction, less what a write may add beside the draft's records: the account row, an
    /// idempotency or purchase record, the event record, and the operation's own ledger entry.
    /// </summary>
    private const int RecordBudget = 100 - 5;

    /// <param name="read">The account as read; null for a customer not stored yet.</param>
    public AccountDraft(CustomerAccount? read, string customerId, DateTimeOffset now, ResetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Read = read;
        Account = read ?? CustomerAccount.New(customerId);
        Now = now;
        Policy = policy;
        ExpireDue();
    }

    public ResetPolicy Policy { get; }

    /// <summary>
    /// Takes away what has expired by now (granted buckets, rollovers, plan credits whose month ended) in one ledger entry
    /// however many there are. Run on the copy read, and again on the change (a cancellation ends its plan credits).
    /// </summary>
    public void ExpireDue()
    {
        var (expired, parts) = Buckets.Expire(Account, Now, Policy.Grace);
        if (parts.Count == 0)
        {
            return;
        }

        Account = expired;
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
        });
    }

    public CustomerAccount? Read { get; }
    public CustomerAccount Account { get; private set; }

    /// <summary>Whether the customer is stored, or will be by this draft (a change earlier in it created the account).</summary>
    public bool Exists => Read is not null || _ledger.Count > 0;
    public DateTimeOffset Now { get; }

    public IReadOnlyList<LedgerEntry> Ledger => _ledger;
    public IReadOnlyList<AppliedReset> Resets => _resets;

    /// <summary>Subscriptions whose index entry must be placed again by the rule (changed, or looked at by a run).</summary>
    public IReadOnlySet<string> Touched => _touched;

    public long Available => Buckets.Available(Account, Now, Policy.Grace);

    /// <summary>Stores <paramref name="subscription"/> (added or replacing the one with its id) and marks it for the index.</summary>
    public void Put(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var before = Account.Find(subscription.Id);
        Account = Account.With(subscription with { Version = (before?.Version ?? 0) + (before == subscription ? 0 : 1) });
        _touched.Add(subscription.Id);
    }

    public void Touch(string subscriptionId) => _touched.Add(subscriptionId);

    public void SetAccount(CustomerAccount account) => Account = account;

    /// <summary>Appends an entry, numbered next and stamped with the total available after the draft so far.</summary>
    public LedgerEntry Append(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var numbered = entry with { Sequence = Account.LedgerSequence + 1, BalanceAfter = Available };
        Account = Account with { LedgerSequence = numbered.Sequence };
        _ledger.Add(numbered);
        return numbered;
    }

    /// <summary>
    /// Decides each of <paramref name="subscriptionIds"/> (every subscription when null) with the reset rule and applies
    /// the reset that is due: the plan bucket set to the allowance (or left as it is for a record-only job), a reset
    /// record keyed by (subscription, boundary), and a ledger entry. Returns what became of each one decided.
    /// </summary>
    /// <param name="decided">Decisions already made on this same copy (a run decides before it writes the chunk's index).</param>
    public IReadOnlyDictionary<string, ResetOutcome> ApplyDue(
        ResetJob job, IReadOnlyCollection<string>? subscriptionIds = null, IReadOnlyDictionary<string, ResetDecision>? decided = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        var outcomes = new Dictionary<string, ResetOutcome>(StringComparer.Ordinal);
        foreach (var id in subscriptionIds ?? [.. Account.Subscriptions.Select(s => s.Id)])
        {
            if (Account.Find(id) is not { } subscription)
            {
                outcomes[id] = ResetOutcome.Skip(SkipReason.SubscriptionMissing, null);
                continue;
            }

            var decision = decided?.GetValueOrDefault(id) ?? job.Decide(subscription);
            if (subscriptionIds is not null)
            {
                _touched.Add(id); // Looked at: its entry moves on by the rule whatever the decision.
            }

            if (decision.Boundary is not null && _resets.Count + _ledger.Count + 3 > RecordBudget)
            {
                // The write is full (a customer with dozens of subscriptions due at once): the next write applies it.
                outcomes[id] = ResetOutcome.Skip(SkipReason.Deferred, decision.NextCheck);
                continue;
            }

            if (decision.Boundary is not { } boundary)
            {
                if (subscriptionIds is not null || decision.IsNews)
                {
                    outcomes[id] = ResetOutcome.Skip(decision.SkipReason ?? SkipReason.NotDue, decision.NextCheck, decision.IsNews);
                }

                continue;
            }

            // Boundary 0 grants the plan the period started with (a downgrade since waits for the next boundary); a
            // month inside the period grants the plan as it is now.
            var allowance = boundary == subscription.Stripe.PeriodStart
                ? subscription.AllowanceInEffect ?? subscription.Stripe.MonthlyAllowance!.Value
                : subscription.Stripe.MonthlyAllowance!.Value;
            var rolled = job.RecordOnly ? 0 : Math.Min(subscription.Stripe.RolloverMax, subscription.Balance);
            var after = job.RecordOnly ? subscription.Balance : allowance;
            if (job.DryRun)
            {
                outcomes[id] = ResetOutcome.WouldApply(new PlannedReset(id, boundary, subscription.Balance, after), decision.NextCheck);
                continue;
            }

            if (rolled > 0)
            {
                // Unused credits up to the plan's cap move to a rollover bucket that lives until the next boundary only,
                // so rollover never piles up; what it held from the month before expired at this boundary.
                var rollover = new GrantedBucket
                {
                    Id = "rollover-" + id,
                    Kind = BucketKind.Rollover,
                    Granted = rolled,
                    Remaining = rolled,
                    GrantedAt = Now,
                    ExpiresAt = decision.NextCheck,
                    Reason = "unused plan credits",
                    SubscriptionId = id,
                };
                Account = Account.With(subscription with { Balance = subscription.Balance - rolled }) with
                {
                    Grants = [.. Account.Grants.Where(g => g.Id != rollover.Id), rollover],
                };
                Append(new LedgerEntry
                {
                    Sequence = 0, At = Now, Kind = LedgerKind.Rollover, BalanceAfter = 0, SubscriptionId = id, Boundary = boundary, RunId = job.RunId,
                    Parts = [new LedgerPart(subscription.PlanBucketId, -rolled, subscription.Balance - rolled), new LedgerPart(rollover.Id, rolled, rolled)],
                });
            }

            var reset = new AppliedReset
            {
                SubscriptionId = id,
                Boundary = boundary,
                BalanceBefore = subscription.Balance,
                BalanceAfter = after,
                Trigger = job.Trigger,
                RunId = job.RunId,
                AppliedAt = Now,
                SkippedBoundaries = decision.SkippedBoundaries,
                RecordOnly = job.RecordOnly,
            };
            var left = subscription.Balance - rolled;
            Put(subscription with { Balance = after, LastResetBoundary = boundary, AllowanceInEffect = job.RecordOnly ? subscription.AllowanceInEffect : allowance });
            _resets.Add(reset);
            Append(new LedgerEntry
            {
                Sequence = 0,
                At = Now,
                Kind = LedgerKind.Reset,
                Parts = [new LedgerPart(subscription.PlanBucketId, after - left, after)],
                BalanceAfter = 0,
                SubscriptionId = id,
                Boundary = boundary,
                RunId = job.RunId,
                Reason = job.RecordOnly ? "recorded as already given" : null,
            });
            outcomes[id] = ResetOutcome.Done(reset, decision.NextCheck);
        }

        return outcomes;
    }
}
