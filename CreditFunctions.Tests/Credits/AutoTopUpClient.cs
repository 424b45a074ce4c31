using CreditFunctions.Functions;

namespace CreditFunctions.Tests.Credits;

/// <summary>Calls the auto top-up functions the way the worker does (answers checked against openapi/openapi.json).</summary>
internal static class AutoTopUpClient
{
    private static string Path(string customerId) => $"/api/customers/{customerId}/credits/auto-top-up";

    public static Task<FunctionHttp.Answer> GetAsync(AppHost app, string customerId) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<AutoTopUpHttp>().GetAsync(r, customerId, CancellationToken.None), "GET", Path(customerId));

    public static Task<FunctionHttp.Answer> PutAsync(AppHost app, string customerId, string body) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<AutoTopUpHttp>().PutAsync(r, customerId, CancellationToken.None), "PUT", Path(customerId), body: body);

    public static Task<FunctionHttp.Answer> RetryAsync(AppHost app, string customerId) =>
        FunctionHttp.InvokeAsync(app, r => app.Function<AutoTopUpHttp>().RetryAsync(r, customerId, CancellationToken.None), "POST", Path(customerId) + "/retry");
}
