using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CreditFunctions.Accounts;
using CreditFunctions.Functions;
using CreditFunctions.Stripe;
using CreditFunctions.Telemetry;

namespace CreditFunctions.Tests.Infra;

/// <summary>
/// The operations side of the deployment: alert rules and a workbook whose queries read exactly what the app emits,
/// and role assignments no wider than the app uses.
/// </summary>
public partial class OperationsInfraTests
{
    private static JsonObject Operations =>
        BicepCli.Resources(BicepCli.Template).Single(r => r["name"]?.GetValue<string>() == "operations")["properties"]!["template"]!.AsObject();

    /// <summary>Every Kusto query in the operations module: the alert rules' and the workbook's.</summary>
    private static List<string> Queries()
    {
        var queries = new List<string>();
        Collect(Operations, queries);
        return queries;
    }

    private static void Collect(JsonNode? node, List<string> queries)
    {
        switch (node)
        {
            case JsonObject map:
                foreach (var (_, value) in map)
                {
                    Collect(value, queries);
                }

                break;
            case JsonArray list:
                foreach (var item in list)
                {
                    Collect(item, queries);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                if (text.TrimStart().StartsWith('{') && text.Contains("\"items\"", StringComparison.Ordinal))
                {
                    Collect(JsonNode.Parse(text), queries); // the workbook, loaded into the template as its JSON text
                }
                else if (text.StartsWith("customMetrics", StringComparison.Ordinal))
                {
                    queries.Add(text);
                }

                break;
        }
    }

    /// <summary>The values the app gives each tag, as the code defines them.</summary>
    private static readonly Dictionary<string, HashSet<string>> TagValues = new(StringComparer.Ordinal)
    {
        [CreditMetrics.TriggerTag] = [.. Enum.GetValues<ResetTrigger>().Select(CreditMetrics.Label)],
        [CreditMetrics.OutcomeTag] = [.. RunOutcome.All],
        [CreditMetrics.DryRunTag] = ["true", "false"],
        [CreditMetrics.ReasonTag] = [.. Constants(typeof(SkipReason)), .. Constants(typeof(TopUpFailure))],
        [CreditMetrics.ResultTag] = [.. WebhookResult.All, StripeWebhook.Refused, StripeWebhook.Failed],
        [CreditMetrics.KindTag] = Constants(typeof(LedgerKind)),
    };

    private static HashSet<string> Constants(Type type) =>
        [.. type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    [Fact]
    public void AlertRules_CoverTheEightThingsAnOperatorMustHear()
    {
        var alerts = Operations["variables"]!["alerts"]!.AsArray().Select(a => a!["name"]!.GetValue<string>());
        var rules = BicepCli.Resources(Operations).Where(r => r["type"]!.GetValue<string>() == "Microsoft.Insights/scheduledQueryRules").ToList();

        Assert.Equal(["no-timer-run", "run-failed", "renewal-stuck", "webhooks-refused", "events-poisoned", "top-up-failed", "stripe-work-poisoned", "overage-refused"], alerts);
        var rule = Assert.Single(rules);
        Assert.Equal("[length(variables('alerts'))]", rule["copy"]!["count"]!.GetValue<string>());
        Assert.Equal("LogAlert", rule["kind"]!.GetValue<string>());
        Assert.Contains(BicepCli.Resources(Operations), r => r["type"]!.GetValue<string>() == "Microsoft.Insights/actionGroups");
    }

    [Fact]
    public void NoTimerRunAlert_LooksBack26HoursForAFinishedTimerRun()
    {
        var alert = Operations["variables"]!["alerts"]!.AsArray().Single(a => a!["name"]!.GetValue<string>() == "no-timer-run")!;
        var query = alert["query"]!.GetValue<string>();

        Assert.Contains("ago(26h)", query, StringComparison.Ordinal);
        Assert.Contains($"tostring(customDimensions.{CreditMetrics.TriggerTag}) == 'timer'", query, StringComparison.Ordinal);
        Assert.Equal(("LessThan", 1), (alert["operator"]!.GetValue<string>(), alert["threshold"]!.GetValue<int>()));
        Assert.Equal("P2D", alert["windowSize"]!.GetValue<string>()); // the rule's window must hold the 26 hours the query asks for
    }

    [Fact]
    public void Workbook_IsDeployedWithAChartForEachThingAskedFor()
    {
        var workbook = BicepCli.Resources(Operations).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Insights/workbooks");
        var titles = JsonNode.Parse(File.ReadAllText(Path.Combine(Azurite.AzuriteFixture.RepositoryRoot, "infra", "app", "workbook.json")))!["items"]!
            .AsArray().Select(i => i!["content"]?["title"]?.GetValue<string>()).OfType<string>().ToList();

        Assert.Equal("shared", workbook["kind"]!.GetValue<string>());
        Assert.Contains(titles, t => t.StartsWith("Resets per day by trigger", StringComparison.Ordinal));
        Assert.Contains(titles, t => t.StartsWith("Run duration", StringComparison.Ordinal));
        Assert.Contains(titles, t => t.StartsWith("Failed resets", StringComparison.Ordinal));
        Assert.Contains(titles, t => t.StartsWith("Skips per day by reason", StringComparison.Ordinal));
        Assert.Contains(titles, t => t.StartsWith("Webhook deliveries", StringComparison.Ordinal));
        Assert.Contains(titles, t => t.StartsWith("Credits spent and granted", StringComparison.Ordinal));
    }

    [Fact]
    public void Queries_ReferenceOnlyMetricsTagsAndValuesTheAppEmits()
    {
        var queries = Queries();
        Assert.True(queries.Count >= 14, $"expected the 4 alert and 10+ workbook queries, found {queries.Count}");

        foreach (var query in queries)
        {
            var names = MetricName().Matches(query).Select(m => m.Groups[1].Value).ToList();
            Assert.True(names.Count > 0, $"a query that names no metric: {query}");
            Assert.All(names, name => Assert.True(CreditMetrics.Instruments.ContainsKey(name), $"the app emits no metric '{name}': {query}"));

            var tags = names.SelectMany(n => CreditMetrics.Instruments[n]).ToHashSet(StringComparer.Ordinal);
            foreach (Match dimension in Dimension().Matches(query))
            {
                Assert.True(tags.Contains(dimension.Groups[1].Value), $"'{string.Join(", ", names)}' has no tag '{dimension.Groups[1].Value}': {query}");
            }

            foreach (Match comparison in Comparison().Matches(query))
            {
                var tag = comparison.Groups["tag"].Value;
                foreach (var value in Quoted().Matches(comparison.Groups["values"].Value).Select(m => m.Groups[1].Value))
                {
                    Assert.True(TagValues.TryGetValue(tag, out var known) && known.Contains(value), $"the app never sets {tag} = '{value}': {query}");
                }
            }
        }
    }

    [Fact]
    public void Roles_QueueRoleOnlyOnTheAppsQueues_OperatorReadsOnlyTheAppsTablesWithItsPrincipalType()
    {
        var assignments = BicepCli.Resources(BicepCli.Template).Where(r => r["type"]!.GetValue<string>() == "Microsoft.Authorization/roleAssignments").ToList();

        // The queue role: once per queue (the events and Stripe work queues and their poison queues), never on the account.
        var queueRole = Assert.Single(assignments, a => a["properties"]!["roleDefinitionId"]!.GetValue<string>().Contains("storageQueueDataContributor", StringComparison.Ordinal));
        Assert.Contains("Microsoft.Storage/storageAccounts/queueServices/queues", queueRole["scope"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[length(parameters('queueNames'))]", queueRole["copy"]!["count"]!.GetValue<string>());
        Assert.Equal(["[variables('eventsQueue')]", "[format('{0}-poison', variables('eventsQueue'))]", "[variables('stripeQueue')]", "[format('{0}-poison', variables('stripeQueue'))]"],
            BicepCli.Template["variables"]!["queueNames"]!.AsArray().Select(n => n!.GetValue<string>()));
        var operatorReader = Assert.Single(assignments, a => a["properties"]!["roleDefinitionId"]!.GetValue<string>().Contains("storageTableDataReader", StringComparison.Ordinal));
        Assert.Contains("Microsoft.Storage/storageAccounts/tableServices/tables", operatorReader["scope"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[length(parameters('tableNames'))]", operatorReader["copy"]!["count"]!.GetValue<string>());

        // The app's table role stays on the account: the Functions host creates its own tables there (diagnostic events).
        var appTables = Assert.Single(assignments, a => a["properties"]!["roleDefinitionId"]!.GetValue<string>().Contains("storageTableDataContributor", StringComparison.Ordinal));
        Assert.Equal("[resourceId('Microsoft.Storage/storageAccounts', parameters('storageAccountName'))]", appTables["scope"]!.GetValue<string>());
        Assert.All(assignments, a => Assert.NotNull(a["properties"]!["principalType"]));
        Assert.Equal("User", BicepCli.Template["parameters"]!["principalType"]!["defaultValue"]!.GetValue<string>());
    }

    [Fact]
    public void Storage_RedundancyIsAParameter_ZoneRedundantByDefault()
    {
        var storage = BicepCli.Resources(BicepCli.Template).Single(r => r["type"]!.GetValue<string>() == "Microsoft.Storage/storageAccounts");

        Assert.Equal("[parameters('skuName')]", storage["sku"]!["name"]!.GetValue<string>());
        Assert.Equal("Standard_ZRS", BicepCli.Template["parameters"]!["storageSku"]!["defaultValue"]!.GetValue<string>());
    }

    [GeneratedRegex(@"name == '([^']+)'")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"customDimensions\.([A-Za-z_]+)")]
    private static partial Regex Dimension();

    [GeneratedRegex(@"tostring\(customDimensions\.(?<tag>[A-Za-z_]+)\)\s*(==|!=|in)\s*(?<values>'[^']*'|\([^)]*\))")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"'([^']*)'")]
    private static partial Regex Quoted();
}
