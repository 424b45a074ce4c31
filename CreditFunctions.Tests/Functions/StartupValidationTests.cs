using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Functions;

/// <summary>A wrong setting stops the app at start with the setting's name, instead of failing at 02:00.</summary>
public class StartupValidationTests
{
    private static async Task<Exception> StartFailureAsync(Dictionary<string, string?> settings)
    {
        using var host = AppHost.Build(Utc(2025, 1, 1), settings, out _, out _);
        return await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
    }

    private static Dictionary<string, string?> Valid() => new()
    {
        ["CreditStorage:ConnectionString"] = "UseDevelopmentStorage=true",
        ["Stripe:WebhookSecret"] = "whsec_test",
    };

    [Theory]
    [InlineData("Reset:MaxParallelism", "0", "Reset:MaxParallelism")]
    [InlineData("Reset:ManualRunBudget", "00:05:00", "Reset:ManualRunBudget")]
    [InlineData("Reset:TimerRunBudget", "-00:00:01", "Reset:TimerRunBudget")]
    [InlineData("Reset:ManualRunBudget", "soon", "Reset:ManualRunBudget")]
    [InlineData("Reset:AllowPastDue", "perhaps", "Reset:AllowPastDue")]
    [InlineData("CreditStorage:TablePrefix", "1bad-prefix", "CreditStorage:TablePrefix")]
    [InlineData("CreditStorage:TableServiceUri", "https://acct.table.core.windows.net", "CreditStorage:ConnectionString")]
    [InlineData("Stripe:WebhookSecret", "", "Stripe:WebhookSecret")]
    [InlineData("Stripe:WebhookSecret", "sk_test_oops", "Stripe:WebhookSecret")]
    [InlineData("Stripe:ApiKey", "pk_test_publishable", "Stripe:ApiKey")]
    [InlineData("Stripe:PlanCredits", "price_a=100;price_b", "Stripe:PlanCredits")]
    [InlineData("Stripe:PlanCredits", "price_a=-5", "Stripe:PlanCredits")]
    [InlineData("Stripe:PlanCredits", "price_a=1;price_a=2", "Stripe:PlanCredits")]
    public async Task Start_BadSetting_FailsNamingTheSetting(string key, string value, string named)
    {
        var settings = Valid();
        settings[key] = value;

        var failure = await StartFailureAsync(settings);

        Assert.Contains(named, failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Events on, with a secret of 32 random bytes and the queue named as an app setting.</summary>
    private static Dictionary<string, string?> EventsOn()
    {
        var settings = Valid();
        settings["Events:WebhookUrl"] = "https://saas.example/credits-events";
        settings["Events:WebhookSecret"] = "whsec_" + Convert.ToBase64String(new byte[32]);
        settings["Events:Queue"] = "credits-events";
        return settings;
    }

    [Theory]
    [InlineData("Events:WebhookSecret", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 33 characters: not base64 at all
    [InlineData("Events:WebhookSecret", "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 88 characters, 66 bytes: over 64
    [InlineData("Events:Queue", "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq")] // 57: its -poison queue would pass 63
    [InlineData("Events:Queue", null)] // the trigger reads it from the app settings: the host would disable delivery
    public async Task Start_EventsOnWithABadSetting_FailsNamingIt(string key, string? value)
    {
        var settings = EventsOn();
        settings[key] = value;

        var failure = await StartFailureAsync(settings);

        Assert.Contains(key, failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_EventsOnWithGoodSettings_Starts()
    {
        var settings = EventsOn();
        settings["CreditStorage:ConnectionString"] = await AzuriteFixture.ConnectionStringAsync();
        settings["AzureWebJobsStorage"] = settings["CreditStorage:ConnectionString"];
        using var host = AppHost.Build(Utc(2025, 1, 1), settings, out _, out _);

        await host.StartAsync();
        await host.StopAsync();
    }

    [Fact]
    public async Task Start_NoStorageSetting_FailsNamingBothSchemes()
    {
        var failure = await StartFailureAsync(new() { ["Stripe:WebhookSecret"] = "whsec_test" });

        Assert.IsType<OptionsValidationException>(failure);
        Assert.Contains("CreditStorage:ConnectionString", failure.Message, StringComparison.Ordinal);
        Assert.Contains("CreditStorage:TableServiceUri", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ManagedIdentitySettings_AreAccepted()
    {
        using var host = AppHost.Build(Utc(2025, 1, 1), new Dictionary<string, string?>
        {
            ["CreditStorage:TableServiceUri"] = "https://acct.table.core.windows.net",
            ["CreditStorage:ClientId"] = "00000000-0000-0000-0000-000000000001",
            ["Stripe:WebhookSecret"] = "whsec_test",
        }, out _, out _);

        await host.StartAsync();
        await host.StopAsync();
    }
}
