using System.Globalization;
using System.Text.Json;
using CreditFunctions.Accounts;
using CreditFunctions.Credits;

namespace CreditFunctions.Functions;

/// <summary>
/// Reads the credits API's JSON bodies strictly: every field named in an error, unknown fields refused, numbers whole
/// and within bounds, so a mistyped request is a 400 and never a silent default.
/// </summary>
public static class CreditsRequests
{
    public static (SpendRequest? Request, Dictionary<string, string[]> Errors) ParseSpend(string body) =>
        JsonBody.Parse(body, ["amount", "idempotencyKey", "reason", "metadata", "allowOverage"], (fields, errors) =>
        {
            var amount = Amount(fields, errors, allowNegative: false);
            var key = IdempotencyKey(fields, errors);
            var reason = Text(fields, errors, "reason", required: false);
            var metadata = Metadata(fields, errors);
            var overage = Flag(fields, errors, "allowOverage", "spend past 0 into the plan's overage, billed through Stripe");
            return errors.Count == 0 ? new SpendRequest(amount, key!, reason, metadata, overage) : null;
        });

    /// <summary>An optional true/false field; absent or null is false.</summary>
    public static bool Flag(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors, string name, string meaning)
    {
        ArgumentNullException.ThrowIfNull(fields);
        ArgumentNullException.ThrowIfNull(errors);
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors[name] = [$"'{name}' must be true ({meaning}) or false; got {value.GetRawText()}."];
            return false;
        }

