using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using CreditFunctions.Functions;
using static CreditFunctions.Tests.TestSubscriptions;

namespace CreditFunctions.Tests.Contract;

/// <summary>
/// openapi/openapi.json against the app, both ways: the routes, methods and auth levels the build declares to the
/// Functions host are exactly the document's operations; every example in the document is valid against its own schema;
/// the app serves the committed document. (Each answer the other tests receive is checked by <see cref="ApiContract"/>.)
/// </summary>
public class ContractTests
{
    private static JsonArray FunctionsMetadata()
    {
        var path = typeof(ContractTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsMetadataPath").Value!;
        return JsonNode.Parse(File.ReadAllText(path))!.AsArray();
    }

    private static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations() =>
        ApiContract.Document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()
            .Where(o => o.Key is "get" or "put" or "post" or "delete" or "patch")
            .Select(o => (p.Key, o.Key, o.Value!.AsObject())));

    [Fact]
    public void HttpFunctions_AreExactlyTheDocumentsOperations_WithTheirAuthLevels()
    {
        var declared = FunctionsMetadata()
            .SelectMany(f => f!["bindings"]!.AsArray().Where(b => b!["type"]!.GetValue<string>() == "httpTrigger")
                .SelectMany(b => b!["methods"]!.AsArray().Select(m =>
                    $"{m!.GetValue<string>().ToUpperInvariant()} /{b["route"]!.GetValue<string>()} {b["authLevel"]!.GetValue<string>()}")))
            .Order(StringComparer.Ordinal).ToList();
        var documented = Operations()
            .Select(o => $"{o.Method.ToUpperInvariant()} {o.Path} {(o.Operation["security"] is JsonArray { Count: 0 } ? "Anonymous" : "Function")}")
            .Order(StringComparer.Ordinal).ToList();

        Assert.True(declared.SequenceEqual(documented),
            "functions.metadata and openapi/openapi.json differ.\nOnly in the app:\n  " + string.Join("\n  ", declared.Except(documented))
            + "\nOnly in the document:\n  " + string.Join("\n  ", documented.Except(declared)));
    }

    [Fact]
    public void FunctionKeyOperations_NameTheDocumentsSecuritySchemes()
    {
        var schemes = ApiContract.Document["components"]!["securitySchemes"]!.AsObject();
        Assert.Equal(("header", "x-functions-key"), (schemes["functionKey"]!["in"]!.GetValue<string>(), schemes["functionKey"]!["name"]!.GetValue<string>()));
        Assert.Equal(("query", "code"), (schemes["functionKeyQuery"]!["in"]!.GetValue<string>(), schemes["functionKeyQuery"]!["name"]!.GetValue<string>()));
        Assert.Equal(["functionKey", "functionKeyQuery"], ApiContract.Document["security"]!.AsArray().SelectMany(s => s!.AsObject().Select(k => k.Key)));
    }

    [Fact]
    public void EveryOperation_HasAnIdAndAnExampleForEveryBodyItTakesOrAnswers()
    {
        var missing = new List<string>();
        foreach (var (path, method, operation) in Operations())
        {
            var name = operation["operationId"]?.GetValue<string>();
            if (name is null)
            {
                missing.Add($"{method} {path}: no operationId");
            }

            var bodies = (operation["responses"]!.AsObject().Select(r => (Where: $"{name} {r.Key}", Content: r.Value!["content"] as JsonObject)))
                .Append((Where: $"{name} request", Content: operation["requestBody"]?["content"] as JsonObject));
            missing.AddRange(bodies.Where(b => b.Content is not null && b.Where != "getOpenApiDocument 200" && b.Where != "stripeWebhook request")
                .SelectMany(b => b.Content!.Where(m => m.Value!["example"] is null).Select(m => $"{b.Where} {m.Key}: no example")));
        }

        Assert.True(missing.Count == 0, string.Join("\n", missing));
    }

    [Fact]
    public void EveryExample_IsValidAgainstItsSchema_AndEveryProblemExampleIsOfItsResponse()
    {
        var invalid = new List<string>();
        var examples = 0;
        foreach (var (path, method, operation) in Operations())
        {
            var name = operation["operationId"]!.GetValue<string>();
            foreach (var (status, response) in operation["responses"]!.AsObject())
            {
                foreach (var (mediaType, media) in response!["content"]?.AsObject() ?? [])
                {
                    if (media!["example"] is not { } example)
                    {
                        continue;
                    }

                    examples++;
                    using var instance = JsonDocument.Parse(example.ToJsonString());
                    invalid.AddRange(ApiContract.Validate(media["schema"]!, instance.RootElement, $"example {name} {status}").Select(e => $"{name} {status}: {e}"));
                    if (response["x-problem-types"] is JsonArray types)
                    {
                        var type = example["type"]?.GetValue<string>();
                        if (!types.Any(t => t!.GetValue<string>() == type) || example["status"]?.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture) != status)
                        {
                            invalid.Add($"{name} {status}: the example problem ({type}, {example["status"]}) is not one of the response's");
                        }
                    }
                    else if (mediaType == "application/problem+json")
                    {
                        invalid.Add($"{name} {status}: a problem response without x-problem-types");
                    }
                }
            }

            if (operation["requestBody"]?["content"]?["application/json"] is { } request && request["example"] is { } requestExample)
            {
                examples++;
                using var instance = JsonDocument.Parse(requestExample.ToJsonString());
                invalid.AddRange(ApiContract.Validate(request["schema"]!, instance.RootElement, $"example {name} request").Select(e => $"{name} request: {e}"));
            }
        }

