using System.Text.Json;

namespace CreditFunctions.Functions;

/// <summary>
/// Reads a JSON request body strictly for the credits calls: an object of known fields, each given once, every string
/// valid text; unknown or repeated fields are errors named after the field, never silently ignored.
/// </summary>
internal static class JsonBody
{
    /// <summary>
    /// A JSON number with a whole value, however it is written: <c>5</c>, <c>5.0</c> and <c>5e0</c> are the same number to
    /// JSON (and to JSON Schema's <c>integer</c>), so all are 5; <c>5.5</c>, a string or a number past ±2^53 is not.
    /// </summary>
    public static bool TryGetWhole(JsonElement value, out long number)
    {
        number = 0;
        if (value.ValueKind != JsonValueKind.Number)
        {
            return false;
        }

        if (value.TryGetInt64(out number))
        {
            return true;
        }

        const double exact = 9_007_199_254_740_992; // 2^53: every whole double up to here is exact
        if (value.TryGetDouble(out var real) && Math.Abs(real) <= exact && real == Math.Truncate(real))
        {
            number = (long)real;
            return true;
        }

        return false;
    }

    /// <param name="known">The fields the body may have.</param>
    /// <param name="read">Reads the fields into the request, adding an error per bad field.</param>
    public static (T? Request, Dictionary<string, string[]> Errors) Parse<T>(
        string body, string[] known, Func<Dictionary<string, JsonElement>, Dictionary<string, string[]>, T?> read)
        where T : class
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            errors["body"] = [$"The body is not valid JSON: {ex.Message}"];
            return (null, errors);
        }

        using (document)
        {
            try
            {
                return Read(document, known, read, errors);
            }
            catch (InvalidOperationException)
            {
                // A field name with an unpaired surrogate (\ud800): no field to name.
                errors["body"] = ["The body holds a field name that is not valid text (an unpaired surrogate escape)."];
                return (null, errors);
            }
        }
    }

    private static (T? Request, Dictionary<string, string[]> Errors) Read<T>(
        JsonDocument document, string[] known, Func<Dictionary<string, JsonElement>, Dictionary<string, string[]>, T?> read, Dictionary<string, string[]> errors)
        where T : class
    {
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["The body must be a JSON object."];
            return (null, errors);
        }

        var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                errors[property.Name] = [$"Unknown field '{property.Name}'. Fields: {string.Join(", ", known)}."];
            }
            else if (!fields.TryAdd(property.Name, property.Value.Clone()))
            {
                errors[property.Name] = [$"'{property.Name}' is given twice."];
            }
        }

        // A string with an unpaired surrogate (\ud800) is JSON, but not text: it cannot be read or stored. The field it is
        // in is named, and the other fields are still checked.
        var notText = fields.Where(f => !IsText(f.Value)).Select(f => f.Key).ToList();
        notText.ForEach(name => fields.Remove(name));
        var request = read(fields, errors);
        notText.ForEach(name => errors[name] = [$"'{name}' holds a string that is not valid text (an unpaired surrogate escape)."]);
        return errors.Count == 0 ? (request, errors) : (null, errors);
    }

    /// <summary>Whether every string in <paramref name="value"/> (names and values, nested) is valid UTF-16 text.</summary>
    private static bool IsText(JsonElement value)
    {
        try
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                _ = value.GetString(); // Throws for an unpaired surrogate.
                return true;
            }

            if (value.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in value.EnumerateObject())
                {
                    _ = property.Name;
                    if (!IsText(property.Value))
                    {
                        return false;
                    }
                }
            }

            return value.ValueKind != JsonValueKind.Array || value.EnumerateArray().All(IsText);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
