namespace CreditFunctions.Subscriptions;

/// <summary>
/// What Stripe says about a subscription, as one value: a sync replaces it whole, so a field added here travels from the
/// mapper to the store without a copy in between.
/// </summary>
public sealed record StripeView
{
    public required string Id { get; init; }
    public required string CustomerId { get; init; }
    public required string PriceId { get; init; }

    /// <summary>The subscription item that carries the plan: what an invoice line is matched to.</summary>
    public string? ItemId { get; init; }

    /// <summary>Stripe's recurring interval: month or year get credits; day and week are refused (<see cref="BillingInterval"/>).</summary>
    public required string Interval { get; init; }
    public required string Status { get; init; }
    public required DateTimeOffset PeriodStart { get; init; }
    public required DateTimeOffset PeriodEnd { get; init; }
    public bool CancelAtPeriodEnd { get; init; }

    /// <summary>Payment collection is paused (<c>pause_collection</c>): invoices are not paid while it lasts.</summary>
    public bool CollectionPaused { get; init; }

    /// <summary>Credits per month; null when the plan is unknown (no metadata and no configured mapping).</summary>
    public int? MonthlyAllowance { get; init; }

    /// <summary>The most unused plan credits carried over a boundary (price metadata <c>credits_rollover_max</c>); 0 for none.</summary>
    public int RolloverMax { get; init; }

    /// <summary>The Stripe billing meter (its <c>event_name</c>) overage is reported to (price metadata <c>credits_overage_meter</c>); null: no overage.</summary>
    public string? OverageMeter { get; init; }

    /// <summary>The most credits of overage per billing period (price metadata <c>credits_overage_max</c>); 0: no overage.</summary>
    public long OverageMax { get; init; }

    /// <summary>When Stripe produced this state (the creation time of the event that carried it); orders deliveries.</summary>
    public DateTimeOffset? AsOf { get; init; }
}
