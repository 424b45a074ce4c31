using System.Globalization;
using CreditFunctions.Accounts;
using CreditFunctions.SupportConsole;
using Microsoft.Playwright;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.Stripe.Deliveries;
using static CreditFunctions.Tests.Stripe.StripeFixtures;
using static CreditFunctions.Tests.SupportConsole.ConsolePrincipals;

namespace CreditFunctions.Tests.SupportConsole;

/// <summary>
/// The support console in a real browser: Debian's headless Chromium driven by Playwright, against the app over HTTP
/// on 127.0.0.1 with Azurite, signed in as App Service would pass the principal. A customer made by signed webhooks is
/// looked up by keyboard; its buckets and ledger must be the API's; a double-clicked grant grants once; the balance and
/// the chart follow. Screenshots of each page go to CreditFunctions.Tests/TestResults/console/.
/// </summary>
public sealed class ConsoleBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Customer = "cus_1ConsoleDemo";
    private const string Subscription = "sub_1ConsoleDemo";

    private static readonly string Screenshots = Path.Combine(Azurite.AzuriteFixture.RepositoryRoot, "CreditFunctions.Tests", "TestResults", "console");

    private static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: the browser tests need Debian's chromium (apt-get install -y chromium; .ci/run installs it).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
        return (playwright, browser);
    }

    private static Task<IBrowserContext> ContextAsync(IBrowser browser, string? principal) =>
        browser.NewContextAsync(new()
        {
            ViewportSize = new() { Width = 1280, Height = 900 },
            ExtraHTTPHeaders = principal is null ? [] : new Dictionary<string, string> { [ConsoleAccess.PrincipalHeader] = principal },
        });

    private static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, name + ".png"), FullPage = true });
    }

    private static long Number(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    /// <summary>A customer a yearly plan's webhook made 40 days ago (so one monthly reset is due when read), with a spend, a grant and a timer run.</summary>
    private static async Task<AppHost> CustomerAsync(Dictionary<string, string?> settings)
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var start = now.AddDays(-40);
        var app = await AppHost.StartAsync(start.AddMinutes(1), settings);
        Assert.Equal("synced; reset", await Stripe.WebhookClient.DeliverOkAsync(app, SubscriptionEvent("evt_1ConsoleCreated", "customer.subscription.created", start, Subscription, "active", YearlyPro, start)));
        app.Time.SetUtcNow(start.AddDays(3));
        Assert.Equal(200, (await SpendAsync(app, Customer, """{ "amount": 120, "idempotencyKey": "report-1", "reason": "report generated", "metadata": { "reportId": "rpt_42" } }""")).Status);
        app.Time.SetUtcNow(now.AddMinutes(-5));
        Assert.Equal(201, (await GrantAsync(app, Customer, 50, "welcome", now.AddDays(30), "welcome bonus")).Status);
        await app.RunAsync();
        return app;
    }

    [Fact]
    public async Task ASupportPerson_LooksUpACustomer_SeesTheApisBucketsAndLedger_AndADoubleClickedGrantGrantsOnce()
    {
        await using var app = await CustomerAsync(InAzure());
        await using var server = await Functions.LocalFunctionsServer.StartAsync(app);
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await ContextAsync(browser, Header("alice@contoso.com", "Credits.Support"));
        var page = await context.NewPageAsync();
        var requests = new List<IRequest>();
        page.Request += (_, request) => requests.Add(request);

        await page.GotoAsync(server.BaseAddress + "/api/console");
        await Assertions.Expect(page.Locator("#identity")).ToContainTextAsync("Signed in as alice@contoso.com (Credits.Support)");

        // Keyboard only: tab to the customer field, type, Enter.
        await page.Locator("body").FocusAsync();
        for (var tab = 0; tab < 4 && await page.EvaluateAsync<string>("() => document.activeElement.id") != "customer-id"; tab++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        Assert.Equal("customer-id", await page.EvaluateAsync<string>("() => document.activeElement.id"));
        await page.Keyboard.TypeAsync(Customer);
        await page.Keyboard.PressAsync("Enter");
        await page.Locator("#customer").WaitForAsync(new() { State = WaitForSelectorState.Visible });
        await Assertions.Expect(page.Locator("#runs tbody tr").First).ToContainTextAsync("timer");

        // What the page shows is what the API answers.
        var credits = (await GetAsync(app, Customer)).Body;
        var ledger = Enumerable.Reverse(await FullLedgerAsync(app.Store, Customer)).ToList(); // newest first, as the page shows it
        Assert.Equal(credits.GetProperty("available").GetInt64(), Number(await page.Locator("#available").InnerTextAsync()));
        Assert.Equal([.. credits.GetProperty("buckets").EnumerateArray().Select(b => b.GetProperty("id").GetString()!)],
            await page.Locator("#buckets tbody tr td:first-child").AllInnerTextsAsync());
        Assert.Equal([.. ledger.Select(e => e.Sequence.ToString(CultureInfo.InvariantCulture))], await page.Locator("#ledger tbody tr td:nth-child(1)").AllInnerTextsAsync());
        Assert.Equal([.. ledger.Select(e => e.BalanceAfter)], (await page.Locator("#ledger tbody tr td:nth-child(5)").AllInnerTextsAsync()).Select(Number));
        var spend = page.Locator("#ledger tbody tr", new() { HasText = "report-1" });
        await Assertions.Expect(spend).ToContainTextAsync("Spent 120 credits. Reason: report generated. Idempotency key report-1. Metadata: reportId=rpt_42.");
        await Assertions.Expect(page.Locator("#ledger tbody tr", new() { HasText = "evt_1ConsoleCreated" }).GetByRole(AriaRole.Link, new() { Name = Subscription }))
            .ToHaveAttributeAsync("href", $"https://dashboard.stripe.com/subscriptions/{Subscription}");
        Assert.Equal(ledger.Count + 1, await page.EvaluateAsync<int>("() => Chart.getChart('chart').data.datasets[0].data.length"));
        // Entries of one instant in ledger order (the lazy reset and the grant share one): each point is what was available after.
        long[] points = [.. Enumerable.Reverse(ledger).Select(e => e.BalanceAfter), credits.GetProperty("available").GetInt64()];
        Assert.Equal(points, await page.EvaluateAsync<long[]>("() => Chart.getChart('chart').data.datasets[0].data.map(p => p.y)"));
        await ScreenshotAsync(page, "console-customer");

        // Every field has a label; the chart has a name.
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('input')].every(i => i.labels.length > 0)"));
        Assert.Equal("chart-title", await page.Locator("#chart").GetAttributeAsync("aria-labelledby"));

        // Grant with a reason, double-clicked: granted once.
        var before = credits.GetProperty("available").GetInt64();
        await page.GetByLabel("Credits (a negative number takes credits back)").FillAsync("250");
        await page.GetByLabel("Reason").FillAsync("goodwill after outage");
        await page.GetByRole(AriaRole.Button, new() { Name = "Grant", Exact = true }).DblClickAsync();
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("Granted 250 credits");
        await Assertions.Expect(page.Locator("#available")).ToHaveTextAsync((before + 250).ToString("N0", CultureInfo.InvariantCulture));

        Assert.Equal(before + 250, (await GetAsync(app, Customer)).Body.GetProperty("available").GetInt64());
        var grants = (await FullLedgerAsync(app.Store, Customer)).Where(e => e.Kind == LedgerKind.Grant && e.Reason!.Contains("goodwill", StringComparison.Ordinal)).ToList();
        Assert.Equal("by alice@contoso.com: goodwill after outage", Assert.Single(grants).Reason);
        Assert.Equal(before + 250, await page.EvaluateAsync<long>("() => { const d = Chart.getChart('chart').data.datasets[0].data; return d[d.length - 1].y; }"));
        Assert.Equal(ledger.Count + 2, await page.EvaluateAsync<int>("() => Chart.getChart('chart').data.datasets[0].data.length"));
        await ScreenshotAsync(page, "console-granted");

        // A second submission is a new grant with a new key.
        await page.GetByLabel("Credits (a negative number takes credits back)").FillAsync("-10");
        await page.GetByLabel("Reason").FillAsync("correction");
        await page.GetByLabel("Reason").PressAsync("Enter");
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("Took back 10 credits");
        var keys = (await FullLedgerAsync(app.Store, Customer)).Where(e => e.Reason?.StartsWith("by alice@contoso.com: ", StringComparison.Ordinal) == true).Select(e => e.IdempotencyKey).ToList();
        Assert.Equal(2, keys.Distinct().Count());

        // A refused field is marked (aria-invalid, described by the status line) and the keyboard put on it; the next good grant clears it.
        var amount = page.GetByLabel("Credits (a negative number takes credits back)");
        var reason = page.GetByLabel("Reason");
        await amount.FillAsync("1e3");
        await reason.FillAsync("typed in a hurry");
        await reason.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("in digits");
        await Assertions.Expect(amount).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(amount).ToBeFocusedAsync();
        var expires = page.GetByLabel("Expires at (optional, ISO 8601 such as 2027-01-31T00:00:00Z)");
        await amount.FillAsync("3");
        await expires.FillAsync("next tuesday"); // refused by the app, which names the field
        await reason.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("Invalid request (400)");
        await Assertions.Expect(expires).ToHaveAttributeAsync("aria-invalid", "true");
        await Assertions.Expect(expires).ToHaveAttributeAsync("aria-describedby", "grant-status");
        await Assertions.Expect(expires).ToBeFocusedAsync();
        await Assertions.Expect(amount).Not.ToHaveAttributeAsync("aria-invalid", "true");
        await expires.FillAsync("");
        await reason.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("Granted 3 credits");
        Assert.Equal(0, await page.Locator("#grant [aria-invalid]").CountAsync());

        // No answer to a grant the app did take (the connection dropped): the form locks, and sends the same grant again, granted once.
        var sent = 0;
        await page.RouteAsync("**/api/console-api/customers/*/grants", async route =>
        {
            if (Interlocked.Increment(ref sent) == 1)
            {
                await route.FetchAsync();
                await route.AbortAsync();
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await page.GetByLabel("Credits (a negative number takes credits back)").FillAsync("7");
        await page.GetByLabel("Reason").FillAsync("lost answer");
        await page.GetByRole(AriaRole.Button, new() { Name = "Grant", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("No answer");
        Assert.True(await page.GetByLabel("Reason").EvaluateAsync<bool>("e => e.readOnly"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the same grant again" }).ClickAsync();
        await Assertions.Expect(page.Locator("#grant-status")).ToContainTextAsync("Granted 7 credits");
        Assert.Single(await FullLedgerAsync(app.Store, Customer), e => e.Reason == "by alice@contoso.com: lost answer");
        Assert.Equal(2, sent);
        await page.UnrouteAllAsync();

        // The browser never held a function key, and spoke only to the app's own origin.
        Assert.All(requests, r => Assert.StartsWith(server.BaseAddress, r.Url, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.DoesNotContain("code=", r.Url, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.False(r.Headers.ContainsKey("x-functions-key")));
    }

    [Fact]
    public async Task AnswersThatArriveAfterTheNextLookUp_NeverLandUnderIt_AndOlderEntriesLoadOnce()
    {
        const string Other = "cus_1ConsoleOther";
        await using var app = await CustomerAsync(InAzure());
        for (var i = 0; i < CreditFunctions.Functions.ConsoleApi.LedgerPage; i++)
        {
            Assert.Equal(200, (await SpendAsync(app, Customer, $$"""{ "amount": 1, "idempotencyKey": "page-{{i}}" }""")).Status);
        }

        Assert.Equal(201, (await GrantAsync(app, Other, 9, "other-seed")).Status);
        var others = Enumerable.Reverse(await FullLedgerAsync(app.Store, Other)).Select(e => e.Sequence.ToString(CultureInfo.InvariantCulture)).ToList();
        await using var server = await Functions.LocalFunctionsServer.StartAsync(app);
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await (await ContextAsync(browser, Header("alice@contoso.com", "Credits.Support"))).NewPageAsync();
        await page.GotoAsync(server.BaseAddress + "/api/console");
        var rows = page.Locator("#ledger tbody tr");
        var title = page.Locator("#customer-title");
        async Task LookUpAsync(string customerId)
        {
            await page.GetByLabel("Stripe customer id").FillAsync(customerId);
            await page.GetByLabel("Stripe customer id").PressAsync("Enter");
        }

        // An older page asked for (double-clicked: asked once) and held back until another customer is shown.
        await LookUpAsync(Customer);
        await Assertions.Expect(rows).ToHaveCountAsync(CreditFunctions.Functions.ConsoleApi.LedgerPage);
        var olderGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var olderAsked = 0;
        await page.RouteAsync("**/api/console-api/customers/*/ledger?*", async route =>
        {
            Interlocked.Increment(ref olderAsked);
            await olderGate.Task;
            await route.ContinueAsync();
        });
        await page.GetByRole(AriaRole.Button, new() { Name = "Load older entries" }).DblClickAsync();
        await LookUpAsync(Other);
        await Assertions.Expect(title).ToHaveTextAsync($"Customer {Other}");
        var olderAnswer = page.WaitForResponseAsync("**/api/console-api/customers/*/ledger?*");
        olderGate.SetResult();
        await (await olderAnswer).FinishedAsync();
        await page.WaitForFunctionAsync("() => !document.getElementById('older').disabled");

        Assert.Equal(1, olderAsked);
        await Assertions.Expect(title).ToHaveTextAsync($"Customer {Other}");
        Assert.Equal(others, await page.Locator("#ledger tbody tr td:nth-child(1)").AllInnerTextsAsync());
        Assert.Equal(others.Count + 1, await page.EvaluateAsync<int>("() => Chart.getChart('chart').data.datasets[0].data.length"));
        await page.UnrouteAllAsync();

        // A look-up held back until a later one is shown: its answer is dropped too.
        var lookUpGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync($"**/api/console-api/customers/{Customer}", async route =>
        {
            await lookUpGate.Task;
            await route.ContinueAsync();
        });
        await LookUpAsync(Customer);
        await LookUpAsync(Other);
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync($"{Other}: 9 available");
        var lateAnswer = page.WaitForResponseAsync($"**/api/console-api/customers/{Customer}");
        lookUpGate.SetResult();
        await (await lateAnswer).FinishedAsync();
        await page.EvaluateAsync("() => new Promise(resolve => setTimeout(resolve, 200))"); // let the page's script take the late answer

        await Assertions.Expect(title).ToHaveTextAsync($"Customer {Other}");
        await Assertions.Expect(page.Locator("#available")).ToHaveTextAsync("9");
        Assert.Equal(others, await page.Locator("#ledger tbody tr td:nth-child(1)").AllInnerTextsAsync());
    }

    [Fact]
    public async Task WithoutThePrincipalOrTheRole_TheConsoleIsNotShown_AndLocallyItSaysItIsOpen()
    {
        await using var azure = await AppHost.StartAsync(DateTimeOffset.UtcNow, InAzure());
        await using var local = await AppHost.StartAsync(DateTimeOffset.UtcNow, Local());
        await using var azureServer = await Functions.LocalFunctionsServer.StartAsync(azure);
        await using var localServer = await Functions.LocalFunctionsServer.StartAsync(local);
        var (playwright, browser) = await LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;

        var anonymous = await (await ContextAsync(browser, null)).NewPageAsync();
        var signIn = await anonymous.GotoAsync(azureServer.BaseAddress + "/api/console");
        Assert.NotNull(signIn!.Request.RedirectedFrom);
        Assert.EndsWith("/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fconsole", signIn.Url, StringComparison.Ordinal);
        var ticket = await anonymous.GotoAsync(azureServer.BaseAddress + "/api/console?customer=cus_1Ticket");
        Assert.EndsWith("/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fconsole%3Fcustomer%3Dcus_1Ticket", ticket!.Url, StringComparison.Ordinal); // back to the same customer

        var wrongRole = await (await ContextAsync(browser, Header("bob@contoso.com", "Credits.Reader"))).NewPageAsync();
        var refused = await wrongRole.GotoAsync(azureServer.BaseAddress + "/api/console");
        Assert.Equal(403, refused!.Status);
        await Assertions.Expect(wrongRole.GetByRole(AriaRole.Heading, new() { Name = "Missing app role" })).ToBeVisibleAsync();
        await Assertions.Expect(wrongRole.Locator("main")).ToContainTextAsync("bob@contoso.com without the app role Credits.Support");
        Assert.Equal(403, (await wrongRole.GotoAsync(azureServer.BaseAddress + "/api/console/app.js"))!.Status);
        await ScreenshotAsync(wrongRole, "console-missing-role");

        var open = await (await ContextAsync(browser, null)).NewPageAsync();
        await open.GotoAsync(localServer.BaseAddress + "/api/console");
        await Assertions.Expect(open.Locator("#identity")).ToContainTextAsync("Open: running locally (Development)");
        await open.GetByLabel("Stripe customer id").FillAsync("cus_1Nobody");
        await open.GetByRole(AriaRole.Button, new() { Name = "Look up" }).ClickAsync();
        await Assertions.Expect(open.Locator("#status")).ToContainTextAsync("Customer not found (404)");
        await ScreenshotAsync(open, "console-open-locally");
    }
}
