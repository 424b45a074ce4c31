using CreditFunctions.Resets;

namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>At most this many <c>credits.grant_expiring</c> in one change (an outbox row must fit the store's entity);
    /// buckets past it are told by the customer's next change or run, which the due index schedules at once.</summary>
    public const int MaxExpiringPerChange = 100;

    /// <summary>Above 0 inside a verb that may append several entries: the level is noticed once, when it ends.</summary>
    private int _levelDeferred;

    /// <summary>What the account tells the SaaS, as loaded with it.</summary>
    public EventPolicy Events { get; }

    /// <summary>
    /// Runs <paramref name="verb"/> with the level noticed once at its end, not after each of its entries: a reset's
    /// expiry of the old month and its new allowance (or a pack's grant and the refund kept for it) is one change to the
    /// SaaS, not a dip and a recovery.
    /// </summary>
    private T Settled<T>(DateTimeOffset now, Func<T> verb, bool notice = true)
    {
        T result;
        _levelDeferred++;
        try
        {
            result = verb();
        }
        finally
        {
            _levelDeferred--;
        }

        if (notice)
        {
            NoticeLevel(now);
            ConsiderTopUp(now);
        }

        return result;
    }

    /// <summary>The customer's low threshold in credits now: its own settings, else the defaults; 0 for none.</summary>
    public long LowThreshold
    {
        get
        {
            var allowances = State.Subscriptions
                .Where(s => !Subscriptions.SubscriptionStatus.IsTerminal(s.Stripe.Status))
                .Sum(s => (long)(s.AllowanceInEffect ?? s.Stripe.MonthlyAllowance ?? 0));
            return EffectiveAlerts.Threshold(allowances);
        }
    }

    /// <summary>The customer's own threshold fields over the defaults, field by field: a field it left null is the default's.</summary>
    public AlertSettings EffectiveAlerts =>
        new(State.Alerts?.LowBelow ?? Events.Defaults.LowBelow, State.Alerts?.LowBelowPercent ?? Events.Defaults.LowBelowPercent);

    /// <summary>Sets the customer's own low threshold (null fields: the defaults); the level is checked against it at once.</summary>
    public Outcome<AlertSettings> SetAlerts(AlertSettings settings, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Exists)
        {
            return Outcome.Refused<AlertSettings>(new CustomerNotFound(CustomerId));
        }

        ApplyDue(new ResetJob($"alerts-{now.ToUnixTimeMilliseconds()}", ResetTrigger.Api, now, DryRun: false, Policy));
        State = State with { Alerts = settings.LowBelow is null && settings.LowBelowPercent is null ? null : settings };
        NoticeLevel(now);
        return Outcome.Done(settings);
    }

    /// <summary>Records an event for the SaaS, numbered next, with the credits available after it.</summary>
    private void Tell(string type, DateTimeOffset now, IReadOnlyDictionary<string, object?> data, long? ledgerSequence = null)
    {
        if (!Events.Enabled)
        {
            return;
        }

        var sequence = State.EventSequence + 1;
        State = State with { EventSequence = sequence };
        Changes.Add(new AccountEvent(CustomerId, sequence, type, now, ledgerSequence ?? State.LedgerSequence, Available(now), data));
    }

    /// <summary>The event a ledger entry is (a reset and its rollover tell theirs from <see cref="Reset"/>).</summary>
    private void TellEntry(LedgerEntry entry, DateTimeOffset now)
    {
        var parts = entry.Parts.Select(p => new Dictionary<string, object?> { ["bucketId"] = p.BucketId, ["amount"] = p.Amount }).ToList();
        switch (entry.Kind)
        {
            case LedgerKind.Grant:
                Tell(CreditEventTypes.Granted, now, new Dictionary<string, object?>
                {
                    ["source"] = "grant", ["amount"] = entry.Amount, ["bucketId"] = entry.Parts[0].BucketId,
                    ["expiresAt"] = State.Grants.FirstOrDefault(g => g.Id == entry.Parts[0].BucketId)?.ExpiresAt,
                    ["reason"] = entry.Reason, ["idempotencyKey"] = entry.IdempotencyKey,
                }, entry.Sequence);
                break;
            case LedgerKind.Purchase:
                Tell(CreditEventTypes.Granted, now, new Dictionary<string, object?>
                {
                    ["source"] = "purchase", ["amount"] = entry.Amount, ["buckets"] = parts, ["stripeEventId"] = entry.RunId, ["reason"] = entry.Reason,
                }, entry.Sequence);
                break;
            case LedgerKind.Upgrade:
                Tell(CreditEventTypes.Granted, now, new Dictionary<string, object?>
                {
                    ["source"] = "upgrade", ["amount"] = entry.Amount, ["subscriptionId"] = entry.SubscriptionId, ["stripeEventId"] = entry.RunId, ["reason"] = entry.Reason,
                }, entry.Sequence);
                break;
            case LedgerKind.Adjustment:
                Tell(CreditEventTypes.Adjusted, now, new Dictionary<string, object?>
                {
                    ["amount"] = entry.Amount, ["buckets"] = parts, ["reason"] = entry.Reason, ["idempotencyKey"] = entry.IdempotencyKey,
                }, entry.Sequence);
                break;
            case LedgerKind.Refund:
                Tell(CreditEventTypes.Refunded, now, new Dictionary<string, object?>
                {
                    ["amount"] = entry.Amount, ["buckets"] = parts, ["stripeEventId"] = entry.RunId, ["reason"] = entry.Reason,
                }, entry.Sequence);
                break;
            case LedgerKind.Expiry:
                Tell(CreditEventTypes.Expired, now, new Dictionary<string, object?> { ["amount"] = entry.Amount, ["buckets"] = parts, ["subscriptionId"] = entry.SubscriptionId }, entry.Sequence);
                break;
        }
    }

    /// <summary>
    /// Tells when the balance crossed the customer's threshold: low (from at or above it to below), depleted (to 0), and
    /// recovered (back at or above it, above 0 without one, after low or depleted). The level is kept on the account, so
    /// concurrent changes that cross together tell it once; the first look sets it without telling.
    /// </summary>
    private void NoticeLevel(DateTimeOffset now, long? ledgerSequence = null)
    {
        if (!Events.Enabled || _levelDeferred > 0 || (State.IsEmpty && Loaded is null))
        {
            return;
        }

        var available = Available(now);
        var threshold = LowThreshold;
        var level = available == 0 ? AlertLevel.Depleted : available < threshold ? AlertLevel.Low : AlertLevel.Normal;
        var before = State.AlertLevel;
        if (before == level)
        {
            return;
        }

        State = State with { AlertLevel = level };
        if (before is null)
        {
            return;
        }

        var data = new Dictionary<string, object?> { ["threshold"] = threshold, ["previousLevel"] = before };
        if (before == AlertLevel.Normal && level != AlertLevel.Normal && threshold > 0)
        {
            Tell(CreditEventTypes.Low, now, data, ledgerSequence);
        }

        if (level == AlertLevel.Depleted)
        {
            Tell(CreditEventTypes.Depleted, now, data, ledgerSequence);
        }
        else if (level == AlertLevel.Normal)
        {
            Tell(CreditEventTypes.Recovered, now, data, ledgerSequence);
        }
    }

    /// <summary>Once per bucket: a granted bucket with credits left that expires within the policy's window.</summary>
    private void TellExpiring(DateTimeOffset now)
    {
        if (!Events.Enabled)
        {
            return;
        }

        foreach (var grant in State.Grants.Where(g => !g.ExpiringTold && g.Remaining > 0 && g.Kind != BucketKind.Rollover
            && g.ExpiresAt is { } at && at > now && at - now <= Events.ExpiringWithin).OrderBy(g => g.ExpiresAt).Take(MaxExpiringPerChange).ToList())
        {
            State = State.WithGrant(grant.Id, g => g with { ExpiringTold = true });
            Tell(CreditEventTypes.GrantExpiring, now, new Dictionary<string, object?>
            {
                ["bucketId"] = grant.Id, ["kind"] = grant.Kind, ["remaining"] = grant.Remaining, ["expiresAt"] = grant.ExpiresAt, ["reason"] = grant.Reason,
            });
        }
    }

    /// <summary>Once per period: its payment was not seen past the grace, or it ended with no renewal, for a subscription Stripe should renew.</summary>
    private void TellUnconfirmed(Subscriptions.Subscription subscription, ResetDecision decision, DateTimeOffset now)
    {
        if (!Events.Enabled || decision.WaitingSince is not { } since || subscription.UnconfirmedTold == subscription.Stripe.PeriodStart)
        {
            return;
        }

        Put(subscription with { UnconfirmedTold = subscription.Stripe.PeriodStart });
        Tell(CreditEventTypes.RenewalUnconfirmed, now, new Dictionary<string, object?>
        {
            ["subscriptionId"] = subscription.Id, ["reason"] = decision.SkipReason, ["periodStart"] = subscription.Stripe.PeriodStart,
            ["periodEnd"] = subscription.Stripe.PeriodEnd, ["waitingSince"] = since, ["status"] = subscription.Stripe.Status,
        });
    }
}
