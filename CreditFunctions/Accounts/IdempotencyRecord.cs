using System.Text.Json;

namespace CreditFunctions.Accounts;

/// <summary>
/// An API request's idempotency key with what it asked and what it was answered, stored with the change it made: the
/// same key again gets the same answer, and the same key with another request is refused.
/// </summary>
/// <param name="Operation">What the request did (spend, grant, ...): a key belongs to one operation.</param>
/// <param name="Fingerprint">The request's parameters, as compared for a reuse of the key.</param>
/// <param name="Answer">The answer given: the receipt written with the change; as read back, its JSON.</param>
public sealed record IdempotencyRecord(string Key, string Operation, string Fingerprint, object Answer, DateTimeOffset CreatedAt)
{
    /// <summary>The stored answer as <typeparamref name="T"/>, whether it was just made or read back as JSON.</summary>
    public T AnswerAs<T>(JsonSerializerOptions options)
        where T : class =>
        Answer as T ?? (Answer is JsonElement json ? json.Deserialize<T>(options) : null)
        ?? throw new InvalidOperationException($"The answer stored under key '{Key}' is not a {typeof(T).Name}.");
}
