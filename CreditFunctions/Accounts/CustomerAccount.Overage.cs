using System.Security.Cryptography;
using System.Text;

namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>
    /// A spend asked with <c>allowOverage</c> that available does not cover: takes everything available (a <c>spend</c>
    /// entry) and records the shortfall as an <c>overage</c> entry against the first active subscription whose plan
    /// allows overage, within what is left of its allowance for the billing period; the same write records the meter
    /// event to report it to Stripe. Null when no plan allows it or the shortfall is past the allowance (refused as
    /// insufficient credits); refused while the reports waiting for Stripe are at their bound.
    /// </summary>
    private Outcome<CreditsReceipt>? OverageFor(SpendRequest request, DateTimeOffset now)
    {
        var plan = State.Subscriptions
            .Where(s => !Subscriptions.SubscriptionStatus.IsTerminal(s.Stripe.Status) && s.Stripe.OverageMeter is not null && s.Stripe.OverageMax > 0)
            .Where(s => s.IsPeriodGranted) // Not while a renewal's payment (and its allowance) is awaited: that period's credits come first.
            .OrderBy(s => s.Id, StringComparer.Ordinal)
            .FirstOrDefault();
        var available = Available(now);
        var shortfall = request.Amount - available;
        if (!StripeWork || plan is null || shortfall > plan.Stripe.OverageMax - plan.OverageUsedNow)
        {
            return null;
        }

        if (State.PendingUsage.Count >= AccountLimits.MaxPendingUsage)
        {
            return Outcome.Refused<CreditsReceipt>(new OverageBacklog(CustomerId, State.PendingUsage.Count));
        }

        IReadOnlyList<LedgerPart> parts = [];
        if (available > 0 && Buckets.Take(State, available, now, Policy.Grace) is { } taken)
        {
            State = taken.Account;
            parts = taken.Parts;
            Append(new LedgerEntry
            {
                Sequence = 0, At = now, Kind = LedgerKind.Spend, Parts = taken.Parts, BalanceAfter = 0,
                IdempotencyKey = request.IdempotencyKey, Reason = request.Reason, Metadata = request.Metadata,
            }, now);
        }

        var subscription = State.Find(plan.Id)!; // As the take left it (its plan bucket may have been spent).
        Put(subscription with { OverageUsed = subscription.OverageUsedNow + shortfall, OveragePeriodStart = subscription.Stripe.PeriodStart });
        var identifier = MeterEventIdentifier(CustomerId, request.IdempotencyKey);
        var meter = plan.Stripe.OverageMeter!;
        var entry = Append(new LedgerEntry
        {
            Sequence = 0, At = now, Kind = LedgerKind.Overage, Parts = [], BalanceAfter = 0, SubscriptionId = plan.Id,
            IdempotencyKey = request.IdempotencyKey, Reason = request.Reason, Metadata = request.Metadata,
            Overage = shortfall, MeterEventIdentifier = identifier,
        }, now);
        State = State with { PendingUsage = [.. State.PendingUsage, new PendingUsage(identifier, meter, shortfall, now, entry.Sequence, now)] };
        Changes.StripeWork = true;
        var receipt = new CreditsReceipt(CustomerId, request.IdempotencyKey, LedgerKind.Spend, -available, parts, entry.BalanceAfter, entry.Sequence, now)
        {
            Overage = new OverageReceipt(shortfall, plan.Id, meter, identifier),
        };
        return Keyed(request.IdempotencyKey, SpendRequest.Operation, request.Fingerprint, receipt, now);
    }

    /// <summary>
    /// The Stripe meter event identifier of a spend's overage: <c>credits_</c> and the first 40 hex digits of the SHA-256
    /// of <c>{customerId}/{idempotencyKey}</c> (UTF-8). The same spend always reports under the same identifier, so
    /// Stripe drops a repeat; it fits Stripe's 100 characters whatever the key.
    /// </summary>
    public static string MeterEventIdentifier(string customerId, string idempotencyKey) =>
        "credits_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{customerId}/{idempotencyKey}")))[..40];
}