        Assert.True(invalid.Count == 0, string.Join("\n", invalid));
        Assert.True(examples > 40, $"only {examples} examples were checked");
    }

    [Fact]
    public void Validation_RefusesAnAnswerWithAFieldTheDocumentDoesNotHave_OrWithoutOneItRequires()
    {
        var schema = ApiContract.Document["paths"]!["/customers/{customerId}/credits/spend"]!["post"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
        using var good = JsonDocument.Parse("""{"customerId":"cus_1","idempotencyKey":"k","kind":"spend","amount":-1,"parts":[],"available":0,"ledgerSequence":1,"at":"2026-12-04T10:00:00+00:00"}""");
        using var extra = JsonDocument.Parse("""{"customerId":"cus_1","idempotencyKey":"k","kind":"spend","amount":-1,"parts":[],"available":0,"ledgerSequence":1,"at":"2026-12-04T10:00:00+00:00","bonus":1}""");
        using var short_ = JsonDocument.Parse("""{"customerId":"cus_1","idempotencyKey":"k","kind":"spend","amount":-1,"parts":[],"ledgerSequence":1,"at":"2026-12-04T10:00:00+00:00"}""");
        using var badTime = JsonDocument.Parse("""{"customerId":"cus_1","idempotencyKey":"k","kind":"spend","amount":-1,"parts":[],"available":0,"ledgerSequence":1,"at":"yesterday"}""");

        Assert.Empty(ApiContract.Validate(schema, good.RootElement, "spend 200 (self-test)"));
        Assert.NotEmpty(ApiContract.Validate(schema, extra.RootElement, "spend 200 (self-test)"));
        Assert.NotEmpty(ApiContract.Validate(schema, short_.RootElement, "spend 200 (self-test)"));
        Assert.NotEmpty(ApiContract.Validate(schema, badTime.RootElement, "spend 200 (self-test)"));
    }

    [Theory]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "a/b" }""")]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "a#b" }""")]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "a?b" }""")]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "a\\b" }""")]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "a b" }""")]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "k1", "reason": "   " }""")]
    [InlineData("spend", """{ "amount": 1.0, "idempotencyKey": "k2" }""")]
    [InlineData("spend", """{ "amount": 1e0, "idempotencyKey": "k3" }""")]
    [InlineData("spend", """{ "amount": 1.5, "idempotencyKey": "k4" }""")]
    [InlineData("spend", """{ "amount": 0, "idempotencyKey": "k5" }""")]
    [InlineData("spend", """{ "amount": 1, "idempotencyKey": "k6", "extra": 1 }""")]
    [InlineData("grants", """{ "amount": 1, "idempotencyKey": "g1", "reason": "r", "expiresAt": "2030-03-01t10:00:00z" }""")]
    [InlineData("grants", """{ "amount": 1, "idempotencyKey": "g2", "reason": "r", "expiresAt": "2030-03-01T10:00:00.123456789Z" }""")]
    [InlineData("grants", """{ "amount": 1, "idempotencyKey": "g3", "reason": "r", "expiresAt": "2030-06-30T23:59:60Z" }""")]
    [InlineData("grants", """{ "amount": 1, "idempotencyKey": "g4", "reason": "r", "expiresAt": "2030-03-01T10:00:00.1234567+02:00" }""")]
    [InlineData("grants", """{ "amount": 0, "idempotencyKey": "g5", "reason": "r" }""")]
    public async Task ARequestBody_IsValidForTheDocument_ExactlyWhenTheAppTakesIt(string call, string body)
    {
        await using var app = await AppHost.StartAsync(new DateTimeOffset(2026, 12, 4, 10, 0, 0, TimeSpan.Zero));
        Assert.Equal(201, (await CreditsClient.GrantAsync(app, "cus_1Schema", 100, "seed")).Status);
        var schema = ApiContract.Document["paths"]![$"/customers/{{customerId}}/credits/{call}"]!["post"]!["requestBody"]!["content"]!["application/json"]!["schema"]!;
        using var instance = JsonDocument.Parse(body);

        var documentTakesIt = !ApiContract.Validate(schema, instance.RootElement, $"request {call}").Any();
        var answer = call == "spend" ? await CreditsClient.SpendAsync(app, "cus_1Schema", body) : await CreditsClient.GrantAsync(app, "cus_1Schema", body);

        Assert.True(documentTakesIt == answer.Status is 200 or 201, $"the document {(documentTakesIt ? "takes" : "refuses")} {body}; the app answered {answer.Status} {answer.Body}");
    }

    [Fact]
    public async Task TheApp_ServesTheCommittedDocument_Anonymously()
    {
        await using var app = await AppHost.StartAsync(DateTimeOffset.UtcNow);
        await using var server = await LocalFunctionsServer.StartAsync(app);
        using var http = new HttpClient();

        using var answer = await http.GetAsync(server.BaseAddress + "/api/openapi.json");

        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("application/json", answer.Content.Headers.ContentType?.MediaType);
        Assert.Equal(await File.ReadAllBytesAsync(ApiContract.DocumentPath), await answer.Content.ReadAsByteArrayAsync());
    }
}
