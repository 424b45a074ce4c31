using System.Globalization;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// Events and objects shaped exactly like Stripe's at API version 2026-10-28.endive: field names, nesting and types
/// follow the API reference's Event, Subscription (billing period on <c>items.data[]</c>), Invoice (subscription on
/// <c>parent.subscription_details</c>) and Invoice Line Item (<c>parent.subscription_item_details</c>, <c>period</c>,
/// <c>pricing.price_details</c>) objects, and the payloads 'stripe trigger' sends. Values are made up.
/// </summary>
internal static class StripeFixtures
{
    public const string ApiVersion = "2026-10-28.endive";

    public sealed record Plan(string PriceId, string Interval, int? CreditsMetadata, string? LookupKey = null, long UnitAmount = 2000);

    public static readonly Plan MonthlyPro = new("price_1MonthlyPro", "month", 1000);
    public static readonly Plan YearlyPro = new("price_1YearlyPro", "year", 1000, UnitAmount: 20000);
    public static readonly Plan YearlyTeam = new("price_1YearlyTeam", "year", 5000, UnitAmount: 90000);
    public static readonly Plan Unmapped = new("price_1Unmapped", "month", null);
    public static readonly Plan WeeklyPro = new("price_1WeeklyPro", "week", 1000, UnitAmount: 500);

    private static long Unix(DateTimeOffset value) => value.ToUnixTimeSeconds();

    private static string Str(string? value) => value is null ? "null" : $"\"{value}\"";

    public static string Event(string id, string type, DateTimeOffset created, string dataObject, string apiVersion = ApiVersion) => $$"""
        {
          "id": "{{id}}",
          "object": "event",
          "api_version": "{{apiVersion}}",
          "created": {{Unix(created)}},
          "data": {
            "object": {{dataObject}}
          },
          "livemode": false,
          "pending_webhooks": 1,
          "request": {
            "id": "req_{{id[4..]}}",
            "idempotency_key": "{{Guid.NewGuid()}}"
          },
          "type": "{{type}}"
        }
        """;

    public static string Price(Plan plan) => $$"""
        {
          "id": "{{plan.PriceId}}",
          "object": "price",
          "active": true,
          "billing_scheme": "per_unit",
          "created": 1704067200,
          "currency": "usd",
          "custom_unit_amount": null,
          "livemode": false,
          "lookup_key": {{Str(plan.LookupKey)}},
          "metadata": {{(plan.CreditsMetadata is { } credits ? $"{{\"credits_per_month\": \"{credits.ToString(CultureInfo.InvariantCulture)}\"}}" : "{}")}},
          "nickname": null,
          "product": "prod_CreditsPro",
          "recurring": {
            "interval": "{{plan.Interval}}",
            "interval_count": 1,
            "meter": null,
            "trial_period_days": null,
            "usage_type": "licensed"
          },
          "tax_behavior": "unspecified",
          "tiers_mode": null,
          "transform_quantity": null,
          "type": "recurring",
          "unit_amount": {{plan.UnitAmount}},
          "unit_amount_decimal": "{{plan.UnitAmount}}"
        }
        """;

    public static string Subscription(
        string id, string status, Plan plan, DateTimeOffset periodStart, DateTimeOffset periodEnd,
        bool cancelAtPeriodEnd = false, string latestInvoice = "\"in_1Latest\"") => $$"""
        {
          "id": "{{id}}",
          "object": "subscription",
          "application": null,
          "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
          "billing_cycle_anchor": {{Unix(periodStart)}},
          "billing_cycle_anchor_config": null,
          "billing_mode": { "flexible": null, "type": "classic" },
          "cancel_at": null,
          "cancel_at_period_end": {{(cancelAtPeriodEnd ? "true" : "false")}},
          "canceled_at": {{(status == "canceled" ? Unix(periodStart).ToString(CultureInfo.InvariantCulture) : "null")}},
          "cancellation_details": { "comment": null, "feedback": null, "reason": null },
          "collection_method": "charge_automatically",
          "created": {{Unix(periodStart)}},
          "currency": "usd",
          "customer": "cus_{{id[4..]}}",
          "days_until_due": null,
          "default_payment_method": "pm_1CardVisa",
          "default_source": null,
          "description": null,
          "discounts": [],
          "ended_at": null,
          "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
          "items": {
            "object": "list",
            "data": [
              {
                "id": "si_{{id[4..]}}",
                "object": "subscription_item",
                "created": {{Unix(periodStart)}},
                "current_period_end": {{Unix(periodEnd)}},
                "current_period_start": {{Unix(periodStart)}},
                "discounts": [],
                "metadata": {},
                "price": {{Price(plan)}},
                "quantity": 1,
                "subscription": "{{id}}",
                "tax_rates": []
              }
            ],
            "has_more": false,
            "total_count": 1,
            "url": "/v1/subscription_items?subscription={{id}}"
          },
          "latest_invoice": {{latestInvoice}},
          "livemode": false,
          "metadata": {},
          "next_pending_invoice_item_invoice": null,
          "on_behalf_of": null,
          "pause_collection": null,
          "payment_settings": { "payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off" },
          "pending_invoice_item_interval": null,
          "pending_setup_intent": null,
          "pending_update": null,
          "schedule": null,
          "start_date": {{Unix(periodStart)}},
          "status": "{{status}}",
          "test_clock": null,
          "transfer_data": null,
          "trial_end": null,
          "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
          "trial_start": null
        }
        """;

