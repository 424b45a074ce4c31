using System.Text.Json;
using CreditFunctions.Accounts;
using CreditFunctions.Resets;
using CreditFunctions.Storage;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Credits;

/// <summary>
/// Reads, spends and grants a customer's credits. Every call applies what is already due first (a boundary that has
/// passed, a grant that has expired), with the same exactly-once records the timer writes, so a customer who spends at
/// 00:30 on an anniversary spends the new month's credits. Each spend or grant is one conditional write of the
/// customer's account with its ledger entry and its idempotency record: all or nothing, exactly once per key; the
/// concurrent ones of one customer share that write (<see cref="CustomerChanges"/>).
/// </summary>
public sealed class CreditsService(AccountWriter writer, ICreditStore store, IOptions<ResetOptions> options)
{
    private const string Spend = "spend";
    private const string Grant = "grant";
    private const int MaxBucketReason = 100;

    private readonly ResetPolicy _policy = options.Value.Policy;
    private readonly CustomerChanges _changes = new(writer, store);

    public async Task<CreditsAnswer<CreditsView>> ReadAsync(string customerId, CancellationToken cancellationToken = default)
    {
        var update = await writer.UpdateAsync(customerId, (draft, _) =>
        {
            if (draft.Read is null)
            {
                return new DraftResult<CreditsAnswer<CreditsView>>(NotFound<CreditsView>(customerId)) { Refused = "no account" };
            }

            draft.ApplyDue(Job(draft, $"read-{Guid.NewGuid():N}"));
            return new DraftResult<CreditsAnswer<CreditsView>>(new(View(draft), StatusCodes200));
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return update.Answer;
    }

    /// <param name="before">Where the page starts: below this entry's number (the answer of the page before), or the newest.</param>
    public async Task<CreditsAnswer<LedgerPage>> LedgerAsync(string customerId, int limit, long? before, CancellationToken cancellationToken = default)
    {
        var read = await ReadAsync(customerId, cancellationToken).ConfigureAwait(false);
        if (read.Value is null)
        {
            return NotFound<LedgerPage>(customerId);
        }

        var entries = await store.GetLedgerAsync(customerId, limit, before, cancellationToken).ConfigureAwait(false);

        // Entries are numbered 1..n without gaps: there is more below the last one unless it was number 1.
        var next = entries.Count == limit && entries[^1].Sequence > 1 ? entries[^1].Sequence : (long?)null;
        return new(new LedgerPage(customerId, entries, next), StatusCodes200);
    }

    public Task<CreditsAnswer<CreditsReceipt>> SpendAsync(string customerId, SpendRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fingerprint = Fingerprint(Spend, request.Amount, request.Reason, null, request.Metadata);
        return _changes.SubmitAsync(customerId, new KeyedChange(request.IdempotencyKey, Spend, fingerprint, StatusCodes200, draft =>
        {
            if (!draft.Exists)
            {
                return NotFound<CreditsReceipt>(customerId);
            }

            draft.ApplyDue(Job(draft, request.IdempotencyKey));
            if (Buckets.Take(draft.Account, request.Amount, draft.Now, draft.Policy.Grace) is not { } taken)
            {
                return Insufficient(draft, request.Amount);
            }

            draft.SetAccount(taken.Account);
            var entry = draft.Append(new LedgerEntry
            {
                Sequence = 0, At = draft.Now, Kind = LedgerKind.Spend, Parts = taken.Parts, BalanceAfter = 0,
                IdempotencyKey = request.IdempotencyKey, Reason = request.Reason, Metadata = request.Metadata,
            });
            return new(Receipt(customerId, request.IdempotencyKey, entry), StatusCodes200);
        }), cancellationToken);
    }

    public Task<CreditsAnswer<CreditsReceipt>> GrantAsync(string customerId, GrantRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fingerprint = Fingerprint(Grant, request.Amount, request.Reason, request.ExpiresAt, null);
        return _changes.SubmitAsync(customerId, new KeyedChange(request.IdempotencyKey, Grant, fingerprint, StatusCodes201, draft =>
        {
            if (!draft.Exists && request.Amount < 0)
            {
                return NotFound<CreditsReceipt>(customerId); // Nothing to take back from a customer that is not there.
            }

            draft.ApplyDue(Job(draft, request.IdempotencyKey));
            LedgerEntry entry;
            if (request.Amount > 0)
            {
                if (draft.Account.Grants.Count >= CreditsLimits.MaxOpenGrants)
                {
                    return new(null, 409, new CreditsProblem(CreditsProblemType.TooManyGrants, "Too many open grants",
                        $"{customerId} holds {draft.Account.Grants.Count} open granted buckets, the most one customer may; let some be spent or expire first."));
                }

                var bucket = new GrantedBucket
                {
                    Id = $"grant-{draft.Account.LedgerSequence + 1}",
                    Kind = BucketKind.Grant,
                    Granted = request.Amount,
                    Remaining = request.Amount,
                    GrantedAt = draft.Now,
                    ExpiresAt = request.ExpiresAt,

                    // The ledger entry keeps the whole reason and the key; the account keeps its buckets small.
                    Reason = request.Reason.Length <= MaxBucketReason ? request.Reason : request.Reason[..(MaxBucketReason - 1)] + "…",
                };
                draft.SetAccount(draft.Account with { Grants = [.. draft.Account.Grants, bucket] });
                entry = draft.Append(new LedgerEntry
                {
                    Sequence = 0, At = draft.Now, Kind = LedgerKind.Grant, Parts = [new LedgerPart(bucket.Id, bucket.Granted, bucket.Remaining)],
                    BalanceAfter = 0, IdempotencyKey = request.IdempotencyKey, Reason = request.Reason,
                });
            }
            else
            {
                // An adjustment takes credits back in spend order, never below zero.
                if (Buckets.Take(draft.Account, -request.Amount, draft.Now, draft.Policy.Grace) is not { } taken)
                {
                    return Insufficient(draft, -request.Amount);
                }

                draft.SetAccount(taken.Account);
                entry = draft.Append(new LedgerEntry
                {
                    Sequence = 0, At = draft.Now, Kind = LedgerKind.Adjustment, Parts = taken.Parts, BalanceAfter = 0,
                    IdempotencyKey = request.IdempotencyKey, Reason = request.Reason,
                });
            }

            return new(Receipt(customerId, request.IdempotencyKey, entry), StatusCodes201);
        }), cancellationToken);
    }

    private static CreditsAnswer<CreditsReceipt> Insufficient(AccountDraft draft, long requested)
    {
        var available = draft.Available;
        return new(null, 409, new CreditsProblem(
            CreditsProblemType.InsufficientCredits,
            "Insufficient credits",
            $"{draft.Account.CustomerId} has {available} credits available; {requested} were asked for. Nothing was taken.",
            available,
            requested));
    }

    private static CreditsAnswer<T> NotFound<T>(string customerId)
        where T : class =>
        new(null, 404, new CreditsProblem(CreditsProblemType.CustomerNotFound, "Customer not found",
            $"No subscription or grant is stored for {customerId}. Customers appear with their first Stripe subscription or grant."));

    private ResetJob Job(AccountDraft draft, string runId) => new(runId, ResetTrigger.Api, draft.Now, DryRun: false, _policy);

    private static CreditsView View(AccountDraft draft)
    {
        var buckets = Buckets.InSpendOrder(draft.Account, draft.Now, draft.Policy.Grace);
        return new CreditsView(draft.Account.CustomerId, draft.Now, buckets.Sum(b => b.Remaining), [.. buckets.Select(BucketAnswer.From)]);
    }

    private static CreditsReceipt Receipt(string customerId, string key, LedgerEntry entry) =>
        new(customerId, key, entry.Kind, entry.Amount, entry.Parts, entry.BalanceAfter, entry.Sequence, entry.At);

    private static string Fingerprint(string operation, long amount, string? reason, DateTimeOffset? expiresAt, IReadOnlyDictionary<string, string>? metadata) =>
        JsonSerializer.Serialize(new
        {
            operation,
            amount,
            reason,
            expiresAt,
            metadata = metadata?.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => new[] { m.Key, m.Value }),
        });

    private const int StatusCodes200 = 200;
    private const int StatusCodes201 = 201;
}
