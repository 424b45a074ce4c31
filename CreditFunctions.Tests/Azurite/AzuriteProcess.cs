using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CreditFunctions.Tests.Azurite;

/// <summary>
/// A real Azurite on 127.0.0.1 (its Table and Queue services, and Blob, each on a free port), started from the
/// repository's pinned npm package (installed with <c>npm ci</c> first if missing). Shared by the tests and the benchmark.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    // Azurite's well-known development account; not a secret.
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    private AzuriteProcess(Process process, int blobPort, int queuePort, int tablePort)
    {
        _process = process;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};"
            + $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;"
            + $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
    }

    public string ConnectionString { get; }

    /// <summary>CPU time the emulator has used so far, so a benchmark can tell whether the store was the busy side.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<AzuriteProcess> StartAsync(string repositoryRoot, CancellationToken cancellationToken = default)
    {
        var script = Path.Combine(repositoryRoot, "node_modules", "azurite", "dist", "src", "azurite.js");
        await EnsureNodePackagesAsync(repositoryRoot, cancellationToken).ConfigureAwait(false);

        if (!File.Exists(script))
        {
            throw new InvalidOperationException(
                $"Azurite is not installed at {script}. Run 'npm ci' in {repositoryRoot} (needs Node.js), "
                + "or set CREDITFUNCTIONS_TEST_STORAGE to the connection string of a running Azurite.");
        }

        var (blobPort, queuePort, tablePort) = (FreePort(), FreePort(), FreePort());
        static string Text(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("node")
        {
            ArgumentList =
            {
                script, "--blobHost", "127.0.0.1", "--blobPort", Text(blobPort), "--queueHost", "127.0.0.1", "--queuePort", Text(queuePort),
                "--tableHost", "127.0.0.1", "--tablePort", Text(tablePort),
                "--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck", "--silent",
            },
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start node for Azurite.");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (output.Any(l => l.Contains("Table service is successfully listening", StringComparison.OrdinalIgnoreCase))
                && output.Any(l => l.Contains("Queue service is successfully listening", StringComparison.OrdinalIgnoreCase)))
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                output.Enqueue(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var azurite = new AzuriteProcess(process, blobPort, queuePort, tablePort);
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await azurite.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException("Azurite did not start within 60 s: " + string.Join('\n', output));
        }

        return azurite;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }

        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The packages package.json pins (Azurite, standardwebhooks for demo/receiver.mjs, Chart.js the console vendors): <c>npm ci</c> when one is missing.</summary>
    private static readonly string[] NodePackages = ["azurite", "standardwebhooks", "openapi-fetch", "typescript", "chart.js"];

    public static async Task EnsureNodePackagesAsync(string repositoryRoot, CancellationToken cancellationToken = default)
    {
        // Every package the tests run or check: Azurite, the receiver's standardwebhooks, the TypeScript client's workspace
        // (its fetch library and compiler), Chart.js; a node_modules from before any of them is installed again.
        static bool Installed(string root) => NodePackages.All(p => File.Exists(Path.Combine(root, "node_modules", p, "package.json")));
        if (Installed(repositoryRoot))
        {
            return;
        }

        // A lock file keeps two processes (tests and benchmark) from installing into one folder at once.
        var lockPath = Path.Combine(repositoryRoot, "node_modules.install.lock");
        using var gate = await AcquireAsync(lockPath, cancellationToken).ConfigureAwait(false);
        if (Installed(repositoryRoot))
        {
            return;
        }

        var npm = new ProcessStartInfo("npm")
        {
            ArgumentList = { "ci", "--no-audit", "--no-fund" },
            WorkingDirectory = repositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm; is Node.js installed?");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'npm ci' failed in {repositoryRoot} with exit code {process.ExitCode}:\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }
    }

    private static async Task<FileStream> AcquireAsync(string path, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 600)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
