using CreditFunctions.Resets;

namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>Whether one more request's change (its ledger entry, its key, what is due) still fits this unit of work's save.</summary>
    public bool HasRoomForAnotherChange => HasRoomFor(RoomForTheChange);

    /// <summary>
    /// Takes the credits in spend order, all or nothing, after applying what is due at <paramref name="now"/> (a customer
    /// who spends at 00:30 on an anniversary spends the new month's credits), and records the ledger entry and the key.
    /// </summary>
    public Outcome<CreditsReceipt> Spend(SpendRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Exists)
        {
            return Outcome.Refused<CreditsReceipt>(new CustomerNotFound(CustomerId));
        }

        ApplyDue(ApiJob(request.IdempotencyKey, now));
        if (Buckets.Take(State, request.Amount, now, Policy.Grace) is not { } taken)
        {
            return request.AllowOverage && OverageFor(request, now) is { } overage
                ? overage
                : Outcome.Refused<CreditsReceipt>(new InsufficientCredits(CustomerId, Available(now), request.Amount));
        }

        State = taken.Account;
        var entry = Append(new LedgerEntry
        {
            Sequence = 0, At = now, Kind = LedgerKind.Spend, Parts = taken.Parts, BalanceAfter = 0,
            IdempotencyKey = request.IdempotencyKey, Reason = request.Reason, Metadata = request.Metadata,
        }, now);
        return Keyed(request.IdempotencyKey, SpendRequest.Operation, request.Fingerprint, CreditsReceipt.Of(CustomerId, request.IdempotencyKey, entry), now);
    }

    /// <summary>
    /// A positive amount grants a new bucket (a grant to a new customer creates the account); a negative one is an
    /// adjustment that takes credits back in spend order, never below zero. What is due is applied first.
    /// </summary>
    public Outcome<CreditsReceipt> Grant(GrantRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Exists && request.Amount < 0)
        {
            return Outcome.Refused<CreditsReceipt>(new CustomerNotFound(CustomerId)); // Nothing to take back from a customer that is not there.
        }

        ApplyDue(ApiJob(request.IdempotencyKey, now));
        LedgerEntry entry;
        if (request.Amount > 0)
        {
            if (State.Grants.Count >= AccountLimits.MaxOpenGrants)
            {
                return Outcome.Refused<CreditsReceipt>(new TooManyGrants(CustomerId, State.Grants.Count));
            }

            var bucket = new GrantedBucket
            {
                Id = $"grant-{State.LedgerSequence + 1}",
                Kind = BucketKind.Grant,
                Granted = request.Amount,
                Remaining = request.Amount,
                GrantedAt = now,
                ExpiresAt = request.ExpiresAt,

                // The ledger entry keeps the whole reason and the key; the account keeps its buckets small.
                Reason = Shortened(request.Reason),
            };
            State = State with { Grants = [.. State.Grants, bucket] };
            entry = Append(new LedgerEntry
            {
                Sequence = 0, At = now, Kind = LedgerKind.Grant, Parts = [new LedgerPart(bucket.Id, bucket.Granted, bucket.Remaining)],
                BalanceAfter = 0, IdempotencyKey = request.IdempotencyKey, Reason = request.Reason,
            }, now);
            TellExpiring(now); // A grant that already expires within the window is told with it.
        }
        else
        {
            if (Buckets.Take(State, -request.Amount, now, Policy.Grace) is not { } taken)
            {
                return Outcome.Refused<CreditsReceipt>(new InsufficientCredits(CustomerId, Available(now), -request.Amount));
            }

            State = taken.Account;
            entry = Append(new LedgerEntry
            {
                Sequence = 0, At = now, Kind = LedgerKind.Adjustment, Parts = taken.Parts, BalanceAfter = 0,
                IdempotencyKey = request.IdempotencyKey, Reason = request.Reason,
            }, now);
        }

        return Keyed(request.IdempotencyKey, GrantRequest.Operation, request.Fingerprint, CreditsReceipt.Of(CustomerId, request.IdempotencyKey, entry), now);
    }

    /// <summary>A bucket's reason: the first <see cref="AccountLimits.MaxBucketReason"/> characters, never cut inside a character.</summary>
    private static string Shortened(string reason)
    {
        if (reason.Length <= AccountLimits.MaxBucketReason)
        {
            return reason;
        }

        var cut = AccountLimits.MaxBucketReason - 1;
        return reason[..(char.IsHighSurrogate(reason[cut - 1]) ? cut - 1 : cut)] + "…";
    }

    /// <summary>A credits call's resets are recorded as the API's, under the request's key.</summary>
    private ResetJob ApiJob(string key, DateTimeOffset now) => new(key, ResetTrigger.Api, now, DryRun: false, Policy);

    private Outcome<CreditsReceipt> Keyed(string key, string operation, string fingerprint, CreditsReceipt receipt, DateTimeOffset now)
    {
        Changes.Add(new IdempotencyRecord(key, operation, fingerprint, receipt, now));
        return Outcome.Done<CreditsReceipt>(receipt);
    }
}
