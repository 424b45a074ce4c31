using CreditFunctions.Periods;

namespace CreditFunctions.Tests.Periods;

public class CreditPeriodsTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0) =>
        new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void Boundary_Jan31StartInCommonYear_ClampsToMonthEndsWithoutDrift()
    {
        var start = Utc(2025, 1, 31, 14, 30);

        var boundaries = Enumerable.Range(1, 4).Select(k => CreditPeriods.Boundary(start, k)).ToArray();

        Assert.Equal([Utc(2025, 2, 28, 14, 30), Utc(2025, 3, 31, 14, 30), Utc(2025, 4, 30, 14, 30), Utc(2025, 5, 31, 14, 30)], boundaries);
    }

    [Fact]
    public void Boundary_Jan31StartInLeapYear_GivesFeb29()
    {
        Assert.Equal(Utc(2028, 2, 29), CreditPeriods.Boundary(Utc(2028, 1, 31), 1));
    }

    [Fact]
    public void Boundary_Feb29Start_GivesThe29thEveryMonthAndFeb28NextYear()
    {
        var start = Utc(2028, 2, 29, 9);

        Assert.Equal(Utc(2028, 3, 29, 9), CreditPeriods.Boundary(start, 1));
        Assert.Equal(Utc(2029, 1, 29, 9), CreditPeriods.Boundary(start, 11));
        Assert.Equal(Utc(2029, 2, 28, 9), CreditPeriods.Boundary(start, 12));
    }

    [Fact]
    public void Boundary_IsComputedFromTheStartNotChained()
    {
        var start = Utc(2025, 1, 31);
        var chained = CreditPeriods.Boundary(CreditPeriods.Boundary(start, 1), 1); // Feb 28 + 1 month = Mar 28: drift

        Assert.Equal(Utc(2025, 3, 28), chained);
        Assert.Equal(Utc(2025, 3, 31), CreditPeriods.Boundary(start, 2));
    }

    [Fact]
    public void Boundary_NonUtcOffset_IsComputedInUtc()
    {
        var start = new DateTimeOffset(2025, 1, 31, 23, 30, 0, TimeSpan.FromHours(-5)); // Feb 1 04:30 UTC

        Assert.Equal(Utc(2025, 3, 1, 4, 30), CreditPeriods.Boundary(start, 1));
        Assert.Equal(TimeSpan.Zero, CreditPeriods.Boundary(start, 1).Offset);
    }

    [Fact]
    public void InPeriodBoundaries_YearlyPeriod_HasElevenMonthlyResets()
    {
        var start = Utc(2025, 1, 31);

        var boundaries = CreditPeriods.InPeriodBoundaries(start, start.AddYears(1)).ToArray();

        Assert.Equal(11, boundaries.Length);
        Assert.Equal(Utc(2025, 2, 28), boundaries[0]);
        Assert.Equal(Utc(2025, 12, 31), boundaries[^1]);
    }

    [Fact]
    public void InPeriodBoundaries_MonthlyPeriod_HasNone()
    {
        Assert.Empty(CreditPeriods.InPeriodBoundaries(Utc(2025, 1, 31), Utc(2025, 2, 28)));
    }

    [Fact]
    public void InPeriodBoundaries_QuarterlyPeriod_HasTwo()
    {
        Assert.Equal([Utc(2025, 2, 15), Utc(2025, 3, 15)], CreditPeriods.InPeriodBoundaries(Utc(2025, 1, 15), Utc(2025, 4, 15)));
    }

    [Fact]
    public void Boundary_NegativeIndex_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => CreditPeriods.Boundary(Utc(2025, 1, 1), -1));
    }
}
