namespace CreditFunctions.Tests.SupportConsole;

/// <summary>The chart library the console serves is Chart.js exactly as the pinned npm package ships it (package.json, package-lock.json).</summary>
public sealed class VendoredChartTests
{
    [Fact]
    public async Task TheServedChartJs_IsThePinnedNpmPackagesFile_ByteForByte()
    {
        var root = Azurite.AzuriteFixture.RepositoryRoot;
        await Azurite.AzuriteProcess.EnsureNodePackagesAsync(root);
        var installed = Path.Combine(root, "node_modules", "chart.js", "dist", "chart.umd.min.js");

        Assert.Equal(File.ReadAllBytes(installed), File.ReadAllBytes(Path.Combine(root, "CreditFunctions", "SupportConsole", "chart.umd.min.js")));
        Assert.Contains("\"chart.js\": \"4.6.1\"", File.ReadAllText(Path.Combine(root, "package.json")), StringComparison.Ordinal);
    }
}
