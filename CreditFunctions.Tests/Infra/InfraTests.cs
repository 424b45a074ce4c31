using System.ComponentModel.DataAnnotations;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Infra;

/// <summary>The deployment templates: they compile, lint clean, set what the app needs and carry no secrets.</summary>
public partial class InfraTests
{
    private static readonly Dictionary<string, Type> OptionsSections = new()
    {
        [StorageOptions.SectionName] = typeof(StorageOptions),
        [ResetOptions.SectionName] = typeof(ResetOptions),
        [StripeOptions.SectionName] = typeof(StripeOptions),
        [CreditFunctions.Events.EventsOptions.SectionName] = typeof(CreditFunctions.Events.EventsOptions),
        [CreditFunctions.SupportConsole.ConsoleOptions.SectionName] = typeof(CreditFunctions.SupportConsole.ConsoleOptions),
    };

    private static System.Text.Json.Nodes.JsonObject SiteConfig(string name) =>
        BicepCli.Resources(BicepCli.Template).Single(r => r["type"]?.GetValue<string>() == "Microsoft.Web/sites/config" && r["name"]!.GetValue<string>().Contains($"'{name}'", StringComparison.Ordinal)).AsObject();

    private static Dictionary<string, string> AppSettings()
    {
        var config = SiteConfig("appsettings");
        return config["properties"]!.AsObject().ToDictionary(p => p.Key, p => p.Value!.ToJsonString());
    }

    [Fact]
    public void MainBicep_LintsWithoutWarnings()
    {
        var (exit, stdout, stderr) = BicepCli.Run("lint", BicepCli.MainBicep);

        Assert.True(exit == 0, stderr);
        Assert.Equal("", (stdout + stderr).Trim());
    }

