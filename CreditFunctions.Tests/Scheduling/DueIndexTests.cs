using CreditFunctions.Resets;
using CreditFunctions.Scheduling;
using CreditFunctions.Tests.Azurite;
using CreditFunctions.Tests.Resets;
using Microsoft.Extensions.Options;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Scheduling;

/// <summary>The index owner over Azurite: entries move before a write and go after it, never taking a newer one along.</summary>
public class DueIndexTests
{
    [Fact]
    public async Task ReleaseAsync_OldEntryReplacedOnItsDayByAnotherWriter_KeepsTheNewEntry()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var index = new DueIndex(store, Options.Create(new ResetOptions()));
        var old = Utc(2026, 3, 31, 10);
        await index.PlaceAsync("sub_1Race", old, current: null);

        // Another writer moves the subscription to later the same day (the same row) before this writer releases.
        await index.PlaceAsync("sub_1Race", old.AddHours(2), current: old);
        await index.ReleaseAsync("sub_1Race", previous: old, placement: Utc(2026, 4, 30, 10));

        Assert.Equal([old.AddHours(2)], (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Fact]
    public async Task ReleaseAsync_OldEntryOnAnotherDay_RemovesIt()
    {
        var (store, _) = await AzuriteFixture.NewStoreAsync();
        var index = new DueIndex(store, Options.Create(new ResetOptions()));
        var old = Utc(2026, 3, 31, 10);
        var next = Utc(2026, 4, 30, 10);
        await index.PlaceAsync("sub_1Move", old, current: null);
        await index.PlaceAsync("sub_1Move", next, current: old);

        await index.ReleaseAsync("sub_1Move", previous: old, placement: next);

        Assert.Equal([next], (await store.AllDueAsync()).Select(e => e.DueAt));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Placement_ResetCarriedOutOrNothingDue_IsTheNextCheck(bool resetDue)
    {
        var next = Utc(2026, 4, 30, 10);
        var decision = new ResetDecision { Boundary = resetDue ? Utc(2026, 3, 31, 10) : null, NextCheck = next };

        Assert.Equal(next, DueIndex.Placement(decision, carriedOut: resetDue, Utc(2026, 3, 31, 12)));
    }

    [Fact]
    public void Placement_ResetDueButNotCarriedOut_IsNow()
    {
        var now = Utc(2026, 3, 31, 12);
        var decision = new ResetDecision { Boundary = Utc(2026, 3, 31, 10), NextCheck = Utc(2026, 4, 30, 10) };

        Assert.Equal(now, DueIndex.Placement(decision, carriedOut: false, now));
    }
}
