namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>
    /// Grants a credit pack bought through Stripe: a pack bucket per credit-bearing line, a <c>purchase</c> ledger entry,
    /// and the purchase record keyed by the Stripe object, which makes the grant exactly-once however often Stripe tells.
    /// </summary>
    public Outcome<PurchaseRecord> GrantPurchase(PackPurchase purchase, string eventId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(purchase);
        return Settled(now, () => GrantPurchaseNow(purchase, eventId, now)); // The grant and a refund kept for it: one level change.
    }

    private Outcome<PurchaseRecord> GrantPurchaseNow(PackPurchase purchase, string eventId, DateTimeOffset now)
    {
        ExpireDue(now);
        if (State.Grants.Count + purchase.Lines.Count > AccountLimits.MaxOpenGrants)
        {
            return Outcome.Refused<PurchaseRecord>(new TooManyGrants(CustomerId, State.Grants.Count));
        }

        var buckets = purchase.Lines.Select((line, n) => new GrantedBucket
        {
            Id = $"pack-{purchase.Id}-{n + 1}",
            Kind = BucketKind.Pack,
            Granted = line.Credits,
            Remaining = line.Credits,
            GrantedAt = now,
            ExpiresAt = line.ExpireDays is { } days ? now.AddDays(days) : null,
            Reason = "credit pack",
            Source = purchase.Id,
        }).ToList();
        State = State with { Grants = [.. State.Grants, .. buckets] };
        Append(new LedgerEntry
        {
            Sequence = 0, At = now, Kind = LedgerKind.Purchase, BalanceAfter = 0, RunId = eventId, Reason = $"bought with {purchase.Id}",
            Parts = [.. buckets.Select(b => new LedgerPart(b.Id, b.Granted, b.Remaining))],
        }, now);
        var record = new PurchaseRecord
        {
            Id = purchase.Id,
            PaymentIntentId = purchase.PaymentIntentId,
            Credits = purchase.Lines.Sum(l => l.Credits),
            BucketIds = [.. buckets.Select(b => b.Id)],
            PurchasedAt = now,
            EventId = eventId,
        };
        Changes.StripeEventId = eventId;
        Changes.Purchase = record;
        if (purchase.TopUpId is { } topUpId)
        {
            TopUpPaid(topUpId, purchase.Id, now);
        }

        ForgetLapsedRefunds(now);
        if (purchase.PaymentIntentId is { } paidWith && State.PendingRefunds.FirstOrDefault(r => r.PaymentIntentId == paidWith) is { } pending)
        {
            // Stripe told of the refund first: it is taken back now, as it would have been had the grant come first.
            State = State with { PendingRefunds = [.. State.PendingRefunds.Where(r => r != pending)] };
            RefundPurchase(record, pending.ShareOf(record.Credits), pending.ChargeId, eventId, now);
            record = Changes.Purchase ?? record;
        }

        return Outcome.Done<PurchaseRecord>(record);
    }

    /// <summary>
    /// Keeps a refund whose purchase is not granted yet (Stripe delivered <c>charge.refunded</c> before the payment's
    /// grant): <see cref="GrantPurchase"/> takes its share back when the purchase paid with it is granted. Refunds add up
    /// on a charge, so a later one for the same payment replaces an earlier one; an older one changes nothing. A refund is
    /// kept for <see cref="PendingRefund.KeptFor"/> (Stripe's own retries end within it): a refund of something that is
    /// not a credit pack lapses then.
    /// </summary>
    /// <returns>False when the account already keeps <see cref="AccountLimits.MaxPendingRefunds"/> refunds for other payments.</returns>
    public bool KeepRefundForLater(PendingRefund refund, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(refund);
        ForgetLapsedRefunds(now);
        var same = State.PendingRefunds.FirstOrDefault(r => r.PaymentIntentId == refund.PaymentIntentId);
        if (same is null && State.PendingRefunds.Count >= AccountLimits.MaxPendingRefunds)
        {
            return false;
        }

        if (same is null || same.AmountRefunded < refund.AmountRefunded)
        {
            State = State with { PendingRefunds = [.. State.PendingRefunds.Where(r => r != same), refund] };
        }

        Changes.StripeEventId = refund.EventId;
        return true;
    }

    private void ForgetLapsedRefunds(DateTimeOffset now)
    {
        if (State.PendingRefunds.Any(r => r.At + PendingRefund.KeptFor <= now))
        {
            State = State with { PendingRefunds = [.. State.PendingRefunds.Where(r => r.At + PendingRefund.KeptFor > now)] };
        }
    }

    /// <summary>
    /// Takes back a refund's share of a purchase's credits, cumulative: <paramref name="refundedCredits"/> is the share of
    /// everything refunded so far, so a redelivery owes nothing more. What is still unspent in the purchase's buckets is
    /// taken, in spend order; credits already spent are not clawed back below zero, and the ledger entry says how many.
    /// </summary>
    /// <returns>The refund, or null when nothing more is owed.</returns>
    public PurchaseRefund? RefundPurchase(PurchaseRecord purchase, long refundedCredits, string chargeId, string eventId, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(purchase);
        ExpireDue(now);
        var owed = refundedCredits - purchase.RefundedCredits;
        if (owed <= 0)
        {
            return null;
        }

        var (after, parts, taken) = Buckets.TakeUpTo(State, owed, now, Policy.Grace, b => purchase.BucketIds.Contains(b.Id));
        State = after;
        if (State.TopUps is { Settings: { Enabled: true } settings } topUps && Available(now) < settings.BelowAvailable)
        {
            // Money given back is not charged again at once: the refund's drop starts no top-up until available has risen first.
            State = State with { TopUps = topUps with { AwaitingRise = true } };
        }

        var spent = owed - taken;
        Append(new LedgerEntry
        {
            Sequence = 0, At = now, Kind = LedgerKind.Refund, Parts = parts, BalanceAfter = 0, RunId = eventId,
            Reason = spent == 0
                ? $"refund of {chargeId}: {owed} credits taken back"
                : $"refund of {chargeId}: {taken} credits taken back; {spent} were spent already and are not clawed back",
        }, now);
        Changes.StripeEventId = eventId;
        Changes.Purchase = purchase with { RefundedCredits = refundedCredits };
        return new PurchaseRefund(taken, spent);
    }
}

