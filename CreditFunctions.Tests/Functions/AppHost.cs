using CreditFunctions.Storage;
using CreditFunctions.Tests.Azurite;
using CreditFunctions.Tests.Stripe;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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

    /// <param name="services">Changes to the container after the app's own registrations (a test double around the store, say).</param>
    public static async Task<AppHost> StartAsync(DateTimeOffset now, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["CreditStorage:ConnectionString"] = await AzuriteFixture.ConnectionStringAsync(),
            ["CreditStorage:TablePrefix"] = AzuriteFixture.NewTablePrefix(),
            ["Stripe:WebhookSecret"] = StripeSigning.Secret,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = Build(now, all, out var time, out var logs, services);
        await host.StartAsync();
        return new AppHost(host, time, logs);
    }

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
