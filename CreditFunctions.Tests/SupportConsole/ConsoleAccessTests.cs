using System.Text;
using CreditFunctions.Functions;
using CreditFunctions.SupportConsole;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using static CreditFunctions.Tests.SupportConsole.ConsolePrincipals;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.SupportConsole;

/// <summary>
/// Who gets into the support console: in Azure only a principal App Service signed in with the console's app role; no
/// one when App Service authentication is off (the header could then be anyone's); locally, in Development, anyone.
/// </summary>
public sealed class ConsoleAccessTests
{
    private static ConsoleAccess Access(Dictionary<string, string?> settings, string role = "Credits.Support") =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), Options.Create(new ConsoleOptions { Role = role }));

    [Fact]
    public void InAzure_NoPrincipal_MustSignIn_WrongRole_IsRefused_RightRole_GetsIn()
    {
        var access = Access(InAzure());

        Assert.Equal(new ConsoleDecision(ConsoleAccessKind.SignIn, null), access.Decide(null));
        Assert.Equal(new ConsoleDecision(ConsoleAccessKind.MissingRole, "bob@contoso.com"), access.Decide(Header("bob@contoso.com", "Credits.Reader")));
        Assert.Equal(new ConsoleDecision(ConsoleAccessKind.MissingRole, "eve@contoso.com"), access.Decide(Header("eve@contoso.com")));
        Assert.Equal(new ConsoleDecision(ConsoleAccessKind.Allowed, "alice@contoso.com"), access.Decide(Header("alice@contoso.com", "Other", "Credits.Support")));
    }

    [Fact]
    public void TheRole_IsMatchedExactly_AndCanBeConfigured()
    {
        Assert.Equal(ConsoleAccessKind.MissingRole, Access(InAzure()).Decide(Header("a@contoso.com", "credits.support")).Kind);
        Assert.Equal(ConsoleAccessKind.MissingRole, Access(InAzure()).Decide(Header("a@contoso.com", "Credits.Support.Extra")).Kind);
        Assert.Equal(ConsoleAccessKind.Allowed, Access(InAzure(), "Billing.Agent").Decide(Header("a@contoso.com", "Billing.Agent")).Kind);
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("bm90IGpzb24=")] // "not json"
    [InlineData("eyJjbGFpbXMiOiJub3QgYW4gYXJyYXkifQ==")] // {"claims":"not an array"}
    [InlineData("W10=")] // []
    [InlineData("")]
    public void AMalformedPrincipal_IsNobody(string header)
    {
        Assert.Equal(ConsoleAccessKind.SignIn, Access(InAzure()).Decide(header).Kind);
    }

    [Fact]
    public void ARoleClaimOfTheDeclaredRoleType_Counts()
    {
        var json = """{"auth_typ":"aad","claims":[{"typ":"upn","val":"carol@contoso.com"},{"typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role","val":"Credits.Support"}],"name_typ":"upn","role_typ":"http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}""";

        Assert.Equal(new ConsoleDecision(ConsoleAccessKind.Allowed, "carol@contoso.com"), Access(InAzure()).Decide(Convert.ToBase64String(Encoding.UTF8.GetBytes(json))));
    }

    [Fact]
    public void WithoutAppServiceAuthentication_NobodyGetsIn_EvenWithAForgedPrincipal()
    {
        var access = Access(new() { ["WEBSITE_SITE_NAME"] = "func-credits-test" });

        Assert.Equal(ConsoleAccessKind.NotConfigured, access.Decide(Header("mallory@evil.example", "Credits.Support")).Kind);
        Assert.Equal(ConsoleAccessKind.NotConfigured, access.Decide(null).Kind);
    }

    [Fact]
    public void Locally_InDevelopment_ItIsOpen_ButNeverInsideAppService()
    {
        Assert.Equal(ConsoleAccessKind.Open, Access(Local()).Decide(null).Kind);
        Assert.Equal(ConsoleAccessKind.NotConfigured, Access(new() { ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production" }).Decide(null).Kind);
        Assert.Equal(ConsoleAccessKind.SignIn, Access(new(InAzure()) { ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Development" }).Decide(null).Kind);
    }

    [Theory]
    [InlineData(null, 401, "sign-in-required")]
    [InlineData("Credits.Reader", 403, "missing-role")]
    [InlineData("Credits.Support", 200, null)]
    public async Task TheConsolesCalls_CheckThePrincipal(string? role, int status, string? problem)
    {
        await using var app = await AppHost.StartAsync(Utc(2026, 1, 1), InAzure());
        Assert.Equal(201, (await Credits.CreditsClient.GrantAsync(app, "cus_1Console", 1, "seed")).Status);
        var headers = role is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [ConsoleAccess.PrincipalHeader] = Header("dana@contoso.com", role) };

        var me = await FunctionHttp.InvokeAsync(app, r => Task.FromResult(app.Function<ConsoleApi>().WhoAmI(r)), HttpMethods.Get, "/api/console-api/me", headers: headers);
        var runs = await FunctionHttp.InvokeAsync(app, r => app.Function<ConsoleApi>().RunsAsync(r, CancellationToken.None), HttpMethods.Get, "/api/console-api/runs", headers: headers);
        var grant = await FunctionHttp.InvokeAsync(app, r => app.Function<ConsoleApi>().GrantAsync(r, "cus_1Console", CancellationToken.None), HttpMethods.Post,
            "/api/console-api/customers/cus_1Console/grants", body: """{ "amount": 5, "idempotencyKey": "k1", "reason": "goodwill" }""",
            headers: new Dictionary<string, string>(headers) { ["X-Credits-Console"] = "1" });

        Assert.Equal((status, problem), (me.Status, me.ProblemType()));
        Assert.Equal((status, problem), (runs.Status, runs.ProblemType()));
        Assert.Equal(status == 200 ? (201, null) : (status, problem), (grant.Status, grant.ProblemType()));
        if (status == 200)
        {
            Assert.Equal(("signed-in", "dana@contoso.com"), (me.Body.GetProperty("mode").GetString(), me.Body.GetProperty("principal").GetString()));
        }

        var granted = (await Credits.CreditsClient.FullLedgerAsync(app.Store, "cus_1Console")).Where(e => e.IdempotencyKey == "k1").Select(e => e.Reason);
        Assert.Equal(status == 200 ? ["by dana@contoso.com: goodwill"] : [], granted); // refused: nothing was granted
    }

    [Fact]
    public async Task TheConsolesAnswers_RefusalsToo_AreNeverCached_NorSniffed()
    {
        await using var app = await AppHost.StartAsync(Utc(2026, 1, 1), InAzure());
        Assert.Equal(201, (await Credits.CreditsClient.GrantAsync(app, "cus_1Console", 1, "seed")).Status);
        var support = new Dictionary<string, string> { [ConsoleAccess.PrincipalHeader] = Header("dana@contoso.com", "Credits.Support") };
        var reader = new Dictionary<string, string> { [ConsoleAccess.PrincipalHeader] = Header("dana@contoso.com", "Credits.Reader") };
        Task<FunctionHttp.Answer> CustomerAsync(string id, IReadOnlyDictionary<string, string> headers) =>
            FunctionHttp.InvokeAsync(app, r => app.Function<ConsoleApi>().CustomerAsync(r, id, CancellationToken.None), HttpMethods.Get, $"/api/console-api/customers/{id}", headers: headers);

        FunctionHttp.Answer[] answers =
        [
            await CustomerAsync("cus_1Console", support),
            await CustomerAsync("cus_1Nobody", support),
            await CustomerAsync("not-a-customer", support),
            await CustomerAsync("cus_1Console", reader),
            await CustomerAsync("cus_1Console", new Dictionary<string, string>()),
            await FunctionHttp.InvokeAsync(app, r => Task.FromResult(app.Function<ConsoleApi>().WhoAmI(r)), HttpMethods.Get, "/api/console-api/me", headers: support),
            await FunctionHttp.InvokeAsync(app, r => app.Function<ConsoleApi>().LedgerAsync(r, "cus_1Console", CancellationToken.None), HttpMethods.Get,
                "/api/console-api/customers/cus_1Console/ledger", query: "?continuationToken=forged", headers: support),
        ];

        Assert.Equal([200, 404, 400, 403, 401, 200, 400], answers.Select(a => a.Status));
        Assert.All(answers, a => Assert.Equal(("no-store", "nosniff"), (a.Headers.CacheControl.ToString(), a.Headers.XContentTypeOptions.ToString())));
    }

    [Fact]
    public async Task AGrantWithoutTheConsolesHeader_IsRefused_AndGrantsNothing()
    {
        await using var app = await AppHost.StartAsync(Utc(2026, 1, 1), InAzure());
        var headers = new Dictionary<string, string> { [ConsoleAccess.PrincipalHeader] = Header("dana@contoso.com", "Credits.Support") };

        var grant = await FunctionHttp.InvokeAsync(app, r => app.Function<ConsoleApi>().GrantAsync(r, "cus_1Console", CancellationToken.None), HttpMethods.Post,
            "/api/console-api/customers/cus_1Console/grants", body: """{ "amount": 5, "idempotencyKey": "k1", "reason": "goodwill" }""", headers: headers);

        Assert.Equal((403, "not-from-console"), (grant.Status, grant.ProblemType()));
        Assert.Equal(404, (await Credits.CreditsClient.GetAsync(app, "cus_1Console")).Status);
    }

    [Fact]
    public async Task AGrantWithoutAReason_WithOneTooLongOrNotPlainText_OrToAMissingCustomer_IsRefused()
    {
        await using var app = await AppHost.StartAsync(Utc(2026, 1, 1), Local());
        var headers = new Dictionary<string, string> { ["X-Credits-Console"] = "1" };
        Task<FunctionHttp.Answer> GrantAsync(string body) => FunctionHttp.InvokeAsync(app, r => app.Function<ConsoleApi>().GrantAsync(r, "cus_1Console", CancellationToken.None),
            HttpMethods.Post, "/api/console-api/customers/cus_1Console/grants", body: body, headers: headers);

        var none = await GrantAsync("""{ "amount": 5, "idempotencyKey": "k1" }""");
        var tooLong = await GrantAsync($$"""{ "amount": 5, "idempotencyKey": "k2", "reason": "{{new string('r', 490)}}" }""");
        var reversed = await GrantAsync("""{ "amount": 5, "idempotencyKey": "k3", "reason": "goodwill \u202Emoc.osotnoc@oec" }""");
        var newline = await GrantAsync("""{ "amount": 5, "idempotencyKey": "k4", "reason": "goodwill\nby ceo@contoso.com" }""");
        var typo = await GrantAsync("""{ "amount": 5, "idempotencyKey": "k5", "reason": "goodwill" }""");

        Assert.Equal(400, none.Status);
        Assert.True(none.Body.GetProperty("errors").TryGetProperty("reason", out _));
        Assert.All([tooLong, reversed, newline], answer =>
        {
            Assert.Equal(400, answer.Status);
            Assert.Contains("room for who granted it", answer.Body.GetProperty("errors").GetProperty("reason")[0].GetString(), StringComparison.Ordinal);
        });
        Assert.Equal((404, "customer-not-found"), (typo.Status, typo.ProblemType())); // never creates a customer from a typo
        Assert.Equal(404, (await Credits.CreditsClient.GetAsync(app, "cus_1Console")).Status);
    }
}
