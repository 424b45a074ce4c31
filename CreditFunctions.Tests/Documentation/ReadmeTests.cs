using System.Text.RegularExpressions;
using CreditFunctions.Resets;
using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;
using CreditFunctions.Tests.Azurite;

namespace CreditFunctions.Tests.Documentation;

/// <summary>The README's closed lists stay closed: every label the app answers or emits is explained there, and no other.</summary>
public partial class ReadmeTests
{
    private static readonly string Readme = File.ReadAllText(Path.Combine(AzuriteFixture.RepositoryRoot, "README.md"));

    /// <summary>The first column of the table that follows <paramref name="heading"/>: each row's backquoted label.</summary>
    private static List<string> TableLabels(string heading)
    {
        var start = Readme.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"the README has no '{heading}'");
        var table = Readme[start..].Split('\n').SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2);
        return [.. table.Select(row => FirstCell().Match(row)).Where(m => m.Success).Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public void WebhookResults_AreTheDocumentedClosedList()
    {
        Assert.Equal(WebhookResult.All.Order(StringComparer.Ordinal), TableLabels("`result` is one of:").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Metrics_AreEachDocumentedWithTheirTags()
    {
        Assert.Equal(CreditMetrics.Instruments.Keys.Order(StringComparer.Ordinal), TableLabels("### What is measured").Order(StringComparer.Ordinal));
        foreach (var (name, tags) in CreditMetrics.Instruments)
        {
            var row = Readme.Split('\n').Single(l => l.StartsWith($"| `{name}`", StringComparison.Ordinal));
            Assert.All(tags, tag => Assert.Contains($"`{tag}`", row, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void SkipReasons_AreEachExplained()
    {
        var reasons = typeof(SkipReason).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();

        Assert.NotEmpty(reasons);
        Assert.All(reasons, reason => Assert.Contains($"`{reason}`", Readme, StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^\|\s*`([^`]+)`")]
    private static partial Regex FirstCell();
}
