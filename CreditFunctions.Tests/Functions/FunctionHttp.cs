using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Tests.Functions;

/// <summary>
/// Calls an HTTP function the way the worker does: a request in, the function's IResult executed into a response, which
/// must be what openapi/openapi.json documents for it (<see cref="ApiContract"/>).
/// </summary>
internal static class FunctionHttp
{
    public sealed record Answer(int Status, string ContentType, JsonElement Body, IHeaderDictionary Headers)
    {
        /// <summary>The problem details' <c>type</c>; null for an answer that is not a problem.</summary>
        public string? ProblemType() =>
            Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : null;
    }

    public static async Task<Answer> InvokeAsync(
        AppHost app, Func<HttpRequest, Task<IResult>> function, string method, string path, string query = "", string? body = null,
        IReadOnlyDictionary<string, string>? headers = null)
    {
        var context = new DefaultHttpContext { RequestServices = app.Services };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.QueryString = new QueryString(query);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            context.Request.Headers[name] = value;
        }

        if (body is not null)
        {
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
            context.Request.ContentType = "application/json";
        }

        context.Response.Body = new MemoryStream();
        var result = await function(context.Request);
        await result.ExecuteAsync(context);

        context.Response.Body.Position = 0;
        using var document = await JsonDocument.ParseAsync(context.Response.Body);
        var answer = new Answer(context.Response.StatusCode, context.Response.ContentType ?? "", document.RootElement.Clone(), context.Response.Headers);
        ApiContract.CheckAnswer(method, path, answer.Status, answer.ContentType, answer.Headers, answer.Body);
        return answer;
    }
}
