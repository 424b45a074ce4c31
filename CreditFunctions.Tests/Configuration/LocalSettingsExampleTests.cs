using System.Text.Json;
using Microsoft.Extensions.Options;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Configuration;

/// <summary>The example settings file is what a new user copies: it must start the app, and list every setting.</summary>
public class LocalSettingsExampleTests
{
    private static Dictionary<string, string?> ExampleValues()
    {
        var path = Path.Combine(AzuriteFixture.RepositoryRoot, "local.settings.json.example");
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return document.RootElement.GetProperty("Values").EnumerateObject()
            .ToDictionary(p => p.Name.Replace("__", ":", StringComparison.Ordinal), p => (string?)p.Value.GetString());
    }

    [Fact]
    public async Task Example_StartsTheAppWithTheDocumentedDefaults()
    {
        using var host = AppHost.Build(Utc(2025, 1, 1), ExampleValues(), out _, out _);

        await host.StartAsync();

        var reset = host.Services.GetRequiredService<IOptions<ResetOptions>>().Value;
        var defaults = new ResetOptions();
        Assert.Equal(
            (defaults.AllowPastDue, defaults.MaxParallelism, defaults.TimerRunBudget, defaults.ManualRunBudget),
            (reset.AllowPastDue, reset.MaxParallelism, reset.TimerRunBudget, reset.ManualRunBudget));
        Assert.Equal("UseDevelopmentStorage=true", host.Services.GetRequiredService<IOptions<StorageOptions>>().Value.ConnectionString);
        await host.StopAsync();
    }

    [Theory]
    [InlineData(typeof(StorageOptions), StorageOptions.SectionName)]
    [InlineData(typeof(ResetOptions), ResetOptions.SectionName)]
    [InlineData(typeof(CreditFunctions.Stripe.StripeOptions), CreditFunctions.Stripe.StripeOptions.SectionName)]
    [InlineData(typeof(CreditFunctions.Events.EventsOptions), CreditFunctions.Events.EventsOptions.SectionName)]
    [InlineData(typeof(CreditFunctions.SupportConsole.ConsoleOptions), CreditFunctions.SupportConsole.ConsoleOptions.SectionName)]
    public void Example_ListsEverySettingOfEachOptionsClass(Type options, string section)
    {
        var values = ExampleValues();

        foreach (var property in options.GetProperties().Where(p => p.CanWrite))
        {
            Assert.True(values.ContainsKey($"{section}:{property.Name}"), $"local.settings.json.example lacks {section}__{property.Name}");
        }
    }

    [Fact]
    public void Example_ListsTheTelemetrySettings_EmptySoNothingIsExportedLocally()
    {
        var values = ExampleValues();

        Assert.Equal("", values[CreditFunctions.Telemetry.CreditTelemetry.ConnectionStringSetting]);
        Assert.Equal("", values[CreditFunctions.Telemetry.CreditTelemetry.AuthenticationStringSetting]);
    }
}
