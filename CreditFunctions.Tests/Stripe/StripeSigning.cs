using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CreditFunctions.Tests.Stripe;

/// <summary>
/// Signs payloads the way Stripe does (https://docs.stripe.com/webhooks#verify-manually): the header is
/// <c>t={unix seconds},v1={hex HMAC-SHA256 of "{t}.{payload}" keyed by the endpoint secret}</c>, as in
/// stripe/stripe-dotnet's own EventUtility tests.
/// </summary>
internal static class StripeSigning
{
    public const string Secret = "whsec_test0123456789abcdefCreditFunctions";

    public static string Header(string payload, DateTimeOffset signedAt, string secret = Secret)
    {
        var timestamp = signedAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{payload}"));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
