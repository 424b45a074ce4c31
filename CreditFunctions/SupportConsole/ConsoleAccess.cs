using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CreditFunctions.SupportConsole;

/// <summary>What the console lets a request do, and why not.</summary>
public enum ConsoleAccessKind
{
    /// <summary>Locally (Development, outside App Service): open to anyone who can reach the host.</summary>
    Open,

    /// <summary>Signed in through App Service authentication with the console's app role.</summary>
    Allowed,

    /// <summary>No signed-in principal: sign in first (App Service's <c>/.auth/login/aad</c>).</summary>
    SignIn,

    /// <summary>Signed in, without the console's app role.</summary>
    MissingRole,

    /// <summary>In Azure without App Service authentication: nobody can be trusted to be who they say, so nobody gets in.</summary>
    NotConfigured,
}

/// <summary>The decision for one request: its kind, and who is signed in (when someone is).</summary>
public sealed record ConsoleDecision(ConsoleAccessKind Kind, string? Principal)
{
    public bool Lets => Kind is ConsoleAccessKind.Open or ConsoleAccessKind.Allowed;
}

/// <summary>
/// Who may use the support console. In Azure, App Service authentication (Microsoft Entra ID) signs people in and
/// hands the app the principal in the <c>X-MS-CLIENT-PRINCIPAL</c> header (base64 JSON of its claims), which it sets
/// itself and never takes from the caller; the console requires the app role in its <c>roles</c> claims. Without
/// App Service authentication on (<c>WEBSITE_AUTH_ENABLED</c>) the header could come from anyone, so the console is
/// closed. Locally, in Development and outside App Service, it is open and says so.
/// </summary>
public sealed class ConsoleAccess(IConfiguration configuration, IOptions<ConsoleOptions> options)
{
    public const string PrincipalHeader = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>Open: the Functions host runs in Development (<c>func start</c> sets it) and not in App Service.</summary>
    public bool IsOpen =>
        string.Equals(configuration["AZURE_FUNCTIONS_ENVIRONMENT"], "Development", StringComparison.OrdinalIgnoreCase)
        && string.IsNullOrEmpty(configuration["WEBSITE_SITE_NAME"]);

    private bool AuthenticationOn => string.Equals(configuration["WEBSITE_AUTH_ENABLED"], "True", StringComparison.OrdinalIgnoreCase);

    public string Role => options.Value.Role;

    /// <param name="principalHeader">The request's <see cref="PrincipalHeader"/>, if any.</param>
    public ConsoleDecision Decide(string? principalHeader)
    {
        if (IsOpen)
        {
            return new(ConsoleAccessKind.Open, null);
        }

        if (!AuthenticationOn)
        {
            return new(ConsoleAccessKind.NotConfigured, null);
        }

        if (Principal.Parse(principalHeader) is not { } principal)
        {
            return new(ConsoleAccessKind.SignIn, null);
        }

        return new(principal.Roles.Contains(Role) ? ConsoleAccessKind.Allowed : ConsoleAccessKind.MissingRole, principal.Name);
    }

    /// <summary>A principal as App Service passes it: its name and its app roles.</summary>
    public sealed record Principal(string Name, IReadOnlySet<string> Roles)
    {
        /// <summary>The principal in the header, or null when there is none or it is not App Service's shape.</summary>
        public static Principal? Parse(string? header)
        {
            if (string.IsNullOrWhiteSpace(header) || header.Length > 64 * 1024)
            {
                return null;
            }

            try
            {
                using var document = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(header)));
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                var nameType = Text(root, "name_typ") ?? "name";
                var roleType = Text(root, "role_typ") ?? "roles";
                var pairs = claims.EnumerateArray().Select(c => (Type: Text(c, "typ"), Value: Text(c, "val"))).Where(c => c.Type is not null && c.Value is not null).ToList();
                var roles = pairs.Where(c => c.Type == roleType || c.Type == "roles").Select(c => c.Value!).ToHashSet(StringComparer.Ordinal);
                var name = new[] { nameType, "preferred_username", "name" }.Select(t => pairs.FirstOrDefault(c => c.Type == t).Value).FirstOrDefault(v => v is not null);
                return new(name ?? "(signed in)", roles);
            }
            catch (Exception ex) when (ex is FormatException or JsonException or DecoderFallbackException or ArgumentException)
            {
                return null;
            }
        }

        private static string? Text(JsonElement element, string property) =>
            element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
