using CreditFunctions.Credits;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CreditFunctions.Tests.Functions;

/// <summary>
/// The app's container, built from the same <see cref="ServiceCollectionExtensions.AddCreditFunctions"/> that
/// Program.cs calls, with settings as the Functions host would pass them and a fake clock.
/// </summary>
internal sealed class AppHost : IAsyncDisposable
{
    private AppHost(IHost host, FakeTimeProvider time, ListLoggerProvider logs)
    {
        Host = host;
        Time = time;
        Logs = logs;
    }

    public IHost Host { get; }
    public FakeTimeProvider Time { get; }
    public ListLoggerProvider Logs { get; }
    public IServiceProvider Services => Host.Services;

    /// <summary>The app's store, as its functions see it.</summary>
    public ICreditStore Store => Services.GetRequiredService<ICreditStore>();

    /// <summary>The credits API's service, as the functions use it.</summary>
    public CreditsService Credits => Services.GetRequiredService<CreditsService>();

    /// <param name="services">Changes to the container after the app's own registrations (a test double around the store, say).</param>
    /// <param name="stripe">A fake Stripe API for the app to read (the API key set and pointed at it), on the app's clock.</param>
    public static async Task<AppHost> StartAsync(
        DateTimeOffset now, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, FakeStripeApi? stripe = null)
    {
        var storage = await AzuriteFixture.ConnectionStringAsync();
        var all = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = storage,
            ["CreditStorage:ConnectionString"] = storage,
            ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix(),
            ["Stripe:WebhookSecret"] = StripeSigning.Secret,
        };
        if (stripe is not null)
        {
            all["Stripe:ApiKey"] = FakeStripeApi.ApiKey;
            all["Stripe:ApiBase"] = stripe.BaseUri.ToString();
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = Build(now, all, out var time, out var logs, services);
        await host.StartAsync();
        if (stripe is not null)
        {
            stripe.Clock = time.GetUtcNow;
        }

        return new AppHost(host, time, logs);
    }

    /// <summary>The app with its store wrapped by <paramref name="wrap"/> (a test double around the real store), and that wrapper.</summary>
    public static async Task<(AppHost App, TStore Store)> StartAsync<TStore>(DateTimeOffset now, Func<ICreditStore, TStore> wrap, IDictionary<string, string?>? settings = null)
        where TStore : class, ICreditStore
    {
        TStore? wrapped = null;
        var app = await StartAsync(now, settings, s => s.AddSingleton<ICreditStore>(sp => wrapped = wrap(sp.GetRequiredService<TableCreditStore>())));
        _ = app.Store;
        return (app, wrapped!);
    }

    /// <summary>A run as the timer (or, given a request, the manual reset) starts it; its summary.</summary>
    public async Task<ResetRunSummary> RunAsync(ResetRequest? request = null) =>
        (await Services.GetRequiredService<CreditResetHandler>().RunAsync(request ?? new ResetRequest(ResetTrigger.Timer))).Summary
        ?? throw new InvalidOperationException("the run named nothing that is stored");

    /// <summary>Builds without starting, for tests of start-up validation.</summary>
    public static IHost Build(
        DateTimeOffset now, IDictionary<string, string?> settings, out FakeTimeProvider time, out ListLoggerProvider logs, Action<IServiceCollection>? services = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        time = new FakeTimeProvider(now);
        logs = new ListLoggerProvider();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddCreditFunctions(builder.Configuration);
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Creates a function class the way the worker does: constructor arguments from the container.</summary>
    public T Function<T>() => ActivatorUtilities.CreateInstance<T>(Services);

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
