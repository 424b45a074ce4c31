using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;

namespace CreditFunctions.Tests.Azurite;

/// <summary>
/// The Azurite the Quick start starts (the README's own command: Blob, Queue and Table, on disk) on the Node.js this
/// machine has: it must serve what the Functions host and the app do with it. The integration tests use a Table-only,
/// in-memory Azurite, so this is the one check of the newcomer's.
/// </summary>
public partial class QuickStartAzuriteTests
{
    /// <summary>The arguments of the Quick start's <c>npx azurite ...</c> line.</summary>
    private static List<string> ReadmeArguments()
    {
        var readme = File.ReadAllText(Path.Combine(AzuriteFixture.RepositoryRoot, "README.md"));
        var line = AzuriteLine().Match(readme);
        Assert.True(line.Success, "the README's Quick start has no 'npx azurite ... &' line");
        return [.. line.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)];
    }

    [Fact]
    public async Task QuickStartAzurite_ServesTheHostsTimerLeaseAndTheAppsTables()
    {
        var arguments = ReadmeArguments();
        var location = Path.Combine(Path.GetTempPath(), "quickstart-azurite-" + Guid.NewGuid().ToString("N"));
        var at = arguments.IndexOf("--location");
        Assert.True(at >= 0 && at + 1 < arguments.Count, "the Quick start's Azurite keeps no --location");
        arguments[at + 1] = location;
        var (blob, queue, table) = (FreePort(), FreePort(), FreePort());
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = AzuriteFixture.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AzuriteFixture.RepositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js"));
        arguments.ForEach(start.ArgumentList.Add);
        foreach (var (name, port) in new[] { ("--blobPort", blob), ("--queuePort", queue), ("--tablePort", table) })
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await WaitForPortsAsync(process, [blob, queue, table], errors);
            var connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
                + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
                + $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;"
                + $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

            // What the host does for its timer: a container of its own, a lease blob, a lease on it.
            var container = new BlobServiceClient(connection).GetBlobContainerClient("azure-webjobs-hosts");
            await container.CreateIfNotExistsAsync();
            var lockBlob = container.GetBlobClient("locks/creditfunctions/ResetCreditsTimer.Listener");
            await lockBlob.UploadAsync(BinaryData.FromString(""), overwrite: true);
            var lease = await lockBlob.GetBlobLeaseClient().AcquireAsync(TimeSpan.FromSeconds(15));
            Assert.False(string.IsNullOrEmpty(lease.Value.LeaseId));

            // What the app does: its tables, a row in one.
            var tables = new TableServiceClient(connection).GetTableClient("CreditsCustomers");
            await tables.CreateIfNotExistsAsync();
            await tables.AddEntityAsync(new TableEntity("cus_1", "account"));
            Assert.Equal("cus_1", (await tables.GetEntityAsync<TableEntity>("cus_1", "account")).Value.PartitionKey);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            if (Directory.Exists(location))
            {
                Directory.Delete(location, recursive: true);
            }
        }

        Assert.DoesNotContain("error", (await errors).ToLowerInvariant(), StringComparison.Ordinal);
        _ = await output;
    }

    private static async Task WaitForPortsAsync(Process process, int[] ports, Task<string> errors)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var port in ports)
        {
            while (true)
            {
                if (process.HasExited)
                {
                    Assert.Fail($"the Quick start's Azurite exited ({process.ExitCode}): {await errors}");
                }

                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(60))
                {
                    await Task.Delay(200);
                }
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"^npx azurite ([^&#\n]+?)\s*&", RegexOptions.Multiline)]
    private static partial Regex AzuriteLine();
}