    public static string Invoice(
        string id, string subscriptionId, Plan plan, DateTimeOffset periodStart, DateTimeOffset periodEnd,
        string status = "paid", string billingReason = "subscription_cycle") => $$"""
        {
          "id": "{{id}}",
          "object": "invoice",
          "account_country": "US",
          "account_name": "CreditFunctions Test",
          "amount_due": {{plan.UnitAmount}},
          "amount_overpaid": 0,
          "amount_paid": {{(status == "paid" ? plan.UnitAmount : 0)}},
          "amount_remaining": {{(status == "paid" ? 0 : plan.UnitAmount)}},
          "attempt_count": 1,
          "attempted": true,
          "auto_advance": false,
          "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null },
          "billing_reason": "{{billingReason}}",
          "collection_method": "charge_automatically",
          "created": {{Unix(periodStart)}},
          "currency": "usd",
          "customer": "cus_{{subscriptionId[4..]}}",
          "customer_email": "buyer@example.com",
          "discounts": [],
          "due_date": null,
          "effective_at": {{Unix(periodStart)}},
          "hosted_invoice_url": "https://invoice.stripe.com/i/acct_test/test_{{id}}",
          "lines": {
            "object": "list",
            "data": [
              {
                "id": "il_{{id[3..]}}",
                "object": "line_item",
                "amount": {{plan.UnitAmount}},
                "currency": "usd",
                "description": "1 × Credits Pro (at ${{plan.UnitAmount / 100}}.00 / {{plan.Interval}})",
                "discount_amounts": [],
                "discountable": true,
                "discounts": [],
                "invoice": "{{id}}",
                "livemode": false,
                "metadata": {},
                "parent": {
                  "invoice_item_details": null,
                  "subscription_item_details": {
                    "invoice_item": null,
                    "proration": false,
                    "proration_details": { "credited_items": null },
                    "subscription": "{{subscriptionId}}",
                    "subscription_item": "si_{{subscriptionId[4..]}}"
                  },
                  "type": "subscription_item_details"
                },
                "period": { "end": {{Unix(periodEnd)}}, "start": {{Unix(periodStart)}} },
                "pretax_credit_amounts": [],
                "pricing": {
                  "price_details": { "price": "{{plan.PriceId}}", "product": "prod_CreditsPro" },
                  "type": "price_details",
                  "unit_amount_decimal": "{{plan.UnitAmount}}"
                },
                "quantity": 1,
                "taxes": []
              }
            ],
            "has_more": false,
            "total_count": 1,
            "url": "/v1/invoices/{{id}}/lines"
          },
          "livemode": false,
          "metadata": {},
          "number": "CF-0001",
          "parent": {
            "quote_details": null,
            "subscription_details": { "metadata": {}, "subscription": "{{subscriptionId}}" },
            "type": "subscription_details"
          },
          "period_end": {{Unix(periodStart)}},
          "period_start": {{Unix(periodStart)}},
          "status": "{{status}}",
          "status_transitions": { "finalized_at": {{Unix(periodStart)}}, "marked_uncollectible_at": null, "paid_at": {{Unix(periodStart)}}, "voided_at": null },
          "subtotal": {{plan.UnitAmount}},
          "total": {{plan.UnitAmount}}
        }
        """;
}
