using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>
/// The customer's credits as buckets, and the arithmetic on them: what is available, the order spends take from, and
/// what expires. Pure: the same account and instant always give the same answer.
/// </summary>
/// <remarks>
/// Spend order: the credits that expire soonest go first. A plan bucket expires at its subscription's next boundary
/// (when the allowance is set again), a granted bucket at its expiry, one that never expires last. Ties go to rollover
/// buckets (last month's credits before this month's), then plan buckets, then the rest, then by bucket id, so the order
/// is the same on every run.
/// </remarks>
public static class Buckets
{
    /// <summary>
    /// When a subscription's plan credits expire by the rule, and until when they can be spent. They expire at the
    /// subscription's next boundary, where the allowance is set again: that instant orders them among the other buckets
    /// and is their <c>nextResetAt</c>. The last month of a billing period stays spendable past it while the renewal is
    /// not confirmed, for at most the renewal's grace; past that, an unconfirmed renewal holds the credits back (they are
    /// not spent, and still count for a rollover when the renewal comes) instead of letting an unpaid period spend them.
    /// Null once the subscription has ended (canceled, expired): its plan credits expire with it.
    /// </summary>
    public static PlanWindow? PlanWindowOf(Subscription subscription, DateTimeOffset now, TimeSpan renewalGrace)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var stripe = subscription.Stripe;
        if (SubscriptionStatus.IsTerminal(stripe.Status))
        {
            return null;
        }

        if (!subscription.IsPeriodGranted)
        {
            // The period moved on and its renewal is not granted yet: the old month ended at the period's start.
            return new PlanWindow(stripe.PeriodStart, stripe.PeriodStart + renewalGrace);
        }

