using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Microsoft.AspNetCore.Http;

namespace CreditFunctions.Tests.Contract;

/// <summary>
/// The committed OpenAPI document (openapi/openapi.json) as the judge of what the app answers: every answer the tests'
/// clients get from a function (in process or over HTTP) is checked against the document's response for its route,
/// method and status: the status documented, the media type, the body valid against the schema (JsonSchema.Net, draft
/// 2020-12, formats checked), a problem's <c>type</c> among the response's <c>x-problem-types</c>, and every header the
/// app sets documented (every required one present). Object schemas forbid unknown fields, so a field added to an
/// answer and not to the document fails the test that received it.
/// </summary>
internal static partial class ApiContract
{
    public static string DocumentPath => Path.Combine(AzuriteFixture.RepositoryRoot, "openapi", "openapi.json");

    private static readonly Lazy<JsonObject> Loaded = new(() => JsonNode.Parse(File.ReadAllText(DocumentPath))!.AsObject());

    public static JsonObject Document => Loaded.Value;

    /// <summary>Headers every HTTP answer may carry without the document naming them.</summary>
    private static readonly HashSet<string> TransportHeaders = new(StringComparer.OrdinalIgnoreCase) { "Content-Type", "Content-Length", "Date", "Server", "Transfer-Encoding" };

    private static readonly ConcurrentDictionary<string, JsonSchema> Schemas = new(StringComparer.Ordinal);

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    /// <summary>The document's path template a request path (with or without <c>/api</c>) falls under, and its operation; null when none.</summary>
    public static (string Template, JsonObject Operation)? Find(string method, string path)
    {
        var relative = path.StartsWith("/api/", StringComparison.Ordinal) ? path["/api".Length..] : path;
        foreach (var (template, item) in Document["paths"]!.AsObject())
        {
            var pattern = "^" + Placeholder().Replace(Regex.Escape(template).Replace(@"\{", "{", StringComparison.Ordinal), "[^/]+") + "$";
            if (Regex.IsMatch(relative, pattern) && item![method.ToLowerInvariant()] is JsonObject operation)
            {
                return (template, operation);
            }
        }

        return null;
    }

    /// <summary>Fails the test with every way the answer departs from the document.</summary>
    public static void CheckAnswer(string method, string path, int status, string? contentType, IHeaderDictionary headers, JsonElement body)
    {
        var problems = Departures(method, path, status, contentType, headers, body);
        Assert.True(problems.Count == 0,
            $"{method} {path} answered {status} ({contentType}), which departs from openapi/openapi.json:\n  {string.Join("\n  ", problems)}\nbody: {body}");
    }

    /// <summary>An answer that is not JSON (the console's page and files): its operation, status and media type documented.</summary>
    public static List<string> TextDepartures(string method, string path, int status, string? contentType)
    {
        if (Find(method, path) is not var (template, operation))
        {
            return [$"the document has no {method} operation for {path}"];
        }

        var name = operation["operationId"]?.GetValue<string>() ?? template;
        var media = contentType?.Split(';')[0].Trim();
        return operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not JsonObject response
            ? [$"{name} documents no {status} answer"]
            : response["content"] is JsonObject content && media is not null && !content.ContainsKey(media)
                ? [$"{name} {status} is documented as {string.Join(", ", content.Select(c => c.Key))}, answered as {contentType}"]
                : [];
    }

    public static List<string> Departures(string method, string path, int status, string? contentType, IHeaderDictionary headers, JsonElement body)
    {
        if (Find(method, path) is not var (template, operation))
        {
            return [$"the document has no {method} operation for {path}"];
        }

        var name = operation["operationId"]?.GetValue<string>() ?? template;
        if (operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)] is not JsonObject response)
        {
            return [$"{name} documents no {status} answer"];
        }

        if (response["content"] is not JsonObject content)
        {
            return [$"{name} {status} is documented without a body (the host's answer), but the app answered it"];
        }

        var problems = new List<string>();
        var (mediaType, media) = content.Single();
        if (contentType?.Split(';')[0].Trim() is not { } answered || !answered.Equals(mediaType, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"{name} {status} is documented as {mediaType}, answered as {contentType}");
        }

        var pointer = $"#/paths/{Escape(template)}/{method.ToLowerInvariant()}/responses/{status}/content/{Escape(mediaType)}/schema";
        problems.AddRange(Validate(media!["schema"]!, body, pointer));

        if (response["x-problem-types"] is JsonArray types)
        {
            var type = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("type", out var t) ? t.ToString() : null;
            if (!types.Any(x => x!.GetValue<string>() == type))
            {
                problems.Add($"{name} {status}: problem type '{type}' is not among the documented x-problem-types ({string.Join(", ", types)})");
            }
        }

        var documented = response["headers"] as JsonObject ?? [];
        problems.AddRange(headers.Keys.Where(h => !TransportHeaders.Contains(h) && !documented.ContainsKey(h))
            .Select(h => $"{name} {status}: header {h} is set but not documented"));
        problems.AddRange(documented.Where(h => h.Value!["required"]?.GetValue<bool>() == true && !headers.ContainsKey(h.Key))
            .Select(h => $"{name} {status}: documented header {h.Key} is missing"));
        foreach (var (header, definition) in documented.Where(h => headers.ContainsKey(h.Key)))
        {
            // Header values are text; the document's integer headers must hold a whole number.
            var value = headers[header].ToString();
            if (definition!["schema"]?["type"]?.GetValue<string>() == "integer" && !long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                problems.Add($"{name} {status}: header {header} is '{value}', not the documented integer");
            }

            if (definition["schema"]?["enum"] is JsonArray allowed && !allowed.Any(a => a!.GetValue<string>() == value))
            {
                problems.Add($"{name} {status}: header {header} is '{value}', not one of the documented {string.Join(", ", allowed)}");
            }
        }
        return problems;
    }

    /// <summary>Every way <paramref name="instance"/> departs from <paramref name="schema"/> (a schema of the document, refs into its components).</summary>
    public static IEnumerable<string> Validate(JsonNode schema, JsonElement instance, string where)
    {
        var compiled = Schemas.GetOrAdd(where, _ => Compile(schema));
        var results = compiled.Evaluate(JsonNode.Parse(instance.GetRawText()), Evaluation);
        return results.IsValid
            ? []
            : results.Details.Where(d => d.HasErrors).SelectMany(d => d.Errors!.Select(e => $"at '{d.InstanceLocation}' ({d.EvaluationPath}): {e.Value}"))
                .DefaultIfEmpty("invalid (no detail)");
    }

    /// <summary>The schema standing alone: the document's component schemas as its <c>$defs</c>, under an id of its own.</summary>
    private static JsonSchema Compile(JsonNode schema)
    {
        var standalone = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$id"] = $"https://creditfunctions.test/contract/{Guid.NewGuid():N}",
            ["$defs"] = Document["components"]!["schemas"]!.DeepClone(),
        };
        foreach (var (key, value) in schema.AsObject())
        {
            standalone[key] = value!.DeepClone();
        }

        return JsonSchema.FromText(standalone.ToJsonString().Replace("\"#/components/schemas/", "\"#/$defs/", StringComparison.Ordinal));
    }

    private static string Escape(string token) => token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Placeholder();
}
