using System.Globalization;
using System.Text.RegularExpressions;
using CreditFunctions.Accounts;

namespace CreditFunctions.SupportConsole;

/// <summary>A link from a ledger entry to where it came from (the Stripe Dashboard).</summary>
public sealed record SourceLink(string Label, Uri Url);

/// <summary>A ledger entry as the console shows it: the entry, what it did in words, and links to its sources.</summary>
public sealed record ExplainedEntry(LedgerEntry Entry, string Explanation, IReadOnlyList<SourceLink> Links);

/// <summary>
/// Says in words what each ledger entry did and why, for a support person answering "my credits are wrong": which
/// reset of which subscription, which spend with which key, which pack, refund or hold; and links each Stripe object it
/// names (event, subscription, invoice, payment intent) to the Stripe Dashboard.
/// </summary>
public static partial class LedgerExplanation
{
    public static ExplainedEntry Explain(LedgerEntry entry, Uri dashboard)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(dashboard);
        var amount = Math.Abs(entry.Amount);
        var credits = Credits(amount);
        var period = entry.Boundary is { } boundary ? $" at its boundary of {boundary.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}" : "";
        var text = entry.Kind switch
        {
            LedgerKind.Reset => $"Monthly allowance of {entry.SubscriptionId} reset{period}: {Signed(entry.Amount)}.",
            LedgerKind.Spend => $"Spent {credits}.",
            LedgerKind.Grant => $"Granted {credits}.",
            LedgerKind.Adjustment => $"Adjusted: took back {credits}.",
            LedgerKind.Expiry => $"{Capital(credits)} expired{period}.",
            LedgerKind.Rollover => $"Unused plan credits of {entry.SubscriptionId} carried over{period}: {Signed(entry.Amount)}.",
            LedgerKind.Upgrade => $"Plan change of {entry.SubscriptionId}: {Signed(entry.Amount)}.",
            LedgerKind.Purchase => $"Bought {credits} (a credit pack paid through Stripe).",
            LedgerKind.Refund => $"Refunded through Stripe: took back {credits}.",
            LedgerKind.Hold => $"Held {credits} (hold {entry.HoldId}): reserved, not spent yet.",
            LedgerKind.Capture => $"Hold {entry.HoldId} captured: {Signed(entry.Amount)} from the buckets.",
            LedgerKind.Release => $"Hold {entry.HoldId} released: {Signed(entry.Amount)} back to the buckets.",
            LedgerKind.Overage => $"Spent {Credits(entry.Overage ?? 0)} past zero as overage of {entry.SubscriptionId}, billed through Stripe (meter event {entry.MeterEventIdentifier}); the balance did not change.",
            _ => $"{entry.Kind}: {Signed(entry.Amount)}.",
        };
        var source = new List<string>();
        if (entry.Reason is { Length: > 0 } reason)
        {
            source.Add($"Reason: {reason}.");
        }

        if (entry.IdempotencyKey is { Length: > 0 } key)
        {
            source.Add($"Idempotency key {key}.");
        }

        if (entry.RunId is { Length: > 0 } run)
        {
            source.Add(run.StartsWith("evt_", StringComparison.Ordinal) ? $"Stripe event {run}." : $"Run or request {run}.");
        }

        if (entry.Metadata is { Count: > 0 } metadata)
        {
            source.Add("Metadata: " + string.Join(", ", metadata.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => $"{m.Key}={m.Value}")) + ".");
        }

        return new(entry, string.Join(" ", source.Prepend(text)), Links(entry, dashboard));
    }

    /// <summary>The Dashboard's address for the app's Stripe mode: test mode when the API key is a test key.</summary>
    public static Uri Dashboard(string baseUrl, string? apiKey) =>
        new((baseUrl ?? "https://dashboard.stripe.com").TrimEnd('/') + (apiKey is { } key && (key.StartsWith("sk_test_", StringComparison.Ordinal) || key.StartsWith("rk_test_", StringComparison.Ordinal)) ? "/test/" : "/"));

    private static List<SourceLink> Links(LedgerEntry entry, Uri dashboard)
    {
        var links = new List<SourceLink>();
        void Add(string label, string path)
        {
            if (links.All(l => l.Label != label))
            {
                links.Add(new(label, new Uri(dashboard, path)));
            }
        }

        if (entry.RunId is { } run && StripeId().IsMatch(run) && run.StartsWith("evt_", StringComparison.Ordinal))
        {
            Add(run, "events/" + run);
        }

        if (entry.SubscriptionId is { } subscription && StripeId().IsMatch(subscription))
        {
            Add(subscription, "subscriptions/" + subscription);
        }

        foreach (Match id in StripeId().Matches(entry.Reason ?? ""))
        {
            switch (id.Value[..id.Value.IndexOf('_', StringComparison.Ordinal)])
            {
                case "in":
                    Add(id.Value, "invoices/" + id.Value);
                    break;
                case "pi":
                    Add(id.Value, "payments/" + id.Value);
                    break;
            }
        }

        return links;
    }

    private static string Credits(long amount) => amount == 1 ? "1 credit" : $"{amount.ToString("N0", CultureInfo.InvariantCulture)} credits";

    private static string Signed(long amount) => (amount >= 0 ? "+" : "−") + Credits(Math.Abs(amount));

    private static string Capital(string text) => text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..];

    [GeneratedRegex(@"\b(?:evt|sub|in|pi)_[A-Za-z0-9_]{1,250}\b")]
    private static partial Regex StripeId();
}
