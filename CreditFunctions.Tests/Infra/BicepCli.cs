using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace CreditFunctions.Tests.Infra;

/// <summary>The Bicep CLI from the restored Azure.Bicep.CommandLine.linux-x64 package: nothing downloaded at run time.</summary>
internal static class BicepCli
{
    public static string MainBicep { get; } = Path.Combine(AzuriteFixture.RepositoryRoot, "infra", "main.bicep");

    private static readonly Lazy<JsonObject> Compiled = new(() =>
    {
        var (exit, stdout, stderr) = Run("build", MainBicep, "--stdout");
        Assert.True(exit == 0, $"bicep build failed: {stderr}");
        return JsonNode.Parse(stdout)!.AsObject();
    });

    /// <summary>infra/main.bicep compiled to an ARM template.</summary>
    public static JsonObject Template => Compiled.Value;

    public static (int ExitCode, string StandardOutput, string StandardError) Run(params string[] arguments)
    {
        var package = typeof(BicepCli).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BicepPackagePath").Value!;
        var start = new ProcessStartInfo(Path.Combine(package, "tools", "bicep"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)), "bicep did not finish in 3 minutes");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Every resource in the template and its nested module templates.</summary>
    public static IEnumerable<JsonObject> Resources(JsonObject template)
    {
        var resources = template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject map => map.Select(r => r.Value!.AsObject()),
            _ => [],
        };
        foreach (var resource in resources)
        {
            yield return resource;
            if (resource["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in Resources(nested))
                {
                    yield return inner;
                }
            }
        }
    }
}
