using System.Net;
using CreditFunctions.SupportConsole;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Functions;

/// <summary>How the console's routes answer a request the console does not let in, and the headers every answer carries.</summary>
internal static class ConsoleHttp
{
    /// <summary>App Service's Entra ID sign-in, back to the console after.</summary>
    public const string SignInUrl = "/.auth/login/aad?post_login_redirect_uri=/api/console";

    /// <summary>Sign-in, then back to <paramref name="pathAndQuery"/> (a console page, with its <c>?customer=</c>).</summary>
    public static string SignInBackTo(string pathAndQuery) =>
        "/.auth/login/aad?post_login_redirect_uri=" + Uri.EscapeDataString(pathAndQuery.StartsWith("/api/console", StringComparison.Ordinal) ? pathAndQuery : "/api/console");

    /// <summary>The header the console's page sends with every change: a page of another site cannot send it without CORS, which the app never allows.</summary>
    public const string ChangeHeader = "X-Credits-Console";

    /// <summary>Same-origin scripts and calls only, never framed, never cached.</summary>
    public static void Secure(HttpResponse response)
    {
        Private(response);
        response.Headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>Never cached (by the browser or a proxy) and read only as the type it declares: every answer of the console's calls, refusals and failures too.</summary>
    public static void Private(HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.CacheControl = "no-store";
    }

    public static IResult Refused(ConsoleDecision decision, string role) => decision.Kind switch
    {
        ConsoleAccessKind.SignIn => TypedResults.Problem(
            $"Sign in first: {SignInUrl}.", statusCode: StatusCodes.Status401Unauthorized, title: "Sign in", type: "sign-in-required",
            extensions: new Dictionary<string, object?> { ["signInUrl"] = SignInUrl }),
        ConsoleAccessKind.MissingRole => TypedResults.Problem(
            $"{decision.Principal} is signed in without the app role {role} the console needs; an administrator assigns it in Entra ID (Enterprise applications > the app > Users and groups).",
            statusCode: StatusCodes.Status403Forbidden, title: "Missing app role", type: "missing-role", extensions: new Dictionary<string, object?> { ["role"] = role }),
        _ => TypedResults.Problem(
            "The console needs App Service authentication with Microsoft Entra ID, which is not on for this app (docs/console.md); it lets nobody in until it is.",
            statusCode: StatusCodes.Status403Forbidden, title: "Console not configured", type: "console-not-configured"),
    };

    public static string RefusedPage(ConsoleDecision decision, string role)
    {
        var (title, text) = decision.Kind == ConsoleAccessKind.MissingRole
            ? ("Missing app role", $"You are signed in as {decision.Principal} without the app role {role}. Ask an administrator to assign it to you in Entra ID (Enterprise applications > the app > Users and groups), then sign in again.")
            : ("Console not configured", "The console needs App Service authentication with Microsoft Entra ID, which is not on for this app. See docs/console.md.");
        return $"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>{WebUtility.HtmlEncode(title)} - CreditFunctions console</title></head>
            <body><main><h1>{WebUtility.HtmlEncode(title)}</h1><p>{WebUtility.HtmlEncode(text)}</p><p><a href="/.auth/logout">Sign out</a></p></main></body></html>
            """;
    }
}
