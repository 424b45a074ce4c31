using System.Globalization;

namespace CreditFunctions.Accounts;

public sealed partial class CustomerAccount
{
    /// <summary>Whether work handed to Stripe (top-ups, overage reports) is carried out here (see the constructor).</summary>
    public bool StripeWork { get; }

    /// <summary>
    /// Sets the customer's auto top-up (null: off). Turned on while available is already below the threshold, the same
    /// write starts a top-up, as a change crossing it would.
    /// </summary>
    public Outcome<TopUpState> SetAutoTopUp(AutoTopUpSettings settings, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!Exists)
        {
            return Outcome.Refused<TopUpState>(new CustomerNotFound(CustomerId));
        }

        ExpireDue(now);
        var topUps = State.TopUps ?? new TopUpState();
        State = State with { TopUps = topUps with { Settings = settings } }; // A failure's block (awaitingRise) outlives turning it off and on.
        ConsiderTopUp(now);
        return Outcome.Done(State.TopUps!);
    }

    /// <summary>
    /// An operator's retry: starts a top-up now whatever the balance (clearing the block a failure left), within the
    /// month's limit. With one in flight already, that one is answered and handed to Stripe again (its idempotency keys
    /// make that safe), even if auto top-up was turned off since it started (it is still charged): never two.
    /// </summary>
    public Outcome<TopUp> RetryTopUp(DateTimeOffset now)
    {
        if (!Exists)
        {
            return Outcome.Refused<TopUp>(new CustomerNotFound(CustomerId));
        }

        var topUps = State.TopUps;
        if (!StripeWork || topUps is null || !(topUps.Settings is { Enabled: true } || topUps.InFlight is not null))
        {
            return Outcome.Refused<TopUp>(new AutoTopUpOff(CustomerId, StripeWork));
        }

        ExpireDue(now);
        if (State.TopUps!.InFlight is { } inFlight)
        {
            Changes.StripeWork = true;
            return Outcome.Done(inFlight);
        }

        State = State with { TopUps = State.TopUps with { AwaitingRise = false } };
        return StartTopUp(TopUpTrigger.Operator, now) is { } started
            ? Outcome.Done(started)
            : Outcome.Refused<TopUp>(new TopUpLimitReached(CustomerId, topUps.Settings!.MaxPerMonth, MonthOf(now)));
    }

    /// <summary>The top-up's invoice was created in Stripe: kept, so a later attempt finishes that invoice instead of making another.</summary>
    public bool TopUpInvoiced(string topUpId, string invoiceId)
    {
        if (State.TopUps?.InFlight is not { } inFlight || inFlight.Id != topUpId || inFlight.InvoiceId == invoiceId)
        {
            return false;
        }

        State = State with { TopUps = State.TopUps with { InFlight = inFlight with { Status = TopUpStatus.Invoiced, InvoiceId = invoiceId } } };
        return true;
    }

    /// <summary>
    /// Closes the top-up in flight as failed, tells <c>credits.top_up_failed</c>, and blocks the next one until
    /// available has risen to the threshold and fallen below it again (or an operator retries). False when it was
    /// closed already (paid meanwhile, or another attempt closed it).
    /// </summary>
    public bool TopUpFailed(string topUpId, string reason, string message, DateTimeOffset now)
    {
        if (State.TopUps?.InFlight is not { } inFlight || inFlight.Id != topUpId)
        {
            return false;
        }

        var failed = inFlight with { Status = TopUpStatus.Failed, Reason = reason, Message = message, ClosedAt = now };
        State = State with { TopUps = State.TopUps with { InFlight = null, Last = failed, AwaitingRise = true } };
        Tell(CreditEventTypes.TopUpFailed, now, FailureData(failed, State.TopUps.Settings));
        return true;
    }

    /// <summary>Overage reports Stripe took (or refused for good): no longer waiting.</summary>
    public bool UsageSent(IReadOnlyCollection<string> identifiers)
    {
        ArgumentNullException.ThrowIfNull(identifiers);
        var left = State.PendingUsage.Where(u => !identifiers.Contains(u.Identifier)).ToList();
        if (left.Count == State.PendingUsage.Count)
        {
            return false;
        }

        State = State with { PendingUsage = left };
        return true;
    }

    /// <summary>A purchase paid for a top-up (its invoice's metadata names it): the top-up succeeded, whichever of the charge and <c>invoice.paid</c> came first.</summary>
    private void TopUpPaid(string topUpId, string invoiceId, DateTimeOffset now)
    {
        if (State.TopUps is not { } topUps)
        {
            return;
        }

        if (topUps.InFlight is { } inFlight && inFlight.Id == topUpId)
        {
            State = State with
            {
                TopUps = topUps with
                {
                    InFlight = null,
                    Last = inFlight with { Status = TopUpStatus.Succeeded, InvoiceId = invoiceId, ClosedAt = now },
                    AwaitingRise = topUps.Settings is { } settings && Available(now) < settings.BelowAvailable, // One per crossing: no chain.
                },
            };
        }
        else if (topUps.Last is { } last && last.Id == topUpId && last.Status != TopUpStatus.Succeeded)
        {
            // Closed as failed (Stripe unreachable past the retries) but paid after all: it did succeed.
            State = State with { TopUps = topUps with { Last = last with { Status = TopUpStatus.Succeeded, InvoiceId = invoiceId, ClosedAt = now, Reason = null, Message = null } } };
        }
    }

    /// <summary>
    /// After each change (once, at the end of a verb that settles its level): with auto top-up on, available below the
    /// threshold and none in flight, starts one. The account row's If-Match makes it once per crossing, however many
    /// concurrent changes cross together: the others retry on the new row and see it in flight.
    /// </summary>
    private void ConsiderTopUp(DateTimeOffset now)
    {
        if (_levelDeferred > 0 || !StripeWork || State.TopUps is not { Settings: { Enabled: true } settings } topUps)
        {
            return;
        }

        var available = Available(now);
        if (topUps.AwaitingRise)
        {
            if (available >= settings.BelowAvailable)
            {
                State = State with { TopUps = topUps with { AwaitingRise = false } }; // Risen back: the next crossing tops up again.
            }

            return;
        }

        if (available < settings.BelowAvailable && topUps.InFlight is null)
        {
            StartTopUp(TopUpTrigger.Threshold, now);
        }
    }

    private TopUp? StartTopUp(string trigger, DateTimeOffset now)
    {
        var topUps = State.TopUps!;
        var settings = topUps.Settings!;
        var month = MonthOf(now);
        var started = topUps.Month == month ? topUps.StartedInMonth : 0;
        if (started >= settings.MaxPerMonth)
        {
            if (topUps.LimitToldFor != month && trigger == TopUpTrigger.Threshold)
            {
                State = State with { TopUps = topUps with { LimitToldFor = month } };
                Tell(CreditEventTypes.TopUpFailed, now, new Dictionary<string, object?>
                {
                    ["topUpId"] = null, ["reason"] = TopUpFailure.MonthlyLimit,
                    ["message"] = $"{started} top-ups were started in {month}, the most maxPerMonth allows; none starts until next month or the limit is raised.",
                    ["invoiceId"] = null, ["priceId"] = settings.PriceId, ["quantity"] = settings.Quantity, ["belowAvailable"] = settings.BelowAvailable,
                });
            }

            return null;
        }

        var number = topUps.Sequence + 1;
        var topUp = new TopUp(TopUp.IdFor(CustomerId, number), trigger, now, Available(now), settings.PriceId, settings.Quantity);
        State = State with { TopUps = topUps with { InFlight = topUp, Sequence = number, Month = month, StartedInMonth = started + 1 } };
        Changes.StripeWork = true;
        return topUp;
    }

    private static Dictionary<string, object?> FailureData(TopUp failed, AutoTopUpSettings? settings) => new()
    {
        ["topUpId"] = failed.Id, ["reason"] = failed.Reason, ["message"] = failed.Message, ["invoiceId"] = failed.InvoiceId,
        ["priceId"] = failed.PriceId, ["quantity"] = failed.Quantity, ["belowAvailable"] = settings?.BelowAvailable,
    };

    private static string MonthOf(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}

/// <summary>What started a top-up (<see cref="TopUp.Trigger"/>).</summary>
public static class TopUpTrigger
{
    public const string Threshold = "threshold";
    public const string Operator = "operator";
}
