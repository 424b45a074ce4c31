using CreditFunctions.Accounts;
using CreditFunctions.Storage;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// A customer's auto top-up as the API sees it: read, set (turned on only with the Stripe hand-off configured and a
/// price that buys credits, checked with Stripe), and retried by an operator. Each change is load → verb → save.
/// </summary>
public sealed class AutoTopUps(AccountRepository accounts, StripeApi api, StripeHandOff handOff, TimeProvider time)
{
    public async Task<Outcome<AutoTopUpView>> GetAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var loaded = await accounts.LoadAsync(customerId, cancellationToken).ConfigureAwait(false);
        return loaded.Account.Exists
            ? Outcome.Done(AutoTopUpView.Of(loaded.Account, time.GetUtcNow()))
            : Outcome.Refused<AutoTopUpView>(new CustomerNotFound(customerId));
    }

    public async Task<Outcome<AutoTopUpView>> SetAsync(string customerId, AutoTopUpSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Enabled)
        {
            if (!handOff.IsOn)
            {
                return Outcome.Refused<AutoTopUpView>(new AutoTopUpOff(customerId, StripeConfigured: false));
            }

            if (await PriceProblemAsync(settings, cancellationToken).ConfigureAwait(false) is { } problem)
            {
                return Outcome.Refused<AutoTopUpView>(new InvalidTopUpPrice(settings.PriceId, problem));
            }
        }

        var changed = await accounts.ChangeAsync(customerId, account =>
        {
            var now = time.GetUtcNow();
            var set = account.SetAutoTopUp(settings, now);
            return set.Refusal is { } refusal ? Outcome.Refused<AutoTopUpView>(refusal) : Outcome.Done(AutoTopUpView.Of(account, now));
        }, saveIf: set => set.Refusal is null, cancellationToken: cancellationToken).ConfigureAwait(false);
        return changed.Result;
    }

    public async Task<Outcome<AutoTopUpView>> RetryAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var changed = await accounts.ChangeAsync(customerId, account =>
        {
            var now = time.GetUtcNow();
            var retried = account.RetryTopUp(now);
            return retried.Refusal is { } refusal ? Outcome.Refused<AutoTopUpView>(refusal) : Outcome.Done(AutoTopUpView.Of(account, now));
        }, saveIf: retried => retried.Refusal is null, fresh: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (changed.Result.Value?.InFlight is not null && changed.Status != SaveStatus.Written)
        {
            // The one in flight, unchanged (its message lost or poisoned): handed to Stripe again, now. Its idempotency
            // keys and kept invoice make a second hand-off safe.
            await handOff.RetryLaterAsync(customerId, 1, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        }

        return changed.Result;
    }

    /// <summary>Why the price cannot be a top-up's pack (missing, recurring, archived, no credits metadata); null when it can.</summary>
    private async Task<string?> PriceProblemAsync(AutoTopUpSettings settings, CancellationToken cancellationToken)
    {
        Price price;
        try
        {
            price = await api.GetPriceAsync(settings.PriceId, cancellationToken).ConfigureAwait(false);
        }
        catch (StripeException ex) when (ex.HttpStatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return $"Stripe has no price {settings.PriceId}.";
        }

        if (price.Type != "one_time")
        {
            return $"{price.Id} is a {price.Type} price; a top-up buys a one-time price (a credit pack).";
        }

        if (!price.Active)
        {
            return $"{price.Id} is archived (not active); invoices cannot use it.";
        }

        var credits = PackCredits.FromPrices([(price, settings.Quantity)], out var problem);
        return problem ?? (credits is null ? $"{price.Id} has no '{PackCredits.CreditsKey}' metadata, so a top-up of it would grant nothing." : null);
    }
}

/// <summary>A customer's auto top-up as answered: its settings (null fields before it was ever set), this month's count, the one in flight and the last.</summary>
/// <param name="AwaitingRise">No top-up starts until available has risen to <c>belowAvailable</c> (after a failure, or one that left it below).</param>
/// <param name="StripeConfigured">Whether this app can charge at all (<c>Stripe:ApiKey</c> and <c>Stripe__Queue</c> set).</param>
public sealed record AutoTopUpView(
    string CustomerId, bool Enabled, long? BelowAvailable, string? PriceId, long? Quantity, int? MaxPerMonth, long Available, string Month,
    int StartedThisMonth, bool AwaitingRise, TopUp? InFlight, TopUp? Last, bool StripeConfigured)
{
    public static AutoTopUpView Of(CustomerAccount account, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(account);
        var topUps = account.State.TopUps;
        var settings = topUps?.Settings;
        var month = now.UtcDateTime.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        return new(account.CustomerId, settings?.Enabled == true, settings?.BelowAvailable, settings?.PriceId, settings?.Quantity, settings?.MaxPerMonth,
            account.Available(now), month, topUps?.Month == month ? topUps.StartedInMonth : 0, topUps?.AwaitingRise == true, topUps?.InFlight, topUps?.Last,
            account.StripeWork);
    }
}
