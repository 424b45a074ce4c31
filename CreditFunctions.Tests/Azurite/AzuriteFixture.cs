using System.Reflection;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace CreditFunctions.Tests.Azurite;

/// <summary>
/// One Azurite for the whole test run, started on first use (or the one named by CREDITFUNCTIONS_TEST_STORAGE).
/// Each test gets its own tables through a fresh table prefix, so tests run in parallel without seeing each other.
/// </summary>
public sealed class AzuriteFixture
{
    public const string EnvironmentVariable = "CREDITFUNCTIONS_TEST_STORAGE";

    private static readonly Lazy<Task<string>> Shared = new(StartAsync);

    public static Task<string> ConnectionStringAsync() => Shared.Value;

    public static string RepositoryRoot { get; } = typeof(AzuriteFixture).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "RepositoryRoot").Value!;

    public static string NewTablePrefix() => "T" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A store over fresh tables in the shared Azurite.</summary>
    public static async Task<(TableCreditStore Store, StorageOptions Options)> NewStoreAsync()
    {
        var options = new StorageOptions { ConnectionString = await ConnectionStringAsync(), TablePrefix = NewTablePrefix() };
        var store = new TableCreditStore(new TableServiceClient(options.ConnectionString), Options.Create(options));
        await store.EnsureTablesAsync();
        return (store, options);
    }

    private static async Task<string> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return external;
        }

        var azurite = await AzuriteProcess.StartAsync(RepositoryRoot);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => azurite.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return azurite.ConnectionString;
    }
}