        return value.GetBoolean();
    }

    public static (HoldRequest? Request, Dictionary<string, string[]> Errors) ParseHold(string body) =>
        JsonBody.Parse(body, ["amount", "idempotencyKey", "expiresIn", "reason", "metadata"], (fields, errors) =>
        {
            var amount = Amount(fields, errors, allowNegative: false);
            var key = IdempotencyKey(fields, errors);
            var expiresIn = HoldRequest.DefaultExpiresIn;
            if (fields.TryGetValue("expiresIn", out var value) && value.ValueKind != JsonValueKind.Null)
            {
                var max = (long)HoldRequest.MaxExpiresIn.TotalSeconds;
                if (!JsonBody.TryGetWhole(value, out var seconds) || seconds < 1 || seconds > max)
                {
                    errors["expiresIn"] = [$"'expiresIn' must be a whole number of seconds from 1 to {max} (24 hours); got {value.GetRawText()}. Leave it out for {HoldRequest.DefaultExpiresIn.TotalMinutes:0} minutes."];
                }
                else
                {
                    expiresIn = TimeSpan.FromSeconds(seconds);
                }
            }

            var reason = Text(fields, errors, "reason", required: false);
            var metadata = Metadata(fields, errors);
            return errors.Count == 0 ? new HoldRequest(amount, key!, expiresIn, reason, metadata) : null;
        });

    public static (CaptureRequest? Request, Dictionary<string, string[]> Errors) ParseCapture(string body, string holdId) =>
        JsonBody.Parse(body, ["amount", "idempotencyKey", "reason", "metadata"], (fields, errors) =>
        {
            var amount = Amount(fields, errors, allowNegative: false);
            var key = IdempotencyKey(fields, errors);
            var reason = Text(fields, errors, "reason", required: false);
            var metadata = Metadata(fields, errors);
            return errors.Count == 0 ? new CaptureRequest(holdId, amount, key!, reason, metadata) : null;
        });

    public static (ReleaseRequest? Request, Dictionary<string, string[]> Errors) ParseRelease(string body, string holdId) =>
        JsonBody.Parse(body, ["idempotencyKey"], (fields, errors) =>
        {
            var key = IdempotencyKey(fields, errors);
            return errors.Count == 0 ? new ReleaseRequest(holdId, key!) : null;
        });

    public static (GrantRequest? Request, Dictionary<string, string[]> Errors) ParseGrant(string body, DateTimeOffset now) =>
        JsonBody.Parse(body, ["amount", "idempotencyKey", "expiresAt", "reason"], (fields, errors) =>
        {
            var amount = Amount(fields, errors, allowNegative: true);
            var key = IdempotencyKey(fields, errors);
            var reason = Text(fields, errors, "reason", required: true);
            DateTimeOffset? expiresAt = null;
            if (fields.TryGetValue("expiresAt", out var value) && value.ValueKind != JsonValueKind.Null)
            {
                // ISO 8601 with its offset (or Z) and nothing else: a bare local time, or 01/02/2027, means different
                // instants to different readers.
                if (value.ValueKind != JsonValueKind.String
                    || !DateTimeOffset.TryParseExact(value.GetString(), IsoFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    errors["expiresAt"] = ["'expiresAt' must be an ISO 8601 time with its offset, such as YYYY-MM-DDThh:mm:ssZ or YYYY-MM-DDThh:mm:ss+02:00."];
                }
                else if (parsed <= now)
                {
                    errors["expiresAt"] = [$"'expiresAt' ({parsed:O}) is not in the future; it is now {now:O}."];
                }
                else if (parsed > now.AddYears(MaxExpiryYears))
                {
                    errors["expiresAt"] = [$"'expiresAt' is more than {MaxExpiryYears} years ahead; leave it out for credits that never expire."];
                }
                else if (amount < 0)
                {
                    errors["expiresAt"] = ["An adjustment (a negative amount) takes credits back and has no expiry."];
                }
                else
                {
                    expiresAt = parsed.ToUniversalTime();
                }
            }

            return errors.Count == 0 ? new GrantRequest(amount, key!, expiresAt, reason!) : null;
        });

    private const int MaxExpiryYears = 10;

    private static readonly string[] IsoFormats =
        ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:sszzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz"];

    private static long Amount(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors, bool allowNegative)
    {
        var bounds = allowNegative
            ? $"a whole number from -{AccountLimits.MaxAmount} to {AccountLimits.MaxAmount}, not 0"
            : $"a whole number from 1 to {AccountLimits.MaxAmount}";
        if (!fields.TryGetValue("amount", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors["amount"] = [$"'amount' is required: {bounds}."];
            return 0;
        }

        if (!JsonBody.TryGetWhole(value, out var amount))
        {
            // A string ("5"), a fraction (1.5) or a number past a long's range: say what it is, not that it is missing.
            var what = value.ValueKind == JsonValueKind.Number ? $"got {value.GetRawText()}" : $"got a JSON {value.ValueKind.ToString().ToLowerInvariant()}";
            errors["amount"] = [$"'amount' must be {bounds}; {what}."];
            return 0;
        }

        if (amount == 0 || (!allowNegative && amount < 0) || amount is < -AccountLimits.MaxAmount or > AccountLimits.MaxAmount)
        {
            errors["amount"] = [$"'amount' must be {bounds}; got {amount}."];
        }

        return amount;
    }

    private static string? IdempotencyKey(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors)
    {
        if (!fields.TryGetValue("idempotencyKey", out var value) || value.ValueKind != JsonValueKind.String || value.GetString() is not { Length: > 0 } key)
        {
            errors["idempotencyKey"] = ["'idempotencyKey' is required: a string you choose per request (a UUID, say), sent again to retry it."];
            return null;
        }

        if (key.Length > CreditsLimits.MaxIdempotencyKeyLength || key.Any(c => c is < '!' or > '~' or '/' or '\\' or '#' or '?'))
        {
            errors["idempotencyKey"] = [$"'idempotencyKey' must be 1 to {CreditsLimits.MaxIdempotencyKeyLength} printable ASCII characters without spaces, '/', '\\\\', '#' or '?'."];
            return null;
        }

        return key;
    }

    private static string? Text(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors, string name, bool required)
    {
        if (!fields.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors[name] = [$"'{name}' is required: why the credits are given or taken, up to {CreditsLimits.MaxReasonLength} characters."];
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String || value.GetString() is not { } text || text.Trim().Length == 0 || text.Length > CreditsLimits.MaxReasonLength)
        {
            errors[name] = [$"'{name}' must be text of 1 to {CreditsLimits.MaxReasonLength} characters."];
            return null;
        }

        return text;
    }

    private static Dictionary<string, string>? Metadata(Dictionary<string, JsonElement> fields, Dictionary<string, string[]> errors)
    {
        if (!fields.TryGetValue("metadata", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var limits = $"an object of up to {CreditsLimits.MaxMetadataEntries} string values, keys up to {CreditsLimits.MaxMetadataKeyLength} and values up to {CreditsLimits.MaxMetadataValueLength} characters";
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors["metadata"] = [$"'metadata' must be {limits}."];
            return null;
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String || entry.Name.Length is 0 or > CreditsLimits.MaxMetadataKeyLength
                || entry.Value.GetString()!.Length > CreditsLimits.MaxMetadataValueLength || !metadata.TryAdd(entry.Name, entry.Value.GetString()!))
            {
                errors["metadata"] = [$"'metadata' must be {limits}; '{entry.Name}' is not."];
                return null;
            }
        }

        if (metadata.Count > CreditsLimits.MaxMetadataEntries)
        {
            errors["metadata"] = [$"'metadata' must be {limits}; it has {metadata.Count} entries."];
            return null;
        }

        return metadata.Count == 0 ? null : metadata; // {} and no metadata are the same request
    }
}
