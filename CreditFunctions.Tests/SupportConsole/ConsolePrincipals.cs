using System.Text;
using System.Text.Json;

namespace CreditFunctions.Tests.SupportConsole;

/// <summary>The X-MS-CLIENT-PRINCIPAL header as App Service authentication (Entra ID) sets it: base64 JSON of the claims.</summary>
internal static class ConsolePrincipals
{
    public const string RoleType = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role";

    public static string Header(string name, params string[] roles)
    {
        var claims = new List<object>
        {
            new { typ = "http://schemas.microsoft.com/identity/claims/objectidentifier", val = "00000000-0000-0000-0000-0000000a11ce" },
            new { typ = "name", val = name.Split('@')[0] },
            new { typ = "preferred_username", val = name },
        };
        claims.AddRange(roles.Select(r => new { typ = "roles", val = r }));
        var principal = new { auth_typ = "aad", claims, name_typ = "preferred_username", role_typ = RoleType };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(principal)));
    }

    /// <summary>As in Azure: App Service authentication on, not Development.</summary>
    public static Dictionary<string, string?> InAzure() => new() { ["WEBSITE_AUTH_ENABLED"] = "True", ["WEBSITE_SITE_NAME"] = "func-credits-test" };

    /// <summary>As <c>func start</c> runs it locally.</summary>
    public static Dictionary<string, string?> Local() => new() { ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development" };
}
