using System.Text.Json;
using static CreditFunctions.Tests.Credits.CreditsClient;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Credits;

/// <summary>
/// Holds through the functions over Azurite: reserve, capture less, exactly or more than held, release, replays and closed
/// holds, held credits across a boundary and a grant's expiry, expiry by access and by the timer, and bad input.
/// </summary>
public class HoldsApiTests
{
    private static readonly DateTimeOffset Start = Utc(2026, 1, 31, 10);
    private static readonly DateTimeOffset Now = Utc(2026, 2, 3, 12);
    private const string Customer = "cus_1Holds";

    private static Task<AppHost> CustomerAsync(DateTimeOffset? now = null) => TestCustomers.WithPlanAsync("sub_1Holds", Start, now: now ?? Now);

    private static async Task<string> PlaceAsync(AppHost app, long amount, string key, int? expiresIn = null)
    {
        var held = await HoldAsync(app, Customer, amount, key, expiresIn);
        Assert.True(held.Status == 201, held.Body.ToString());
        return held.Body.GetProperty("holdId").GetString()!;
    }

    private static async Task<(long Available, long Held)> BalanceAsync(AppHost app)
    {
        var read = (await GetAsync(app, Customer)).Body;
        return (read.GetProperty("available").GetInt64(), read.GetProperty("held").GetInt64());
    }

