using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StandardWebhooks;

namespace CreditFunctions.Tests.Events;

/// <summary>
/// <c>demo/receiver.mjs</c>, the README's way to watch events arrive: it verifies signatures with the <c>standardwebhooks</c>
/// npm package, prints each event, refuses what does not verify; beside the demo it shows credits.low and credits.reset.
/// </summary>
public sealed class ReceiverScriptTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A node script running beside the test, its output gathered as it comes.</summary>
    private sealed class NodeScript : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly StringBuilder _errors = new();

        private NodeScript(Process process)
        {
            _process = process;
            process.OutputDataReceived += (_, e) => { lock (_output) { _output.AppendLine(e.Data); } };
            process.ErrorDataReceived += (_, e) => { lock (_errors) { _errors.AppendLine(e.Data); } };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public string Output { get { lock (_output) { return _output.ToString(); } } }

        public string Errors { get { lock (_errors) { return _errors.ToString(); } } }

        public static NodeScript Start(string script, params string[] arguments)
        {
            AzuriteProcess.EnsureNodePackagesAsync(AzuriteFixture.RepositoryRoot).GetAwaiter().GetResult();
            var start = new ProcessStartInfo("node") { WorkingDirectory = AzuriteFixture.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine("demo", script));
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            return new NodeScript(Process.Start(start)!);
        }

        public async Task WaitForAsync(string text, TimeSpan within)
        {
            var until = DateTime.UtcNow + within;
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                Assert.True(DateTime.UtcNow < until && !_process.HasExited, $"'{text}' never appeared. Output: {Output} Errors: {Errors}");
                await Task.Delay(50);
            }
        }

        public async Task<int> ExitAsync(TimeSpan within)
        {
            await _process.WaitForExitAsync().WaitAsync(within);
            _process.WaitForExit(); // the output's last lines
            return _process.ExitCode;
        }

        public ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task BesideTheDemo_TheReceiverPrintsLowResetAndRecovered_EachVerified()
    {
        var port = FreePort();
        await using var receiver = NodeScript.Start("receiver.mjs", "--secret", EventReceiver.Secret, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--until", "credits.low,credits.reset,credits.recovered", "--timeout-seconds", "150");
        await receiver.WaitForAsync("Listening on", TimeSpan.FromSeconds(20));
        await using var app = await AppHost.StartAsync(DateTimeOffset.UtcNow, new Dictionary<string, string?>
        {
            ["Events:WebhookUrl"] = $"http://127.0.0.1:{port}/events",
            ["Events:WebhookSecret"] = EventReceiver.Secret,
            ["Events:Queue"] = "ev-" + Guid.NewGuid().ToString("N")[..20],
            ["Events:AnnounceDelay"] = "00:00:00.2",
        });
        await using var server = await LocalFunctionsServer.StartAsync(app);
        using var stop = new CancellationTokenSource();
        var pump = QueuePump.RunAsync(app, stop.Token);

        await using var demo = NodeScript.Start("demo.mjs", "--base", server.BaseAddress, "--secret", StripeSigning.Secret, "--wait-seconds", "5");
        var demoExit = await demo.ExitAsync(TimeSpan.FromMinutes(2));
        var receiverExit = await receiver.ExitAsync(TimeSpan.FromMinutes(2));
        await stop.CancelAsync();
        await pump;

        Assert.True(demoExit == 0, $"the demo failed: {demo.Errors}\n{demo.Output}");
        Assert.Contains("Events are on: the receiver", demo.Output, StringComparison.Ordinal);
        Assert.True(receiverExit == 0, $"the receiver did not get them: {receiver.Errors}\n{receiver.Output}");
        var lines = receiver.Output.Split('\n').Where(l => l.StartsWith('#')).ToList();
        Assert.Equal(["credits.reset", "credits.low", "credits.reset", "credits.recovered"], lines.Select(l => l.Split(' ')[1]));
        Assert.Contains("below the threshold of 800 (was normal); available 700", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("refused", receiver.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeliveryThatDoesNotVerify_IsRefusedWith400_AndAGoodOneTakenWith204()
    {
        var port = FreePort();
        await using var receiver = NodeScript.Start("receiver.mjs", "--secret", EventReceiver.Secret, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await receiver.WaitForAsync("Listening on", TimeSpan.FromSeconds(20));
        var body = """{"id":"ce_cus_1Rx_1","type":"credits.low","customerId":"cus_1Rx","sequence":1,"ledgerSequence":3,"occurredAt":"2026-12-04T10:00:00+00:00","available":40,"data":{"threshold":100,"previousLevel":"normal"}}""";
        var now = DateTimeOffset.UtcNow;
        var signature = new StandardWebhook(EventReceiver.Secret).Sign("ce_cus_1Rx_1", now, body);
        using var http = new HttpClient();
        async Task<HttpStatusCode> PostAsync(string sent)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{port}/events") { Content = new StringContent(sent, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", "ce_cus_1Rx_1");
            request.Headers.Add("webhook-timestamp", now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", signature);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        var tampered = await PostAsync(body.Replace("\"available\":40", "\"available\":4000", StringComparison.Ordinal));
        var good = await PostAsync(body);
        var again = await PostAsync(body);
        await receiver.WaitForAsync("redelivered #1", TimeSpan.FromSeconds(10));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.NoContent, HttpStatusCode.NoContent), (tampered, good, again));
        Assert.Contains("refused a delivery (ce_cus_1Rx_1): No matching signature found", receiver.Output, StringComparison.Ordinal);
        Assert.Contains("#1 credits.low cus_1Rx: below the threshold of 100 (was normal); available 40", receiver.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "0")]
    [InlineData("--secret", "whsec_short")]
    [InlineData("--settings", "/nonexistent/local.settings.json")]
    [InlineData("--bogus")]
    public async Task BadArguments_AreRefusedWithTheReason(params string[] arguments)
    {
        await using var receiver = NodeScript.Start("receiver.mjs", arguments);

        Assert.Equal(1, await receiver.ExitAsync(TimeSpan.FromSeconds(30)));
        Assert.StartsWith("receiver failed: ", receiver.Errors.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NewSecret_IsOneTheAppTakes()
    {
        await using var receiver = NodeScript.Start("receiver.mjs", "--new-secret");
        Assert.Equal(0, await receiver.ExitAsync(TimeSpan.FromSeconds(30)));
        var secret = receiver.Output.Trim();

        var options = new CreditFunctions.Events.EventsOptions { WebhookUrl = new Uri("http://127.0.0.1:7072/events"), WebhookSecret = secret };

        Assert.Empty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
        _ = new StandardWebhook(secret);
    }
}
