using System.Diagnostics;

namespace CreditFunctions.Tests.Clients;

/// <summary>
/// The generated TypeScript client (clients/typescript) against the real functions over HTTP: its own <c>node --test</c>
/// suite (read, spend, grant, ledger paging, problem answers, trySpend), built with its pinned TypeScript and run against
/// the local server this test starts, where every answer is also checked against the document.
/// </summary>
public class TypeScriptClientTests
{
    [Fact]
    public async Task TheClientsNodeSuite_AgainstTheAppOverHttp_Passes()
    {
        await AzuriteProcess.EnsureNodePackagesAsync(AzuriteFixture.RepositoryRoot);
        await using var app = await AppHost.StartAsync(DateTimeOffset.UtcNow);
        await using var server = await LocalFunctionsServer.StartAsync(app);
        var start = new ProcessStartInfo("npm")
        {
            WorkingDirectory = AzuriteFixture.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "test", "--workspace", "clients/typescript" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CREDITS_API_URL"] = server.BaseAddress + "/api";
        start.Environment["CREDITS_FUNCTION_KEY"] = "local-key";

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        var text = await output + await errors;

        Assert.True(process.ExitCode == 0, $"npm test in clients/typescript failed ({process.ExitCode}):\n{text}");
        Assert.Matches(@"# pass [5-9]\d*", text);
        Assert.Contains("# fail 0", text, StringComparison.Ordinal);
        Assert.True(server.Checked >= 20, $"only {server.Checked} answers reached the server");
    }
}
