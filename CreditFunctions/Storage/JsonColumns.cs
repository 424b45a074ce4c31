using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Data.Tables;

namespace CreditFunctions.Storage;

/// <summary>
/// JSON kept in table columns: compact (no nulls), and split over numbered columns because Azure caps a string property
/// at 64 KiB (32K UTF-16 characters) while a whole entity may hold 1 MiB.
/// </summary>
internal static class JsonColumns
{
    private const int ChunkChars = 30_000;

    /// <summary>
    /// Compact, and text kept as text: the default encoder writes every non-ASCII character (and <c>' + &lt; &gt; &amp;</c>)
    /// as a six-character escape, which would fill an account row's columns several times faster. These columns are
    /// never put into HTML.
    /// </summary>
    public static JsonSerializerOptions Options { get; } = new(CreditJson.Options)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="padToMax">Write every one of the <paramref name="maxChunks"/> columns (unused ones empty): for a row that is merged.</param>
    /// <returns>False when the JSON needs more than <paramref name="maxChunks"/> columns.</returns>
    public static bool TryWrite<T>(TableEntity entity, string field, T value, int maxChunks, bool padToMax = false) =>
        TryWriteText(entity, field, JsonSerializer.Serialize(value, Options), maxChunks, padToMax);

    /// <returns>False when the text needs more than <paramref name="maxChunks"/> columns.</returns>
    public static bool TryWriteText(TableEntity entity, string field, string json, int maxChunks, bool padToMax = false)
    {
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(json);
        var chunks = (json.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > maxChunks)
        {
            return false;
        }

        for (var i = 0; i < (padToMax ? maxChunks : chunks); i++)
        {
            entity[field + i] = i < chunks ? json.Substring(i * ChunkChars, Math.Min(ChunkChars, json.Length - (i * ChunkChars))) : "";
        }

        entity[field + "Chunks"] = chunks;
        return true;
    }

    public static T? Read<T>(TableEntity entity, string field) =>
        ReadText(entity, field) is { } json ? JsonSerializer.Deserialize<T>(json, Options) : default;

    public static string? ReadText(TableEntity entity, string field)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var chunks = entity.GetInt32(field + "Chunks") ?? 0;
        if (chunks == 0)
        {
            return null;
        }

        var text = new StringBuilder();
        for (var i = 0; i < chunks; i++)
        {
            text.Append(entity.GetString(field + i));
        }

        return text.ToString();
    }
}
