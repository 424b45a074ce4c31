using System.Text.RegularExpressions;
using CreditFunctions.Resets;
using CreditFunctions.Runs;
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

    /// <summary>Every file whose examples a reader copies: the README, the docs, the .http file and the demo.</summary>
    private static readonly string[] ExampleRootFiles = ["README.md", "CreditFunctions.http"];

    private static IEnumerable<string> ExampleFiles() =>
        ExampleRootFiles.Select(f => Path.Combine(AzuriteFixture.RepositoryRoot, f))
            .Concat(Directory.GetFiles(Path.Combine(AzuriteFixture.RepositoryRoot, "docs"), "*.md"))
            .Concat(Directory.GetFiles(Path.Combine(AzuriteFixture.RepositoryRoot, "demo"), "*.mjs"));

    [Fact]
    public void Examples_GrantExpiries_AreComputed_SoTheyNeverPass()
    {
        // A literal expiresAt is refused once it is past (and more than 10 years ahead before that): examples compute it.
        var literal = ExampleFiles().SelectMany(f => LiteralExpiry().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}")).ToList();

        Assert.Empty(literal);
    }

    [Fact]
    public void QuickStart_SaysWhatToDoWhenAzuriteIsRestarted()
    {
        var start = Readme.IndexOf("### If you restart Azurite", StringComparison.Ordinal);
        Assert.True(start >= 0, "the README has no troubleshooting entry for a restarted Azurite");
        var section = Whitespace().Replace(Readme[start..], " ");

        Assert.Contains("stops the Functions host too", section, StringComparison.Ordinal);
        Assert.Contains("Start Azurite again, then start `dotnet run` again", section, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"""expiresAt""\s*:\s*""\d{4}-")]
    private static partial Regex LiteralExpiry();

    [GeneratedRegex(@"^\|\s*`([^`]+)`")]
    private static partial Regex FirstCell();
}