        var next = CreditPeriods.NextBoundary(stripe.PeriodStart, stripe.PeriodEnd, now);
        return new PlanWindow(next, next == stripe.PeriodEnd ? next + renewalGrace : next);
    }

    /// <summary>Every bucket that holds spendable credits at <paramref name="now"/>, in spend order.</summary>
    public static IReadOnlyList<BucketView> InSpendOrder(AccountState account, DateTimeOffset now, TimeSpan renewalGrace)
    {
        ArgumentNullException.ThrowIfNull(account);
        var plans = account.Subscriptions
            .Select(s => (Subscription: s, Window: PlanWindowOf(s, now, renewalGrace)))
            .Where(p => p.Window is { } window && window.SpendableUntil > now)
            .Select(p => new BucketView(
                p.Subscription.PlanBucketId, BucketKind.Plan, p.Subscription.Balance, p.Window!.ExpiresAt, p.Subscription.Id, p.Subscription.Stripe.MonthlyAllowance, null));
        var grants = account.Grants
            .Where(g => !g.IsExpired(now))
            .Select(g => new BucketView(g.Id, g.Kind, g.Remaining, g.ExpiresAt, null, null, g));
        return [.. plans.Concat(grants)
            .OrderBy(b => b.ExpiresAt ?? DateTimeOffset.MaxValue)
            .ThenBy(b => b.Kind switch { BucketKind.Rollover => 0, BucketKind.Plan => 1, _ => 2 })
            .ThenBy(b => b.Id, StringComparer.Ordinal)];
    }

    public static long Available(AccountState account, DateTimeOffset now, TimeSpan renewalGrace) => InSpendOrder(account, now, renewalGrace).Sum(b => b.Remaining);

    /// <summary>
    /// Takes <paramref name="amount"/> credits in spend order, all or nothing: the state after, and what came from which
    /// bucket; null when fewer are available.
    /// </summary>
    public static (AccountState Account, IReadOnlyList<LedgerPart> Parts)? Take(AccountState account, long amount, DateTimeOffset now, TimeSpan renewalGrace)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        if (Available(account, now, renewalGrace) < amount)
        {
            return null;
        }

        var (after, parts, _) = TakeUpTo(account, amount, now, renewalGrace, _ => true);
        return (after, parts);
    }

    /// <summary>
    /// Takes up to <paramref name="amount"/> credits in spend order from the spendable buckets <paramref name="from"/>
    /// accepts (a refund takes from its purchase's buckets only): the state after, what came from which bucket, and how
    /// many were taken in all.
    /// </summary>
    public static (AccountState Account, IReadOnlyList<LedgerPart> Parts, long Taken) TakeUpTo(
        AccountState account, long amount, DateTimeOffset now, TimeSpan renewalGrace, Func<BucketView, bool> from)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(from);
        var parts = new List<LedgerPart>();
        var left = amount;
        foreach (var bucket in InSpendOrder(account, now, renewalGrace).Where(b => b.Remaining > 0 && from(b)))
        {
            if (left == 0)
            {
                break;
            }

            var taken = Math.Min(left, bucket.Remaining);
            parts.Add(new LedgerPart(bucket.Id, -taken, bucket.Remaining - taken));
            account = SetRemaining(account, bucket.Id, bucket.Remaining - taken);
            left -= taken;
        }

        return (account, parts, amount - left);
    }

    /// <summary>
    /// What has expired by <paramref name="now"/> goes, each with a ledger part: granted buckets past their expiry, and the
    /// plan bucket and rollover of a subscription that has ended. Spent-out grants leave the account without an entry.
    /// </summary>
    public static (AccountState Account, IReadOnlyList<(DateTimeOffset At, LedgerPart Part, string? SubscriptionId)> Expired) Expire(
        AccountState account, DateTimeOffset now, TimeSpan renewalGrace)
    {
        ArgumentNullException.ThrowIfNull(account);
        var expired = new List<(DateTimeOffset, LedgerPart, string?)>();
        foreach (var grant in account.Grants.Where(g => g.IsExpired(now) && g.Remaining > 0))
        {
            expired.Add((grant.ExpiresAt!.Value, new LedgerPart(grant.Id, -grant.Remaining, 0), grant.SubscriptionId));
        }

        // A rollover lives as long as its subscription.
        var endedIds = account.Subscriptions.Where(s => SubscriptionStatus.IsTerminal(s.Stripe.Status)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var rollover in account.Grants.Where(g => !g.IsExpired(now) && g.Remaining > 0 && g.SubscriptionId is { } id && endedIds.Contains(id)))
        {
            expired.Add((now, new LedgerPart(rollover.Id, -rollover.Remaining, 0), rollover.SubscriptionId));
        }

        var lapsed = account.Subscriptions.Where(s => s.Balance != 0 && PlanWindowOf(s, now, renewalGrace) is null).ToList();
        foreach (var plan in lapsed)
        {
            expired.Add((now, new LedgerPart(plan.PlanBucketId, -plan.Balance, 0), plan.Id));
        }

        // A granted bucket whose credits an open hold took stays while it lives: what the hold gives back returns to it.
        var held = account.Holds.SelectMany(h => h.Parts).Select(p => p.BucketId).ToHashSet(StringComparer.Ordinal);
        var kept = account.Grants.Where(g => !g.IsExpired(now) && (g.Remaining > 0 || held.Contains(g.Id)) && !(g.SubscriptionId is { } id && endedIds.Contains(id))).ToList();
        var next = account with
        {
            Grants = kept.Count == account.Grants.Count ? account.Grants : kept,
            Subscriptions = [.. account.Subscriptions.Select(s => lapsed.Contains(s) ? s with { Balance = 0 } : s)],
        };
        return (expired.Count == 0 && kept.Count == account.Grants.Count ? account : next, expired);
    }

    /// <summary>
    /// Whether <paramref name="part"/>'s bucket is the one its credits were taken from, still live at
    /// <paramref name="now"/>: a plan bucket or rollover of the same month (the same expiry), a granted bucket before its
    /// expiry. Its remaining credits now (0 for a bucket that is gone).
    /// </summary>
    public static (bool Live, long Remaining) Find(AccountState account, HeldPart part, DateTimeOffset now, TimeSpan renewalGrace)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentNullException.ThrowIfNull(part);
        if (account.Subscriptions.FirstOrDefault(s => s.PlanBucketId == part.BucketId) is { } subscription)
        {
            var window = PlanWindowOf(subscription, now, renewalGrace);
            return (window is not null && window.ExpiresAt == part.BucketExpiresAt && window.SpendableUntil > now, subscription.Balance);
        }

        return account.Grants.FirstOrDefault(g => g.Id == part.BucketId) is { } grant
            ? (!grant.IsExpired(now) && grant.ExpiresAt == part.BucketExpiresAt, grant.Remaining)
            : (false, 0);
    }

    /// <summary>A live bucket with <paramref name="remainingAfter"/> credits: what a hold gives back, added to what it held.</summary>
    public static AccountState Give(AccountState account, string bucketId, long remainingAfter) => SetRemaining(account, bucketId, remainingAfter);

    private static AccountState SetRemaining(AccountState account, string bucketId, long remaining)
    {
        if (account.Subscriptions.FirstOrDefault(s => s.PlanBucketId == bucketId) is { } subscription)
        {
            return account.With(subscription with { Balance = remaining });
        }

        return account.WithGrant(bucketId, g => g with { Remaining = remaining });
    }
}

/// <summary>One bucket as a reader sees it: what is left, when it expires (a plan bucket: at its next boundary).</summary>
public sealed record BucketView(
    string Id, string Kind, long Remaining, DateTimeOffset? ExpiresAt, string? SubscriptionId, int? Allowance, GrantedBucket? Grant);

/// <summary>When a plan bucket's credits expire by the rule (its next boundary), and until when they can still be spent.</summary>
public sealed record PlanWindow(DateTimeOffset ExpiresAt, DateTimeOffset SpendableUntil);
