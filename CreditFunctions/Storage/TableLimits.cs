namespace CreditFunctions.Storage;

/// <summary>Azure Table Storage's limits as the app meets them (Azurite is looser: it takes bigger batches).</summary>
public static class TableLimits
{
    /// <summary>Operations in one entity-group transaction (and in one batch of index writes).</summary>
    public const int MaxOperations = 100;

    /// <summary>Rows in one page of a query; continuation tokens carry the rest.</summary>
    public const int PageSize = 1000;
}
