using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>GET /api/openapi.json</c> (anonymous): the OpenAPI 3.1 document of every HTTP route, built into the app from
/// <c>openapi/openapi.json</c>, so a client generator can be pointed at the running app.
/// </summary>
public sealed class GetOpenApiDocument
{
    public const string Route = "openapi.json";

    private static readonly Lazy<byte[]> Document = new(() =>
    {
        using var stream = typeof(GetOpenApiDocument).Assembly.GetManifestResourceStream("openapi.json")
            ?? throw new InvalidOperationException("The build did not embed openapi/openapi.json.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    [Function(nameof(GetOpenApiDocument))]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return TypedResults.Bytes(Document.Value, "application/json");
    }
}
