using CreditFunctions.Resets;

namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>
    /// Applies what is due at the job's instant: what has expired goes, and each subscription (only those named, when
    /// <paramref name="only"/> is given: a run looks at the ones its due entries name) is decided with the reset rule and
    /// reset if a boundary is due. A reset sets the plan bucket to the allowance (or records the boundary as given, for a
    /// record-only import), moves unused credits up to the plan's cap into the rollover bucket, and records the reset
    /// (keyed by subscription and boundary) and its ledger entries. A dry run decides and changes nothing.
    /// </summary>
    /// <returns>
    /// What became of each subscription named; without <paramref name="only"/>, of each one with news (a reset applied,
    /// or one owed that cannot be).
    /// </returns>
    public IReadOnlyDictionary<string, ResetOutcome> ApplyDue(ResetJob job, IReadOnlyCollection<string>? only = null)
    {
        ArgumentNullException.ThrowIfNull(job);

        // Time alone moves the balance too (a renewal held back past its grace): the level is noticed at the end, once.
        return Settled(job.AsOf, () => ApplyDueNow(job, only), notice: !job.DryRun);
    }

    private Dictionary<string, ResetOutcome> ApplyDueNow(ResetJob job, IReadOnlyCollection<string>? only)
    {
        ExpireDue(job.AsOf);
        if (!job.DryRun)
        {
            TellExpiring(job.AsOf);
        }

        var outcomes = new Dictionary<string, ResetOutcome>(StringComparer.Ordinal);
        foreach (var id in only ?? [.. State.Subscriptions.Select(s => s.Id)])
        {
            if (State.Find(id) is not { } subscription)
            {
                outcomes[id] = ResetOutcome.Skip(SkipReason.SubscriptionMissing);
                continue;
            }

            if (only is not null)
            {
                Changes.Touch(id); // Looked at: its entry moves on by the rule whatever the decision.
            }

            var decision = ResetPlanner.Plan(subscription, job.AsOf, job.Policy);
            if (decision.Boundary is null && !job.DryRun)
            {
                TellUnconfirmed(subscription, decision, job.AsOf);
            }

            if (decision.Boundary is not { } boundary)
            {
                if (only is not null || decision.IsNews)
                {
                    outcomes[id] = ResetOutcome.Skip(decision.SkipReason ?? SkipReason.NotDue, decision.IsNews);
                }

                continue;
            }

            if (!HasRoomFor(4 + RoomForTheChange))
            {
                // The write is full (a customer with dozens of subscriptions due at once): the next write applies it.
                outcomes[id] = ResetOutcome.Skip(SkipReason.Deferred);
                continue;
            }

            outcomes[id] = Reset(subscription, decision, job);
        }

        return outcomes;
    }

    private ResetOutcome Reset(Subscriptions.Subscription subscription, ResetDecision decision, ResetJob job)
    {
        var boundary = decision.Boundary!.Value;
        var id = subscription.Id;

        // Boundary 0 grants the plan the period started with (a downgrade since waits for the next boundary); a month
        // inside the period grants the plan as it is now.
        var allowance = boundary == subscription.Stripe.PeriodStart
            ? subscription.AllowanceInEffect ?? subscription.Stripe.MonthlyAllowance!.Value
            : subscription.Stripe.MonthlyAllowance!.Value;
        var rolled = job.RecordOnly ? 0 : Math.Min(subscription.Stripe.RolloverMax, subscription.Balance);
        var after = job.RecordOnly ? subscription.Balance : allowance;
        if (job.DryRun)
        {
            return ResetOutcome.WouldApply(new PlannedReset(id, boundary, subscription.Balance, after));
        }

        // Last month's rollover ends with its month: at this boundary, even when a new period starts before the boundary
        // it was made to last until (an interval change, a new billing anchor).
        if (State.Grants.FirstOrDefault(g => g.Id == "rollover-" + id && g.Remaining > 0) is { } previous)
        {
            State = State with { Grants = [.. State.Grants.Where(g => g.Id != previous.Id)] };
            Append(new LedgerEntry
            {
                Sequence = 0, At = job.AsOf, Kind = LedgerKind.Expiry, BalanceAfter = 0, SubscriptionId = id, Boundary = boundary, RunId = job.RunId,
                Parts = [new LedgerPart(previous.Id, -previous.Remaining, 0)], Reason = "rollover ended with its month",
            }, job.AsOf);
        }

        if (rolled > 0)
        {
            // Unused credits up to the plan's cap move to a rollover bucket that lives until the next boundary only, so
            // rollover never piles up; what it held from the month before expired at this boundary.
            var rollover = new GrantedBucket
            {
                Id = "rollover-" + id,
                Kind = BucketKind.Rollover,
                Granted = rolled,
                Remaining = rolled,
                GrantedAt = job.AsOf,
                ExpiresAt = decision.NextCheck,
                Reason = "unused plan credits",
                SubscriptionId = id,
            };
            State = State.With(subscription with { Balance = subscription.Balance - rolled }) with
            {
                Grants = [.. State.Grants.Where(g => g.Id != rollover.Id), rollover],
            };
            Append(new LedgerEntry
            {
                Sequence = 0, At = job.AsOf, Kind = LedgerKind.Rollover, BalanceAfter = 0, SubscriptionId = id, Boundary = boundary, RunId = job.RunId,
                Parts = [new LedgerPart(subscription.PlanBucketId, -rolled, subscription.Balance - rolled), new LedgerPart(rollover.Id, rolled, rolled)],
            }, job.AsOf);
        }

        var reset = new AppliedReset
        {
            SubscriptionId = id,
            Boundary = boundary,
            BalanceBefore = subscription.Balance,
            BalanceAfter = after,
            Trigger = job.Trigger,
            RunId = job.RunId,
            AppliedAt = job.AsOf,
            SkippedBoundaries = decision.SkippedBoundaries,
            RecordOnly = job.RecordOnly,
        };
        var left = subscription.Balance - rolled;
        Put(subscription with { Balance = after, LastResetBoundary = boundary, AllowanceInEffect = job.RecordOnly ? subscription.AllowanceInEffect : allowance });
        Changes.Add(reset);
        var entry = Append(new LedgerEntry
        {
            Sequence = 0,
            At = job.AsOf,
            Kind = LedgerKind.Reset,
            Parts = [new LedgerPart(subscription.PlanBucketId, after - left, after)],
            BalanceAfter = 0,
            SubscriptionId = id,
            Boundary = boundary,
            RunId = job.RunId,
            Reason = job.RecordOnly ? "recorded as already given" : null,
        }, job.AsOf);
        Tell(CreditEventTypes.Reset, job.AsOf, new Dictionary<string, object?>
        {
            ["subscriptionId"] = id, ["boundary"] = boundary, ["allowance"] = allowance, ["balanceBefore"] = subscription.Balance,
            ["balanceAfter"] = after, ["rolledOver"] = rolled, ["skippedBoundaries"] = decision.SkippedBoundaries,
            ["trigger"] = job.Trigger, ["runId"] = job.RunId, ["recordOnly"] = job.RecordOnly,
        }, entry.Sequence);
        return ResetOutcome.Done(reset); // The level is noticed when ApplyDue ends, after every expiry and reset it makes.
    }
}
