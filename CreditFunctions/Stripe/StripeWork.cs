using System.Text.Json;
using CreditFunctions.Accounts;
using CreditFunctions.Events;
using CreditFunctions.Storage;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;
using Stripe;

namespace CreditFunctions.Stripe;

/// <summary>
/// Carries out a customer's work for Stripe, for one message of the Stripe queue: the auto top-up in flight (charged
/// by <see cref="TopUpCharge"/>) and the overage waiting to be reported (each meter event under its identifier, then
/// taken off the account). Work Stripe could not take (unreachable, 429, 5xx) is queued again after a growing wait
/// (<see cref="Backoff"/>); a top-up still not charged after <see cref="MaxAttempts"/> closes as failed, overage keeps
/// being tried hourly. The account is the truth: a message only says whose work to look at.
/// </summary>
public sealed partial class StripeWork(
    AccountRepository accounts, StripeBilling billing, TopUpCharge charge, StripeHandOff queue, CreditMetrics metrics, TimeProvider time, ILogger<StripeWork> logger)
{
    /// <summary>Attempts of a customer's work before a top-up is closed as failed (about an hour with <see cref="Backoff"/>).</summary>
    public const int MaxAttempts = 8;

    /// <summary>After <see cref="MaxAttempts"/>, how often overage Stripe could not take is tried again.</summary>
    public static readonly TimeSpan UsageRetryEvery = TimeSpan.FromHours(1);

    /// <summary>How long the waits before attempts 2 to <see cref="MaxAttempts"/> add up to: a top-up younger than this is not closed as unreachable.</summary>
    public static readonly TimeSpan RetriesLast = TimeSpan.FromTicks(Enumerable.Range(2, MaxAttempts - 1).Sum(a => Backoff(a).Ticks));

    /// <summary>The wait before attempt <paramref name="attempt"/>: 30 s, doubling, at most 30 minutes.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromSeconds(Math.Min(1800, 30 * Math.Pow(2, Math.Max(0, attempt - 2))));

    public async Task RunAsync(string messageText, long dequeueCount, CancellationToken cancellationToken = default)
    {
        if (EventsMessage.Read(messageText) is not { } message)
        {
            NotAMessage(logger, messageText.Length > 200 ? messageText[..200] : messageText);
            return; // Not ours: dropping it loses nothing (the account is the truth).
        }

        if (!queue.IsOn || !billing.IsConfigured)
        {
            Off(logger, message.CustomerId);
            return;
        }

        try
        {
            await WorkAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && dequeueCount >= Events.EventDelivery.HostMaxDequeueCount)
        {
            // The store (or anything else) failed on the host's last try: the message goes to the poison queue, and the metric and its alert see it.
            metrics.StripeWorkPoison();
            Poisoned(logger, message.CustomerId, dequeueCount, ex.GetType().Name, ex.Message);
            throw;
        }
    }

    private async Task WorkAsync(EventsMessage message, CancellationToken cancellationToken)
    {
        var customerId = message.CustomerId;
        var state = (await accounts.LoadAsync(customerId, cancellationToken).ConfigureAwait(false)).Account.State;
        var again = false;
        if (state.TopUps?.InFlight is { } topUp)
        {
            // The last attempt is the top-up's own: the message's count may have run on for overage while Stripe was down.
            var lastAttempt = message.Attempt >= MaxAttempts && time.GetUtcNow() - topUp.RequestedAt >= RetriesLast;
            again |= !await charge.ChargeAsync(customerId, topUp, lastAttempt, cancellationToken).ConfigureAwait(false);
        }

        if (state.PendingUsage.Count > 0)
        {
            again |= !await ReportAsync(customerId, state.PendingUsage, cancellationToken).ConfigureAwait(false);
        }

        if (again)
        {
            var wait = message.Attempt >= MaxAttempts ? UsageRetryEvery : Backoff(message.Attempt + 1);
            await queue.RetryLaterAsync(customerId, message.Attempt + 1, wait, cancellationToken).ConfigureAwait(false);
            metrics.StripeWorkRetry();
            Retried(logger, customerId, message.Attempt, wait);
        }
    }

    /// <summary>Sends each waiting meter event, oldest first, and takes what Stripe took (or refused for good) off the account.</summary>
    /// <returns>False when Stripe could not be reached for some: they stay, for another attempt.</returns>
    private async Task<bool> ReportAsync(string customerId, IReadOnlyList<PendingUsage> pending, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var sent = 0;
        var complete = true;
        foreach (var usage in pending)
        {
            try
            {
                await billing.SendMeterEventAsync(customerId, usage, cancellationToken).ConfigureAwait(false);
                done.Add(usage.Identifier);
                sent++;
            }
            catch (Exception ex) when (TopUpCharge.IsTransient(ex, cancellationToken))
            {
                UsageDelayed(logger, usage.Identifier, customerId, ex.Message);
                complete = false;
                break; // Stripe is not taking them now: the rest wait too, in order.
            }
            catch (StripeException ex) when (ex.HttpStatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
            {
                // The key is wrong or lacks "Billing meter events write": a setting to fix, not a report to drop.
                UsageDelayed(logger, usage.Identifier, customerId, ex.StripeError?.Message ?? ex.Message);
                complete = false;
                break;
            }
            catch (StripeException ex)
            {
                // Refused for good (no such meter, a time past Stripe's 35 days ...): another try would be refused again.
                var reason = ex.StripeError?.Code ?? ((int)ex.HttpStatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
                metrics.OverageRefused(reason);
                UsageRefused(logger, usage.Identifier, usage.Value, usage.EventName, customerId, usage.LedgerSequence, ex.StripeError?.Message ?? ex.Message);
                done.Add(usage.Identifier);
            }
        }

        if (done.Count > 0)
        {
            await accounts.ChangeAsync(customerId, account => account.UsageSent(done), saveIf: changed => changed, fresh: true, cancellationToken: cancellationToken).ConfigureAwait(false);
            metrics.OverageSent(sent);
        }

        return complete;
    }

    [LoggerMessage(3100, LogLevel.Warning, "A message on the Stripe queue is not one of ours and was dropped: {Message}")]
    private static partial void NotAMessage(ILogger logger, string message);

    [LoggerMessage(3101, LogLevel.Warning, "Stripe work for {CustomerId} was dropped: Stripe:ApiKey or Stripe__Queue is not set, so top-ups and overage are off")]
    private static partial void Off(ILogger logger, string customerId);

    [LoggerMessage(3102, LogLevel.Warning, "Stripe work of {CustomerId} not done on attempt {Attempt}; trying again in {Wait}")]
    private static partial void Retried(ILogger logger, string customerId, int attempt, TimeSpan wait);

    [LoggerMessage(3103, LogLevel.Warning, "Overage {Identifier} of {CustomerId} could not reach Stripe ({Failure}); it stays, for the next attempt")]
    private static partial void UsageDelayed(ILogger logger, string identifier, string customerId, string failure);

    [LoggerMessage(3104, LogLevel.Error, "Stripe refused overage {Identifier} ({Value} credits to meter '{EventName}') of {CustomerId}, ledger entry {LedgerSequence}: {Failure}. It is not reported; bill it by hand and fix the meter")]
    private static partial void UsageRefused(ILogger logger, string identifier, long value, string eventName, string customerId, long ledgerSequence, string failure);

    [LoggerMessage(3105, LogLevel.Error, "The Stripe work of {CustomerId} failed on the host's try {DequeueCount} ({ExceptionType}: {Failure}); its message goes to the poison queue. The work stays on the account: POST .../auto-top-up/retry hands a top-up on again, the next overage spend hands overage on")]
    private static partial void Poisoned(ILogger logger, string customerId, long dequeueCount, string exceptionType, string failure);
}
