using System.Globalization;
using Microsoft.Azure.Functions.Worker;

namespace CreditFunctions.Functions;

/// <summary>How many times the host has handed a queue trigger this message (its <c>DequeueCount</c>; 1 when it does not say).</summary>
internal static class QueueTries
{
    public static long Of(FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.BindingContext.BindingData.TryGetValue("DequeueCount", out var count) && count is not null
            ? long.Parse(count.ToString()!, CultureInfo.InvariantCulture)
            : 1;
    }
}
