using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;

namespace CreditFunctions.Accounts;

/// <summary>
/// The customer's credits as buckets, and the arithmetic on them: what is available, the order spends take from, and
/// what expires. Pure: the same account and instant always give the same answer.
/// </summary>
/// <remarks>
/// Spend order: the credits that expire soonest go first. A plan bucket expires at its subscription's next boundary
/// (when the allowance is set again), a granted bucket at its expiry, one that never expires last. Ties go to plan
/// buckets before granted ones, then by bucket id, so the order is the same on every run.
/// </remarks>
public static class Buckets
{
    /// <summary>Every bucket that holds spendable credits at <paramref name="now"/>, in spend order.</summary>
    public static IReadOnlyList<BucketView> InSpendOrder(CustomerAccount account, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        var plans = account.Subscriptions
            .Where(s => !SubscriptionStatus.IsTerminal(s.Stripe.Status))
            .Select(s => new BucketView(
                s.PlanBucketId, BucketKind.Plan, s.Balance,
                CreditPeriods.NextBoundary(s.Stripe.PeriodStart, s.Stripe.PeriodEnd, now), s.Id, s.Stripe.MonthlyAllowance, null));
        var grants = account.Grants
            .Where(g => !g.IsExpired(now))
            .Select(g => new BucketView(g.Id, g.Kind, g.Remaining, g.ExpiresAt, null, null, g));
        return [.. plans.Concat(grants)
            .OrderBy(b => b.ExpiresAt ?? DateTimeOffset.MaxValue)
            .ThenBy(b => b.Kind == BucketKind.Plan ? 0 : 1)
            .ThenBy(b => b.Id, StringComparer.Ordinal)];
    }

    public static long Available(CustomerAccount account, DateTimeOffset now) => InSpendOrder(account, now).Sum(b => b.Remaining);

    /// <summary>
    /// Takes <paramref name="amount"/> credits in spend order, all or nothing: the account after, and what came from which
    /// bucket; null when fewer are available.
    /// </summary>
    public static (CustomerAccount Account, IReadOnlyList<LedgerPart> Parts)? Take(CustomerAccount account, long amount, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(amount);
        var order = InSpendOrder(account, now);
        if (order.Sum(b => b.Remaining) < amount)
        {
            return null;
        }

        var parts = new List<LedgerPart>();
        var left = amount;
        foreach (var bucket in order.Where(b => b.Remaining > 0))
        {
            var taken = Math.Min(left, bucket.Remaining);
            parts.Add(new LedgerPart(bucket.Id, -taken, bucket.Remaining - taken));
            account = SetRemaining(account, bucket.Id, bucket.Remaining - taken);
            left -= taken;
            if (left == 0)
            {
                break;
            }
        }

        return (account, parts);
    }

    /// <summary>
    /// What has expired by <paramref name="now"/> goes, each with a ledger part: granted buckets past their expiry, and the
    /// plan bucket of a subscription that has ended. Spent-out grants leave the account without an entry (nothing changes).
    /// </summary>
    public static (CustomerAccount Account, IReadOnlyList<(DateTimeOffset At, LedgerPart Part, string? SubscriptionId)> Expired) Expire(CustomerAccount account, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        var expired = new List<(DateTimeOffset, LedgerPart, string?)>();
        foreach (var grant in account.Grants.Where(g => g.IsExpired(now) && g.Remaining > 0))
        {
            expired.Add((grant.ExpiresAt!.Value, new LedgerPart(grant.Id, -grant.Remaining, 0), null));
        }

        foreach (var ended in account.Subscriptions.Where(s => SubscriptionStatus.IsTerminal(s.Stripe.Status) && s.Balance != 0))
        {
            expired.Add((now, new LedgerPart(ended.PlanBucketId, -ended.Balance, 0), ended.Id));
        }

        var kept = account.Grants.Where(g => !g.IsExpired(now) && g.Remaining > 0).ToList();
        var next = account with
        {
            Grants = kept.Count == account.Grants.Count ? account.Grants : kept,
            Subscriptions = [.. account.Subscriptions.Select(s => SubscriptionStatus.IsTerminal(s.Stripe.Status) && s.Balance != 0 ? s with { Balance = 0 } : s)],
        };
        return (expired.Count == 0 && kept.Count == account.Grants.Count ? account : next, expired);
    }

    private static CustomerAccount SetRemaining(CustomerAccount account, string bucketId, long remaining)
    {
        if (account.Subscriptions.FirstOrDefault(s => s.PlanBucketId == bucketId) is { } subscription)
        {
            return account.With(subscription with { Balance = remaining });
        }

        return account with { Grants = [.. account.Grants.Select(g => g.Id == bucketId ? g with { Remaining = remaining } : g)] };
    }
}

/// <summary>One bucket as a reader sees it: what is left, when it expires (a plan bucket: at its next boundary).</summary>
public sealed record BucketView(
    string Id, string Kind, long Remaining, DateTimeOffset? ExpiresAt, string? SubscriptionId, int? Allowance, GrantedBucket? Grant);