/// <summary>A pack bought through Stripe: the object it is keyed by, what paid for it, and its credit-bearing lines.</summary>
/// <param name="TopUpId">The auto top-up the purchase pays for (its invoice's metadata <c>credits_top_up</c>), if any.</param>
public sealed record PackPurchase(string Id, string? PaymentIntentId, IReadOnlyList<PackLine> Lines, string? TopUpId = null);

/// <summary>One line of a purchase: its credits, and after how many days they expire (null: never).</summary>
public sealed record PackLine(long Credits, int? ExpireDays);

/// <summary>
/// A refund of a payment no granted purchase was paid with yet: the charge's amount and how much of it is refunded so
/// far, so the share of the purchase's credits to take back is known once the purchase is.
/// </summary>
public sealed record PendingRefund(string PaymentIntentId, string ChargeId, long Amount, long AmountRefunded, string EventId, DateTimeOffset At)
{
    /// <summary>How long a refund waits for its purchase: Stripe retries a webhook for up to three days.</summary>
    public static readonly TimeSpan KeptFor = TimeSpan.FromDays(3);

    /// <summary>The refunded share of <paramref name="credits"/>, rounded down.</summary>
    public long ShareOf(long credits) => Amount <= 0 ? 0 : (long)((Int128)credits * Math.Clamp(AmountRefunded, 0, Amount) / Amount);
}

/// <summary>What a refund took back, and how many of the credits it owed were spent already.</summary>
public sealed record PurchaseRefund(long TakenBack, long AlreadySpent);
