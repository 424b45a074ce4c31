using CreditFunctions.Periods;
using CreditFunctions.Subscriptions;
using Stripe;
using Subscription = Stripe.Subscription;

namespace CreditFunctions.Stripe;

/// <summary>
/// Reads a Stripe subscription (API 2026-10-28.endive) into a <see cref="StripeView"/>. The billing period lives on
/// the subscription items (<c>items.data[].current_period_start/end</c>), not on the subscription.
/// </summary>
public sealed partial class StripeSubscriptionMapper(PlanAllowances allowances, Microsoft.Extensions.Logging.ILogger<StripeSubscriptionMapper> logger)
{
    public StripeView Map(Subscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        if (!StripeIds.IsSubscription(subscription.Id) || !StripeIds.IsCustomer(subscription.CustomerId ?? subscription.Customer?.Id))
        {
            throw new InvalidDataException($"The subscription's id '{subscription.Id}' or its customer's is not a Stripe id.");
        }

        var items = subscription.Items?.Data ?? [];
        if (items.Count == 0)
        {
            throw new InvalidDataException($"Subscription {subscription.Id} has no items, so no price and no billing period.");
        }

        // The credit-bearing item decides the plan; with none, the first item (stored as an unknown plan).
        var item = items.FirstOrDefault(i => allowances.Resolve(i.Price) is not null) ?? items[0];
        var price = item.Price ?? throw new InvalidDataException($"Subscription item {item.Id} has no price.");
        var (overageMeter, overageMax) = PlanAllowances.Overage(price, bad => BadMetadata(logger, subscription.Id, bad));
        return new StripeView
        {
            Id = subscription.Id,
            CustomerId = subscription.CustomerId ?? subscription.Customer!.Id,
            PriceId = price.Id,
            ItemId = item.Id,
            Interval = price.Recurring?.Interval ?? "",
            Status = subscription.Status,
            PeriodStart = CreditPeriods.ToWholeSeconds(new DateTimeOffset(DateTime.SpecifyKind(item.CurrentPeriodStart, DateTimeKind.Utc))),
            PeriodEnd = CreditPeriods.ToWholeSeconds(new DateTimeOffset(DateTime.SpecifyKind(item.CurrentPeriodEnd, DateTimeKind.Utc))),
            CancelAtPeriodEnd = subscription.CancelAtPeriodEnd,
            CollectionPaused = subscription.PauseCollection is not null,
            MonthlyAllowance = allowances.Resolve(price),
            RolloverMax = allowances.RolloverMax(price, bad => BadMetadata(logger, subscription.Id, bad)),
            OverageMeter = overageMeter,
            OverageMax = overageMax,
        };
    }

    [Microsoft.Extensions.Logging.LoggerMessage(2500, Microsoft.Extensions.Logging.LogLevel.Error, "Subscription {SubscriptionId}: {Problem}")]
    private static partial void BadMetadata(Microsoft.Extensions.Logging.ILogger logger, string subscriptionId, string problem);
}
