using CreditFunctions.Functions;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Functions;

public class ResetCreditsTimerTests
{
    private static readonly DateTimeOffset Start = Utc(2025, 1, 31, 10);
    private static readonly DateTimeOffset RunTime = Utc(2025, 3, 1, 2);

    [Fact]
    public async Task Run_OnSchedule_ResetsDueSubscriptionsAsTimer()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        var store = app.Services.GetRequiredService<ICreditStore>();
        await store.SeedAsync(Yearly("sub_timer", Start, balance: 2), Utc(2025, 2, 28, 10));

        await app.Function<ResetCreditsTimer>().RunAsync(new TimerInfo(), CancellationToken.None);

        var reset = Assert.Single(await store.GetResetHistoryAsync("sub_timer"));
        Assert.Equal(ResetTrigger.Timer, reset.Trigger);
        Assert.Equal(1000, (await store.GetRequiredAsync("sub_timer")).Balance);
    }

    [Fact]
    public async Task Run_PastDue_WarnsWithLastAndNextSchedule()
    {
        await using var app = await AppHost.StartAsync(RunTime);
        var timer = new TimerInfo
        {
            IsPastDue = true,
            ScheduleStatus = new ScheduleStatus { Last = new DateTime(2025, 2, 27, 2, 0, 0, DateTimeKind.Utc), Next = new DateTime(2025, 3, 2, 2, 0, 0, DateTimeKind.Utc) },
        };

        await app.Function<ResetCreditsTimer>().RunAsync(timer, CancellationToken.None);

        var warning = Assert.Single(app.Logs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("past due", StringComparison.Ordinal));
        Assert.Contains("2025-02-27T02:00:00", warning.Message, StringComparison.Ordinal);
        Assert.Contains("2025-03-02T02:00:00", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_LogsScheduleAndTimeZone()
    {
        await using var app = await AppHost.StartAsync(RunTime);

        Assert.Contains(app.Logs.Entries, e => e.Message.Contains("'0 0 2 * * *' in time zone UTC", StringComparison.Ordinal));
    }
}