    [Fact]
    public async Task AHold_Answers201WithTheHoldAndAvailableAfter_AndGetShowsItHeldAndOpen()
    {
        await using var app = await CustomerAsync();

        var held = await HoldAsync(app, Customer, JsonSerializer.Serialize(new { amount = 300, idempotencyKey = "job-1", expiresIn = 600, reason = "render", metadata = new { jobId = "j1" } }));

        Assert.Equal(201, held.Status);
        var body = held.Body;
        Assert.Equal(("hold-1", "open", 300L, 700L, Now.AddMinutes(10)),
            (body.GetProperty("holdId").GetString(), body.GetProperty("status").GetString(), body.GetProperty("amount").GetInt64(),
             body.GetProperty("available").GetInt64(), body.GetProperty("expiresAt").GetDateTimeOffset()));
        Assert.Equal(-300, body.GetProperty("parts")[0].GetProperty("amount").GetInt64());
        var read = (await GetAsync(app, Customer)).Body;
        Assert.Equal((700L, 300L), (read.GetProperty("available").GetInt64(), read.GetProperty("held").GetInt64()));
        var open = Assert.Single(read.GetProperty("holds").EnumerateArray());
        Assert.Equal(("hold-1", "render"), (open.GetProperty("holdId").GetString(), open.GetProperty("reason").GetString()));
        var entry = (await LedgerAsync(app, Customer, "?limit=1")).Body.GetProperty("entries")[0];
        Assert.Equal(("hold", "hold-1", "j1"), (entry.GetProperty("kind").GetString(), entry.GetProperty("holdId").GetString(), entry.GetProperty("metadata").GetProperty("jobId").GetString()));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Theory]
    [InlineData(120, 880)]  // less than held: the rest back
    [InlineData(300, 700)]  // exactly
    [InlineData(450, 550)]  // more: the extra from what is available
    public async Task Capture_TakesWhatTheWorkCost(long capture, long availableAfter)
    {
        await using var app = await CustomerAsync();
        var id = await PlaceAsync(app, 300, "job-1");

        var captured = await CaptureAsync(app, Customer, id, capture, "job-1-done");

        Assert.Equal(200, captured.Status);
        Assert.Equal(("captured", capture, Math.Max(0, 300 - capture), availableAfter),
            (captured.Body.GetProperty("status").GetString(), captured.Body.GetProperty("captured").GetInt64(), captured.Body.GetProperty("returned").GetInt64(),
             captured.Body.GetProperty("available").GetInt64()));
        Assert.Equal((availableAfter, 0L), await BalanceAsync(app));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task CaptureMoreThanHeldWithoutTheExtra_Is409_AndTheHoldStaysOpenToCaptureLess()
    {
        await using var app = await CustomerAsync();
        var id = await PlaceAsync(app, 900, "job-1"); // 100 left

        var refused = await CaptureAsync(app, Customer, id, 1200, "too-much");

        Assert.Equal((409, "insufficient-credits"), (refused.Status, refused.ProblemType()));
        Assert.Equal((100L, 900L), await BalanceAsync(app));
        Assert.Equal(200, (await CaptureAsync(app, Customer, id, 950, "enough")).Status);
        Assert.Equal((50L, 0L), await BalanceAsync(app));
    }

    [Fact]
    public async Task Release_GivesEverythingBack_AClosedHoldIs409_AReplayAnswersItsFirstAnswer_AKeyForAnotherHoldIsReused()
    {
        await using var app = await CustomerAsync();
        var id = await PlaceAsync(app, 300, "job-1");
        var other = await PlaceAsync(app, 100, "job-2");

        var released = await ReleaseAsync(app, Customer, id, "job-1-release");
        var again = await ReleaseAsync(app, Customer, id, "job-1-release");
        var closed = await CaptureAsync(app, Customer, id, 10, "job-1-late");
        var reused = await ReleaseAsync(app, Customer, other, "job-1-release");
        var unknown = await ReleaseAsync(app, Customer, "hold-99", "x");
        var notAnId = await ReleaseAsync(app, Customer, "99", "x");

        Assert.Equal((200, "released", 300L), (released.Status, released.Body.GetProperty("status").GetString(), released.Body.GetProperty("returned").GetInt64()));
        Assert.Equal(released.Body.ToString(), again.Body.ToString());
        Assert.Equal((409, "hold-closed"), (closed.Status, closed.ProblemType()));
        Assert.Equal((409, "idempotency-key-reused"), (reused.Status, reused.ProblemType()));
        Assert.Equal((404, "hold-not-found"), (unknown.Status, unknown.ProblemType()));
        Assert.Equal(400, notAnId.Status);
        Assert.Equal((900L, 100L), await BalanceAsync(app));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task HeldAcrossAMonthlyBoundaryAndAGrantsExpiry_IsCapturedInFull()
    {
        var beforeBoundary = Utc(2026, 2, 28, 9);
        await using var app = await CustomerAsync(beforeBoundary);
        Assert.Equal(201, (await GrantAsync(app, Customer, 200, "promo", beforeBoundary.AddMinutes(30))).Status);
        var id = await PlaceAsync(app, 1100, "long-job", expiresIn: 6 * 3600); // the promo's 200 and 900 of February's plan

        app.Time.SetUtcNow(beforeBoundary.AddHours(3)); // the promo expired and March's allowance came
        Assert.Equal((1000L, 1100L), await BalanceAsync(app));
        var captured = await CaptureAsync(app, Customer, id, 1100, "long-job-done");

        Assert.Equal((200, 1000L), (captured.Status, captured.Body.GetProperty("available").GetInt64()));
        Assert.Equal((1000L, 0L), await BalanceAsync(app));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Fact]
    public async Task AnExpiredHold_IsReleasedByTheNextRead_AndByTheTimerWhenNobodyCalls()
    {
        await using var app = await CustomerAsync();
        await PlaceAsync(app, 300, "job-1", expiresIn: 60);
        await PlaceAsync(app, 200, "job-2", expiresIn: 3600);

        app.Time.SetUtcNow(Now.AddMinutes(5)); // job-1 expired; a read gives it back
        Assert.Equal((800L, 200L), await BalanceAsync(app));

        app.Time.SetUtcNow(Now.AddHours(2)); // job-2 expired; nobody calls, the timer runs
        await app.RunAsync();
        var stored = (await app.Store.GetAccountAsync(Customer))!.State;
        Assert.Empty(stored.Holds);
        Assert.Equal(1000, stored.Subscriptions.Single().Balance);
        var releases = (await FullLedgerAsync(app.Store, Customer)).Where(e => e.Kind == LedgerKind.Release).ToList();
        Assert.Equal([(Now.AddMinutes(1), "hold-1"), (Now.AddHours(1), "hold-2")], releases.Select(e => (e.At, e.HoldId!)));
        await AssertLedgerReplaysAsync(app.Store, Customer);
    }

    [Theory]
    [InlineData("""{ "amount": 0, "idempotencyKey": "k" }""", "amount")]
    [InlineData("""{ "amount": 10 }""", "idempotencyKey")]
    [InlineData("""{ "amount": 10, "idempotencyKey": "k", "expiresIn": 0 }""", "expiresIn")]
    [InlineData("""{ "amount": 10, "idempotencyKey": "k", "expiresIn": 86401 }""", "expiresIn")]
    [InlineData("""{ "amount": 10, "idempotencyKey": "k", "expiresIn": "900" }""", "expiresIn")]
    [InlineData("""{ "amount": 10, "idempotencyKey": "k", "expiresIn": 1.5 }""", "expiresIn")]
    [InlineData("""{ "amount": 10, "idempotencyKey": "k", "expiresAt": "2026-02-04T00:00:00Z" }""", "expiresAt")]
    public async Task ABadHold_Is400NamingTheField_AndHoldsNothing(string body, string field)
    {
        await using var app = await CustomerAsync();

        var refused = await HoldAsync(app, Customer, body);

        Assert.Equal(400, refused.Status);
        Assert.True(refused.Body.GetProperty("errors").TryGetProperty(field, out _), refused.Body.ToString());
        Assert.Equal((1000L, 0L), await BalanceAsync(app));
    }

    [Fact]
    public async Task HoldsOfAnUnknownCustomer_Are404_AndForMoreThanAvailable409()
    {
        await using var app = await CustomerAsync();

        Assert.Equal((404, "customer-not-found"), await StatusAsync(HoldAsync(app, "cus_1Nobody", 10, "k")));
        Assert.Equal((409, "insufficient-credits"), await StatusAsync(HoldAsync(app, Customer, 1001, "k")));
        Assert.Equal((400, "invalid-request"), await StatusAsync(CaptureAsync(app, Customer, "hold-1", """{ "amount": -5, "idempotencyKey": "k" }""")));
    }

    private static async Task<(int, string?)> StatusAsync(Task<FunctionHttp.Answer> call)
    {
        var answer = await call;
        return (answer.Status, answer.ProblemType());
    }
}
