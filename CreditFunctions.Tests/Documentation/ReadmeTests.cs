using System.Text.RegularExpressions;
using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;

namespace CreditFunctions.Tests.Documentation;

/// <summary>
/// The README and docs/ keep their promises: every closed list the app answers or emits (webhook results, metrics, skip
/// reasons) is explained in its page, and no other; every page the README links to exists; examples do not expire.
/// </summary>
public partial class ReadmeTests
{
    private static readonly string Readme = Page("README.md");

    private static string Page(string path) => File.ReadAllText(Path.Combine(AzuriteFixture.RepositoryRoot, path));

    /// <summary>The first column of the table that follows <paramref name="heading"/> in <paramref name="page"/>: each row's backquoted label.</summary>
    private static List<string> TableLabels(string page, string heading)
    {
        var text = Page(page);
        var start = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"{page} has no '{heading}'");
        var table = text[start..].Split('\n').SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')).Skip(2);
        return [.. table.Select(row => FirstCell().Match(row)).Where(m => m.Success).Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public void WebhookResults_AreTheDocumentedClosedList()
    {
        Assert.Equal(WebhookResult.All.Order(StringComparer.Ordinal), TableLabels("docs/stripe.md", "`result` is one of:").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Metrics_AreEachDocumentedWithTheirTags()
    {
        Assert.Equal(CreditMetrics.Instruments.Keys.Order(StringComparer.Ordinal), TableLabels("docs/operations.md", "## What is measured").Order(StringComparer.Ordinal));
        foreach (var (name, tags) in CreditMetrics.Instruments)
        {
            var row = Page("docs/operations.md").Split('\n').Single(l => l.StartsWith($"| `{name}`", StringComparison.Ordinal));
            Assert.All(tags, tag => Assert.Contains($"`{tag}`", row, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void SkipReasons_AreEachExplained()
    {
        var reasons = typeof(SkipReason).GetFields().Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();

        Assert.NotEmpty(reasons);
        Assert.All(reasons, reason => Assert.Contains($"`{reason}`", Page("docs/operations.md"), StringComparison.Ordinal));
    }

    [Fact]
    public void Readme_IsAFrontPage_AndEveryPageItLinksExists()
    {
        var links = DocLink().Matches(Readme).Select(m => m.Groups[1].Value).Distinct().ToList();

        Assert.InRange(Readme.Split('\n').Length, 100, 250);
        Assert.Contains("docs/credits-api.md", links);
        Assert.All(links, link => Assert.True(File.Exists(Path.Combine(AzuriteFixture.RepositoryRoot, link)), $"the README links {link}, which does not exist"));
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
        // docs/events.md's bodies are what the app sends, not requests to copy.
        var literal = ExampleFiles().Where(f => Path.GetFileName(f) != "events.md").SelectMany(f => LiteralExpiry().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetFileName(f)}: {m.Value}")).ToList();

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

    [GeneratedRegex(@"\]\(((?:docs/)?[A-Za-z0-9_./-]+\.md)(?:#[^)]*)?\)")]
    private static partial Regex DocLink();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"""expiresAt""\s*:\s*""\d{4}-")]
    private static partial Regex LiteralExpiry();

    [GeneratedRegex(@"^\|\s*`([^`]+)`")]
    private static partial Regex FirstCell();
}
