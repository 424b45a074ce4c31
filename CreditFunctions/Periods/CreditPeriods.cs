namespace CreditFunctions.Periods;

/// <summary>
/// Splits a billing period into monthly credit periods. Boundary k is the period start plus k calendar months,
/// always computed from the start (never from the previous boundary) so that a Jan 31 start gives Feb 28/29,
/// Mar 31, Apr 30: a month-end start never drifts to the 28th.
/// </summary>
public static class CreditPeriods
{
    /// <summary>Boundary k of a billing period that starts at <paramref name="periodStart"/>, clamped to the month's end.</summary>
    public static DateTimeOffset Boundary(DateTimeOffset periodStart, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        // DateTimeOffset.AddMonths clamps the day to the target month's length, which is the rule we want.
        return periodStart.ToUniversalTime().AddMonths(k);
    }

    /// <summary>
    /// The in-period boundaries (k &gt;= 1) that fall strictly before the period end. A yearly period has 11;
    /// a monthly one has none (its reset comes with the renewal, k = 0).
    /// </summary>
    public static IEnumerable<DateTimeOffset> InPeriodBoundaries(DateTimeOffset periodStart, DateTimeOffset periodEnd)
    {
        for (var k = 1; ; k++)
        {
            var boundary = Boundary(periodStart, k);
            if (boundary >= periodEnd)
            {
                yield break;
            }

            yield return boundary;
        }
    }

    /// <summary>Truncates to whole seconds: Stripe's timestamps are Unix seconds, and so are our exactly-once keys.</summary>
    public static DateTimeOffset ToWholeSeconds(DateTimeOffset value) =>
        DateTimeOffset.FromUnixTimeSeconds(value.ToUnixTimeSeconds());

    /// <summary>The first boundary of the period after <paramref name="now"/>: its next in-period boundary, else its end.</summary>
    public static DateTimeOffset NextBoundary(DateTimeOffset periodStart, DateTimeOffset periodEnd, DateTimeOffset now) =>
        InPeriodBoundaries(periodStart, periodEnd).Where(b => b > now).Cast<DateTimeOffset?>().FirstOrDefault() ?? periodEnd;
}
