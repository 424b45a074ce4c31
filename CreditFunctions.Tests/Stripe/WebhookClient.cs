using System.Text.Json;
using CreditFunctions.Functions;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Tests.Stripe;

/// <summary>Delivers a payload to the real StripeWebhook function resolved from the app's container, as Stripe would.</summary>
internal static class WebhookClient
{
    public static async Task<(int Status, JsonElement Body)> DeliverAsync(
        AppHost app, string payload, DateTimeOffset? signedAt = null, string secret = StripeSigning.Secret, string? header = null)
    {
        var signature = header ?? StripeSigning.Header(payload, signedAt ?? app.Time.GetUtcNow(), secret);
        var answer = await FunctionHttp.InvokeAsync(app, r => app.Function<StripeWebhook>().RunAsync(r, CancellationToken.None), HttpMethods.Post,
            "/api/" + StripeWebhook.Route, body: payload, headers: new Dictionary<string, string> { ["Stripe-Signature"] = signature });
        return (answer.Status, answer.Body);
    }

    /// <summary>
    /// Delivers and expects 200; answers the result label, with "; reset" when a reset was applied and
    /// "; reset skipped (reason)" when a due one was not.
    /// </summary>
    public static async Task<string> DeliverOkAsync(AppHost app, string payload)
    {
        var (status, body) = await DeliverAsync(app, payload);
        Assert.True(status == 200, $"expected 200, got {status}: {body}");
        return Describe(body);
    }

    public static string Describe(JsonElement answer)
    {
        var result = answer.GetProperty("result").GetString()!;
        if (!answer.TryGetProperty("reset", out var reset) || reset.ValueKind == JsonValueKind.Null)
        {
            return result;
        }

        return reset.GetProperty("applied").GetBoolean() ? result + "; reset" : $"{result}; reset skipped ({reset.GetProperty("reason").GetString()})";
    }
}
