using System.ComponentModel.DataAnnotations;

namespace CreditFunctions.Resets;

/// <summary>Settings of the reset engine, bound from the <c>Reset</c> section (<c>Reset__AllowPastDue</c> and so on).</summary>
public sealed class ResetOptions : IValidatableObject
{
    public const string SectionName = "Reset";

    /// <summary>Whether past_due subscriptions still get their monthly reset.</summary>
    public bool AllowPastDue { get; set; }

    /// <summary>How many subscriptions a run works on at once.</summary>
    [Range(1, 256, ErrorMessage = "Reset:MaxParallelism must be between {1} and {2}.")]
    public int MaxParallelism { get; set; } = 32;

    /// <summary>How long a timer run may work before it stops and leaves the rest to the next run.</summary>
    public TimeSpan TimerRunBudget { get; set; } = TimeSpan.FromMinutes(20);

    /// <summary>How long a manual (HTTP) run may work: well inside Azure's 230-second HTTP limit.</summary>
    public TimeSpan ManualRunBudget { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long after a period starts its payment may go unseen before it counts as unconfirmed.</summary>
    public TimeSpan RenewalGrace { get; set; } = ResetPolicy.DefaultRenewalGrace;

    /// <summary>What the reset rule reads of these settings.</summary>
    public ResetPolicy Policy => new(AllowPastDue, RenewalGrace);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TimerRunBudget <= TimeSpan.Zero || TimerRunBudget > TimeSpan.FromMinutes(25))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(TimerRunBudget)} must be between 00:00:01 and 00:25:00 (host.json functionTimeout is 00:30:00); got {TimerRunBudget}.",
                [nameof(TimerRunBudget)]);
        }

        if (RenewalGrace < TimeSpan.Zero || RenewalGrace > TimeSpan.FromDays(3))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(RenewalGrace)} must be between 00:00:00 and 3.00:00:00; got {RenewalGrace}.",
                [nameof(RenewalGrace)]);
        }

        if (ManualRunBudget <= TimeSpan.Zero || ManualRunBudget > TimeSpan.FromSeconds(200))
        {
            yield return new ValidationResult(
                $"{SectionName}:{nameof(ManualRunBudget)} must be between 00:00:01 and 00:03:20, inside Azure's 230-second HTTP limit; got {ManualRunBudget}.",
                [nameof(ManualRunBudget)]);
        }
    }
}
