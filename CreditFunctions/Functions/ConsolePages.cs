using CreditFunctions.SupportConsole;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>
/// <c>GET /api/console</c> and <c>/api/console/{file}</c>: the support console's page and its scripts, built into the app (no CDN): to a
/// principal with the console's app role (or anyone locally, in Development). Not signed in: sent to App Service's
/// Entra ID sign-in, and back. No function key is involved, so none reaches the browser.
/// </summary>
public sealed class ConsolePages(ConsoleAccess access)
{
    public const string Route = "console";

    private static readonly Dictionary<string, (string Resource, string ContentType)> Files = new(StringComparer.Ordinal)
    {
        ["app.js"] = ("console/app.js", "text/javascript; charset=utf-8"),
        ["app.css"] = ("console/app.css", "text/css; charset=utf-8"),
        ["chart.umd.min.js"] = ("console/chart.umd.min.js", "text/javascript; charset=utf-8"),
    };

    private static readonly Dictionary<string, byte[]> Contents =
        Files.Values.Select(f => f.Resource).Append("console/index.html").ToDictionary(r => r, Read, StringComparer.Ordinal);

    /// <summary><c>GET /api/console</c>: the page.</summary>
    [Function("ConsolePage")]
    public IResult Page([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request) =>
        Serve(request, () => TypedResults.Bytes(Contents["console/index.html"], "text/html; charset=utf-8"));

    /// <summary><c>GET /api/console/{file}</c>: its script, style sheet and chart library.</summary>
    [Function("ConsoleFile")]
    public IResult File([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/{file}")] HttpRequest request, string file) =>
        Serve(request, () => Files.TryGetValue(file ?? "", out var served)
            ? TypedResults.Bytes(Contents[served.Resource], served.ContentType)
            : TypedResults.Content($"No console file '{file}'.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound));

    private IResult Serve(HttpRequest request, Func<IResult> serve)
    {
        ArgumentNullException.ThrowIfNull(request);
        var decision = access.Decide(request.Headers[ConsoleAccess.PrincipalHeader]);
        ConsoleHttp.Secure(request.HttpContext.Response);
        return decision.Lets ? serve()
            : decision.Kind == ConsoleAccessKind.SignIn ? TypedResults.Redirect(ConsoleHttp.SignInBackTo(request.Path + request.QueryString))
            : TypedResults.Content(ConsoleHttp.RefusedPage(decision, access.Role), "text/html; charset=utf-8", statusCode: StatusCodes.Status403Forbidden);
    }

    private static byte[] Read(string resource)
    {
        using var stream = typeof(ConsolePages).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The build did not embed {resource}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
