using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace CreditFunctions.SupportConsole;

/// <summary>The support console's settings, bound from the <c>Console</c> section (<c>Console__Role</c>).</summary>
public sealed partial class ConsoleOptions
{
    public const string SectionName = "Console";

    /// <summary>The Entra ID app role a signed-in principal needs to use the console (its <c>roles</c> claim).</summary>
    [Required(ErrorMessage = "Console:Role must name an app role, such as Credits.Support.")]
    [RegularExpression(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$", ErrorMessage = "Console:Role must be an app role value: letters, digits, '.', '_' and '-', at most 120 characters; got '{0}'.")]
    public string Role { get; set; } = "Credits.Support";

    /// <summary>
    /// Where links to Stripe objects point: the Dashboard (live), or its test mode when the API key is a test key.
    /// Only changed for a Stripe account that uses a different Dashboard address.
    /// </summary>
    [Url(ErrorMessage = "Console:StripeDashboardUrl must be an absolute URL such as https://dashboard.stripe.com.")]
    public string StripeDashboardUrl { get; set; } = "https://dashboard.stripe.com";
}
