using CreditFunctions.Credits;
using CreditFunctions.Events;
using CreditFunctions.Functions;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
using CreditFunctions.Storage;
using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CreditFunctions;

/// <summary>The app's registrations, shared by Program.cs and the tests so both build the same container.</summary>
public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddCreditFunctions(this IServiceCollection services, IConfiguration configuration)
    {
        // Time
        services.TryAddSingleton(TimeProvider.System);

        // Telemetry
        services.AddCreditTelemetry(configuration);

        // Storage
        services.AddOptions<StorageOptions>()
            .BindConfiguration(StorageOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton(sp => TableServiceClientFactory.Create(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton<TableCreditStore>();
        services.AddSingleton<ICreditStore>(sp => sp.GetRequiredService<TableCreditStore>());

        // Resets
        services.AddOptions<ResetOptions>()
            .BindConfiguration(ResetOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<AccountCache>();
        services.AddSingleton<AccountRepository>();
        services.AddSingleton<CreditResetHandler>();
        services.AddHostedService<StartupAnnouncer>();

        // Stripe
        services.AddOptions<StripeOptions>()
            .BindConfiguration(StripeOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<StripeApi>();
        services.AddSingleton<PlanAllowances>();
        services.AddSingleton<StripeSubscriptionMapper>();
        services.AddSingleton<SubscriptionSync>();
        services.AddSingleton<StripeWebhookVerifier>();
        services.AddSingleton<StripePurchases>();
        services.AddSingleton<StripeEventProcessor>();
        services.AddSingleton<IRenewalReconciler, StripeRenewalReconciler>();
        services.AddSingleton<StripeHandOff>();
        services.AddSingleton<StripeBilling>();
        services.AddSingleton<TopUpCharge>();
        services.AddSingleton<StripeWork>();
        services.AddSingleton<AutoTopUps>();

        // Support console
        services.AddOptions<SupportConsole.ConsoleOptions>()
            .BindConfiguration(SupportConsole.ConsoleOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<SupportConsole.ConsoleAccess>();

        // Events out
        services.AddOptions<EventsOptions>()
            .BindConfiguration(EventsOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate<IConfiguration>(
                (events, settings) => !events.Enabled || !string.IsNullOrWhiteSpace(settings[$"{EventsOptions.SectionName}:Queue"]),
                "Events:Queue must be set as an app setting when events are on (Events__Queue, for example credits-events): the delivery "
                + "function's queue trigger reads it from the app settings, and without it the Functions host disables that function and no event goes out.")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<EventsOptions>>().Value.Policy);
        services.AddSingleton<EventsHandOff>();
        services.AddSingleton<IEventAnnouncer>(sp => sp.GetRequiredService<EventsHandOff>());
        services.AddSingleton<EventSender>();
        services.AddSingleton<EventDelivery>();

        // Credits API
        services.AddSingleton<CreditsService>();
        services.AddSingleton<StripeImport>();

        return services;
    }
}
