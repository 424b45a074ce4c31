namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>
    /// Reserves credits for work whose cost is known at its end: takes them out of their buckets in spend order, all or
    /// nothing, after applying what is due, so nothing can take them while the hold is open. A <c>hold</c> ledger entry.
    /// </summary>
    public Outcome<CreditsReceipt> PlaceHold(HoldRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!Exists)
        {
            return Outcome.Refused<CreditsReceipt>(new CustomerNotFound(CustomerId));
        }

        ApplyDue(ApiJob(request.IdempotencyKey, now));
        if (State.Holds.Count >= AccountLimits.MaxOpenHolds)
        {
            return Outcome.Refused<CreditsReceipt>(new TooManyHolds(CustomerId, State.Holds.Count));
        }

        var expiries = BucketsAt(now).ToDictionary(b => b.Id, b => b.ExpiresAt, StringComparer.Ordinal);
        if (Buckets.Take(State, request.Amount, now, Policy.Grace) is not { } taken)
        {
            return Outcome.Refused<CreditsReceipt>(new InsufficientCredits(CustomerId, Available(now), request.Amount));
        }

        var hold = new Hold
        {
            Id = Hold.IdOf(State.HoldSequence + 1),
            Amount = request.Amount,
            Parts = [.. taken.Parts.Select(p => new HeldPart(p.BucketId, -p.Amount, expiries[p.BucketId]))],
            CreatedAt = now,
            ExpiresAt = now + request.ExpiresIn,
            Reason = request.Reason is null ? null : Shortened(request.Reason),
        };
        State = taken.Account with { Holds = [.. State.Holds, hold], HoldSequence = State.HoldSequence + 1 };
        var entry = Append(new LedgerEntry
        {
            Sequence = 0, At = now, Kind = LedgerKind.Hold, Parts = taken.Parts, BalanceAfter = 0, HoldId = hold.Id,
            IdempotencyKey = request.IdempotencyKey, Reason = request.Reason, Metadata = request.Metadata,
        }, now);
        var receipt = CreditsReceipt.Of(CustomerId, request.IdempotencyKey, entry) with
        {
            Hold = new HoldReceipt(hold.Id, HoldStatus.Open, hold.Amount, 0, 0, hold.ExpiresAt),
        };
        return Keyed(request.IdempotencyKey, HoldRequest.Operation, request.Fingerprint, receipt, now);
    }

    /// <summary>
    /// Captures what the work cost. Up to the held amount it always succeeds: the credits are the hold's own, taken in the
    /// order they were held, and the rest goes back. More than held takes the extra in spend order if it is there, else
    /// it is refused and the hold stays open. A <c>capture</c> ledger entry; the hold closes.
    /// </summary>
    public Outcome<CreditsReceipt> CaptureHold(CaptureRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (OpenHold(request.HoldId, request.IdempotencyKey, now) is { Refusal: { } refusal })
        {
            return Outcome.Refused<CreditsReceipt>(refusal);
        }

        var hold = State.Holds.Single(h => h.Id == request.HoldId);
        IReadOnlyList<LedgerPart> parts;
        IReadOnlyList<LedgerPart> ended = [];
        if (request.Amount <= hold.Amount)
        {
            (parts, ended) = GiveBack(Tail(hold.Parts, hold.Amount - request.Amount), now);
        }
        else if (Buckets.Take(State, request.Amount - hold.Amount, now, Policy.Grace) is { } extra)
        {
            State = extra.Account;
            parts = extra.Parts;
        }
        else
        {
            return Outcome.Refused<CreditsReceipt>(new InsufficientCredits(CustomerId, Available(now), request.Amount - hold.Amount));
        }

        var returned = Math.Max(0, hold.Amount - request.Amount);
        return CloseHold(hold, LedgerKind.Capture, parts, ended, request.IdempotencyKey, request.Reason, request.Metadata, now,
            receipt => Keyed(request.IdempotencyKey, CaptureRequest.Operation, request.Fingerprint,
                receipt with { Hold = new HoldReceipt(hold.Id, HoldStatus.Captured, hold.Amount, request.Amount, returned, hold.ExpiresAt) }, now));
    }

    /// <summary>Gives everything a hold took back (a <c>release</c> ledger entry); the hold closes.</summary>
    public Outcome<CreditsReceipt> ReleaseHold(ReleaseRequest request, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (OpenHold(request.HoldId, request.IdempotencyKey, now) is { Refusal: { } refusal })
        {
            return Outcome.Refused<CreditsReceipt>(refusal);
        }

        var hold = State.Holds.Single(h => h.Id == request.HoldId);
        var (parts, ended) = GiveBack(hold.Parts, now);
        return CloseHold(hold, LedgerKind.Release, parts, ended, request.IdempotencyKey, null, null, now,
            receipt => Keyed(request.IdempotencyKey, ReleaseRequest.Operation, request.Fingerprint,
                receipt with { Hold = new HoldReceipt(hold.Id, HoldStatus.Released, hold.Amount, 0, hold.Amount, hold.ExpiresAt) }, now));
    }

    /// <summary>
    /// Releases the holds that have expired by <paramref name="now"/>, each at its own expiry (what it gives back returns
    /// to the buckets that are live then), as many as this save has room for; the rest go with the next one.
    /// </summary>
    private void ReleaseExpiredHolds(DateTimeOffset now)
    {
        foreach (var hold in State.Holds.Where(h => h.ExpiresAt <= now).OrderBy(h => h.ExpiresAt).ToList())
        {
            if (!HasRoomFor(2 + RoomForTheChange))
            {
                return;
            }

            var (parts, ended) = GiveBack(hold.Parts, hold.ExpiresAt);
            CloseHold(hold, LedgerKind.Release, parts, ended, null, "hold expired", null, hold.ExpiresAt, receipt => Outcome.Done(receipt));
        }
    }

    /// <summary>The hold, or why it cannot be acted on: the customer or the hold unknown, or the hold closed (expired holds close first).</summary>
    private Outcome<Hold> OpenHold(string holdId, string key, DateTimeOffset now)
    {
        if (!Exists)
        {
            return Outcome.Refused<Hold>(new CustomerNotFound(CustomerId));
        }

        ApplyDue(ApiJob(key, now));
        if (State.Holds.FirstOrDefault(h => h.Id == holdId) is { } hold)
        {
            return Outcome.Done(hold);
        }

        return Hold.NumberOf(holdId) is { } number && number <= State.HoldSequence
            ? Outcome.Refused<Hold>(new HoldClosed(CustomerId, holdId))
            : Outcome.Refused<Hold>(new HoldNotFound(CustomerId, holdId));
    }

    private Outcome<CreditsReceipt> CloseHold(
        Hold hold, string kind, IReadOnlyList<LedgerPart> parts, IReadOnlyList<LedgerPart> ended, string? key, string? reason,
        IReadOnlyDictionary<string, string>? metadata, DateTimeOffset at, Func<CreditsReceipt, Outcome<CreditsReceipt>> answer)
    {
        State = State with { Holds = [.. State.Holds.Where(h => h.Id != hold.Id)] };

        // What goes back to a bucket that has ended shows in the entry, and in its balance, until the expiry that follows.
        var ending = ended.Sum(p => -p.Amount);
        var entry = Append(new LedgerEntry
        {
            Sequence = 0, At = at, Kind = kind, Parts = parts, BalanceAfter = 0, HoldId = hold.Id,
            IdempotencyKey = key, Reason = reason ?? hold.Reason, Metadata = metadata,
        }, at, ending);
        if (ended.Count > 0)
        {
            // Given back to a bucket that has ended since (its month passed, it expired): those credits expire now.
            Append(new LedgerEntry
            {
                Sequence = 0, At = at, Kind = LedgerKind.Expiry, Parts = ended, BalanceAfter = 0, HoldId = hold.Id,
                Reason = "held credits given back after their bucket ended",
            }, at);
        }

        return answer(CreditsReceipt.Of(CustomerId, key ?? "", entry) with { Available = Available(at) });
    }

    /// <summary>
    /// Gives <paramref name="parts"/> back as of <paramref name="at"/>: into their buckets while those are live, else as
    /// credits that expire at once. The ledger parts of the give-back, and those of the expiry that follows it.
    /// </summary>
    private (IReadOnlyList<LedgerPart> Returned, IReadOnlyList<LedgerPart> Ended) GiveBack(IEnumerable<HeldPart> parts, DateTimeOffset at)
    {
        var returned = new List<LedgerPart>();
        var ended = new List<LedgerPart>();
        foreach (var part in parts.Where(p => p.Amount > 0))
        {
            var (live, remaining) = Buckets.Find(State, part, at, Policy.Grace);
            returned.Add(new LedgerPart(part.BucketId, part.Amount, remaining + part.Amount));
            if (live)
            {
                State = Buckets.Give(State, part.BucketId, remaining + part.Amount);
            }
            else
            {
                ended.Add(new LedgerPart(part.BucketId, -part.Amount, remaining));
            }
        }

        return (returned, ended);
    }

    /// <summary>The last <paramref name="amount"/> credits of the held parts: a capture uses the first ones.</summary>
    private static List<HeldPart> Tail(IReadOnlyList<HeldPart> parts, long amount)
    {
        var tail = new List<HeldPart>();
        for (var i = parts.Count - 1; i >= 0 && amount > 0; i--)
        {
            var take = Math.Min(amount, parts[i].Amount);
            tail.Insert(0, parts[i] with { Amount = take });
            amount -= take;
        }

        return tail;
    }
}
