using System.Text.Json;
using System.Text.Json.Serialization;

namespace CreditFunctions;

/// <summary>The JSON shape of everything the app answers or stores: camelCase, enums as camelCase strings.</summary>
public static class CreditJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = false,
    };
}