    [Fact]
    public void AppSettings_CoverEverySettingTheAppRequiresAtStartup()
    {
        var settings = AppSettings();
        var required = OptionsSections
            .SelectMany(s => s.Value.GetProperties()
                .Where(p => p.GetCustomAttributes(typeof(RequiredAttribute), true).Length > 0)
                .Select(p => $"{s.Key}__{p.Name}"))
            .Concat([
                // The Azure half of the storage scheme, and the host's own storage by identity.
                "CreditStorage__TableServiceUri", "CreditStorage__ClientId",
                "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
            ]);

        Assert.All(required, name => Assert.True(settings.ContainsKey(name), $"the Bicep does not set {name}"));
        Assert.DoesNotContain("CreditStorage__ConnectionString", settings.Keys);
        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Keys); // Flex Consumption takes the runtime from functionAppConfig
    }

    [Fact]
    public void AppSettings_NameOnlySettingsTheAppHas()
    {
        foreach (var name in AppSettings().Keys.Where(k => OptionsSections.ContainsKey(k.Split("__")[0])))
        {
            var parts = name.Split("__");
            Assert.True(OptionsSections[parts[0]].GetProperty(parts[1]) is not null, $"{name} is set by the Bicep but the app has no such setting");
        }
    }

    [Fact]
    public void AppSettings_TakeStripeSecretsFromKeyVault()
    {
        var settings = AppSettings();

        Assert.Contains("@Microsoft.KeyVault(SecretUri=", settings["Stripe__WebhookSecret"], StringComparison.Ordinal);
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", settings["Stripe__ApiKey"], StringComparison.Ordinal);
    }

    /// <summary>A Key Vault reference's value when it does not resolve: App Service passes the reference text itself.</summary>
    private static string Unresolved(string compiled)
    {
        var format = KeyVaultFormat().Match(compiled);
        Assert.True(format.Success, $"not a Key Vault reference: {compiled}");
        return format.Value.Replace("{0}", "https://kv-credits.vault.azure.net/", StringComparison.Ordinal);
    }

    /// <summary>
    /// The app settings as the platform hands them to the app: the Bicep's names; Key Vault references resolved to the
    /// stored secret, or left as their own text when the secret is missing; the API key empty while the Stripe API is off,
    /// the events' URL and secret empty while events are off.
    /// </summary>
    private static Dictionary<string, string?> AsThePlatformPassesThem(bool webhookSecretResolves, string apiKey, string events = "off")
    {
        var compiled = AppSettings();
        return compiled.Keys.ToDictionary(
            name => name.Replace("__", ":", StringComparison.Ordinal),
            name => (string?)(name switch
            {
                "CreditStorage__TableServiceUri" => "https://stcredits.table.core.windows.net/",
                "CreditStorage__ClientId" or "AzureWebJobsStorage__clientId" => "00000000-0000-0000-0000-00000000c1d0",
                "CreditStorage__TablePrefix" => "Credits",
                "Reset__AllowPastDue" => "False",
                "APPLICATIONINSIGHTS_CONNECTION_STRING" => "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:9/",
                "APPLICATIONINSIGHTS_AUTHENTICATION_STRING" => "ClientId=00000000-0000-0000-0000-00000000c1d0;Authorization=AAD",
                "Stripe__WebhookSecret" => webhookSecretResolves ? "whsec_resolvedFromKeyVault" : Unresolved(compiled[name]),
                "Stripe__ApiKey" => apiKey switch
                {
                    "off" => "",
                    "resolved" => "rk_test_resolvedFromKeyVault",
                    _ => Unresolved(compiled[name]),
                },
                "Stripe__PlanCredits" => "price_1Abc=1000",
                "Events__WebhookUrl" => events == "off" ? "" : "https://saas.example.com/credit-events",
                "Events__WebhookSecret" => events switch
                {
                    "off" => "",
                    "resolved" => "whsec_" + Convert.ToBase64String(new byte[32]),
                    _ => Unresolved(compiled[name]),
                },
                "Events__Queue" => "credits-events",
                "Stripe__Queue" => "credits-stripe",
                "Console__Role" => "Credits.Support",
                "Events__LowBelow" or "Events__LowBelowPercent" => "0",
                _ => "value",
            }));
    }

    [Theory]
    [InlineData("off", false)]
    [InlineData("resolved", true)]
    [InlineData("unresolved", false)]
    public async Task AppSettings_AsThePlatformPassesThem_StartTheAppWithOrWithoutTheOptionalApiKey(string apiKey, bool stripeApiOn)
    {
        using var host = AppHost.Build(Utc(2026, 1, 1), AsThePlatformPassesThem(webhookSecretResolves: true, apiKey), out _, out var logs);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(stripeApiOn, host.Services.GetRequiredService<StripeApi>().IsConfigured);
        Assert.Equal(apiKey == "unresolved", logs.Entries.Any(e =>
            e.Level == LogLevel.Warning && e.Message.Contains("Stripe:ApiKey is a Key Vault reference the platform could not resolve", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AppSettings_WebhookSecretReferenceUnresolved_StopsTheStartNamingTheSettingAndTheSecret()
    {
        using var host = AppHost.Build(Utc(2026, 1, 1), AsThePlatformPassesThem(webhookSecretResolves: false, "resolved"), out _, out _);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Stripe:WebhookSecret is a Key Vault reference the platform could not resolve", failure.Message, StringComparison.Ordinal);
        Assert.Contains("StripeWebhookSecret", failure.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("off", false)]
    [InlineData("resolved", true)]
    public async Task AppSettings_AsThePlatformPassesThem_StartTheAppWithEventsOnOrOff(string events, bool on)
    {
        using var host = AppHost.Build(Utc(2026, 1, 1), AsThePlatformPassesThem(webhookSecretResolves: true, "off", events), out _, out _);

        await host.StartAsync();
        await host.StopAsync();

        Assert.Equal(on, host.Services.GetRequiredService<IOptions<CreditFunctions.Events.EventsOptions>>().Value.Enabled);
    }

    [Fact]
    public async Task AppSettings_EventsSecretReferenceUnresolved_StopsTheStartNamingTheSettingAndTheSecret()
    {
        using var host = AppHost.Build(Utc(2026, 1, 1), AsThePlatformPassesThem(webhookSecretResolves: true, "off", "unresolved"), out _, out _);

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Events:WebhookSecret is a Key Vault reference the platform could not resolve", failure.Message, StringComparison.Ordinal);
        Assert.Contains("EventsWebhookSecret", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EventsSecret_IsAKeyVaultReferenceOnlyWhenEventsAreOn_AndTheEventsAndStripeQueuesAreCreated()
    {
        var settings = SiteConfig("appsettings")["properties"]!;
        var queues = BicepCli.Resources(BicepCli.Template).Where(r => r["type"]?.GetValue<string>() == "Microsoft.Storage/storageAccounts/queueServices/queues").ToList();

        Assert.StartsWith("[if(empty(parameters('eventsWebhookUrl')), '', format('@Microsoft.KeyVault(SecretUri=", settings["Events__WebhookSecret"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("secrets/EventsWebhookSecret", settings["Events__WebhookSecret"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(new CreditFunctions.Events.EventsOptions().Queue, BicepCli.Template["variables"]!["eventsQueue"]!.GetValue<string>());
        Assert.Equal("credits-stripe", BicepCli.Template["variables"]!["stripeQueue"]!.GetValue<string>());
        Assert.Equal("[parameters('stripeQueue')]", settings["Stripe__Queue"]!.GetValue<string>());
        Assert.Equal("[length(parameters('queueNames'))]", Assert.Single(queues)["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("", BicepCli.Template["parameters"]!["eventsWebhookUrl"]!["defaultValue"]!.GetValue<string>());
    }

    [Fact]
    public async Task AppSettings_WithApplicationInsights_ExportMetricsAndTracesWithTheAppsIdentity()
    {
        var settings = AsThePlatformPassesThem(webhookSecretResolves: true, "off");
        using var host = AppHost.Build(Utc(2026, 1, 1), settings, out _, out _);

        await host.StartAsync();
        await host.StopAsync();

        Assert.NotNull(host.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
        Assert.NotNull(host.Services.GetService<OpenTelemetry.Trace.TracerProvider>());
        Assert.IsType<Azure.Identity.ManagedIdentityCredential>(CreditTelemetry.Credential(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]));
        Assert.Null(CreditTelemetry.Credential(null));
    }

    [Fact]
    public void ConsoleSignIn_IsEntraIdAppServiceAuthentication_OnlyWithAClientId_LettingAnonymousCallsThrough()
    {
        var auth = SiteConfig("authsettingsV2");
        var properties = auth["properties"]!;
        var function = BicepCli.Resources(BicepCli.Template).Single(r => r["name"]?.GetValue<string>() == "function");

        Assert.Null(auth["condition"]); // always deployed, so emptying the id turns sign-in off again
        Assert.Equal("[not(empty(parameters('consoleClientId')))]", properties["platform"]!["enabled"]!.GetValue<string>());
        Assert.Equal("", BicepCli.Template["parameters"]!["consoleClientId"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal("Credits.Support", BicepCli.Template["parameters"]!["consoleRole"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal(new CreditFunctions.SupportConsole.ConsoleOptions().Role, BicepCli.Template["parameters"]!["consoleRole"]!["defaultValue"]!.GetValue<string>());
        Assert.Equal((false, "AllowAnonymous"), (properties["globalValidation"]!["requireAuthentication"]!.GetValue<bool>(), properties["globalValidation"]!["unauthenticatedClientAction"]!.GetValue<string>()));
        var entra = properties["identityProviders"]!.GetValue<string>(); // Entra ID with the client id and the tenant's issuer, or nothing without an id
        Assert.StartsWith("[if(empty(parameters('consoleClientId')), createObject(), createObject('azureActiveDirectory', createObject('enabled', true(), 'registration', createObject('clientId', parameters('consoleClientId'), 'openIdIssuer', format('{0}{1}/v2.0', environment().authentication.loginEndpoint, tenant().tenantId))", entra, StringComparison.Ordinal);
        Assert.Equal("[parameters('consoleRole')]", SiteConfig("appsettings")["properties"]!["Console__Role"]!.GetValue<string>());
        Assert.Equal("[parameters('consoleClientId')]", function["properties"]!["parameters"]!["consoleClientId"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public void StripeApiKey_IsEmptyUnlessTheStripeApiIsTurnedOn()
    {
        var apiKey = SiteConfig("appsettings")["properties"]!["Stripe__ApiKey"]!.GetValue<string>();
        var function = BicepCli.Resources(BicepCli.Template).Single(r => r["name"]?.GetValue<string>() == "function");

        Assert.StartsWith("[if(parameters('useStripeApi'), format('@Microsoft.KeyVault(SecretUri=", apiKey, StringComparison.Ordinal);
        Assert.EndsWith(", '')]", apiKey, StringComparison.Ordinal);
        Assert.Equal(
            "[or(parameters('useStripeApi'), not(empty(parameters('stripeApiKey'))))]",
            function["properties"]!["parameters"]!["useStripeApi"]!["value"]!.GetValue<string>());
        Assert.False(BicepCli.Template["parameters"]!["useStripeApi"]!["defaultValue"]!.GetValue<bool>());
    }

    [Fact]
    public void Storage_CreatesEveryTableTheAppUses()
    {
        var prefix = BicepCli.Template["variables"]!["tablePrefix"]!.GetValue<string>();
        var created = BicepCli.Template["variables"]!["tableNames"]!.AsArray().Select(n => n!.GetValue<string>());

        var function = BicepCli.Resources(BicepCli.Template).Single(r => r["name"]?.GetValue<string>() == "function");
        var storage = BicepCli.Resources(BicepCli.Template).Single(r => r["name"]?.GetValue<string>() == "storage");

        // The app is told the prefix the tables were made with, and the storage module makes exactly the app's tables.
        Assert.Equal("[variables('tablePrefix')]", function["properties"]!["parameters"]!["tablePrefix"]!["value"]!.GetValue<string>());
        Assert.Equal("[variables('tableNames')]", storage["properties"]!["parameters"]!["tableNames"]!["value"]!.GetValue<string>());
        Assert.Equal(new StorageOptions { TablePrefix = prefix }.AllTables.Order(StringComparer.Ordinal), created.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Templates_HoldNoSecretValues()
    {
        var infra = Path.Combine(AzuriteFixture.RepositoryRoot, "infra");
        var files = Directory.EnumerateFiles(infra, "*.*", SearchOption.AllDirectories)
            .Append(Path.Combine(AzuriteFixture.RepositoryRoot, "azure.yaml"));

        foreach (var file in files)
        {
            var match = SecretPattern().Match(File.ReadAllText(file));
            Assert.False(match.Success, $"{file} holds something secret-looking: {match.Value}");
        }

        var secureDefaults = BicepCli.Template["parameters"]!.AsObject()
            .Where(p => p.Value!["type"]!.GetValue<string>().StartsWith("secure", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(secureDefaults);
        Assert.All(secureDefaults, p => Assert.Equal("", p.Value!["defaultValue"]?.GetValue<string>() ?? ""));
    }

    [Fact]
    public void Storage_DisallowsSharedKeysAndOldTls()
    {
        var storage = BicepCli.Resources(BicepCli.Template).Single(r => r["type"]?.GetValue<string>() == "Microsoft.Storage/storageAccounts");

        Assert.False(storage["properties"]!["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.Equal("TLS1_2", storage["properties"]!["minimumTlsVersion"]!.GetValue<string>());
    }

    [Fact]
    public void FunctionApp_IsFlexConsumptionDotnetIsolated10()
    {
        var resources = BicepCli.Resources(BicepCli.Template).ToList();
        var plan = resources.Single(r => r["type"]?.GetValue<string>() == "Microsoft.Web/serverfarms");
        var site = resources.Single(r => r["type"]?.GetValue<string>() == "Microsoft.Web/sites");

        Assert.Equal(("FlexConsumption", "FC1"), (plan["sku"]!["tier"]!.GetValue<string>(), plan["sku"]!["name"]!.GetValue<string>()));
        var runtime = site["properties"]!["functionAppConfig"]!["runtime"]!;
        Assert.Equal(("dotnet-isolated", "10.0"), (runtime["name"]!.GetValue<string>(), runtime["version"]!.GetValue<string>()));
        Assert.Equal("UserAssigned", site["identity"]!["type"]!.GetValue<string>());
    }

    [GeneratedRegex(@"@Microsoft\.KeyVault\(SecretUri=\{0\}secrets/[A-Za-z]+\)")]
    private static partial Regex KeyVaultFormat();

    [GeneratedRegex(@"whsec_[A-Za-z0-9]{8,}|(sk|rk)_(live|test)_[A-Za-z0-9]{8,}|AccountKey=|InstrumentationKey=|SharedAccessSignature=|listKeys\(")]
    private static partial Regex SecretPattern();
}
