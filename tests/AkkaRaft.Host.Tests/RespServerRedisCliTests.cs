using System.Diagnostics;
using System.Text;

namespace AkkaRaft.Host.Tests;

/// <summary>The real redis-cli and redis-benchmark (Debian redis-tools; test.sh installs them) against the endpoint.</summary>
public sealed class RespServerRedisCliTests : IClassFixture<SharedRespServer>
{
    private readonly RespTestServer server;

    public RespServerRedisCliTests(SharedRespServer shared) => server = shared.Server;

    [Fact]
    public async Task RedisCliPingAnswersPong()
    {
        var result = await RunAsync("redis-cli", ["-p", Port, "ping"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("PONG", result.Output.Trim());
    }

    [Fact]
    public async Task RedisCliSetThenGetReturnsTheValue()
    {
        var set = await RunAsync("redis-cli", ["-p", Port, "set", "cli:greeting", "hello from redis-cli"]);
        var get = await RunAsync("redis-cli", ["-p", Port, "get", "cli:greeting"]);
        var missing = await RunAsync("redis-cli", ["-p", Port, "get", "cli:missing"]);

        Assert.Equal("OK", set.Output.Trim());
        Assert.Equal("hello from redis-cli", get.Output.Trim());
        Assert.Equal("", missing.Output.Trim()); // nil prints as an empty line when not on a terminal
    }

    [Fact]
    public async Task RedisCliWithResp3AndInfoWork()
    {
        var hello = await RunAsync("redis-cli", ["-3", "-p", Port, "hello"]);
        var info = await RunAsync("redis-cli", ["-p", Port, "info", "regions"]);

        Assert.Contains("akkaraft", hello.Output);
        Assert.Contains("region_count:2", info.Output);
    }

    [Fact]
    public async Task RedisCliPipeMassInsertStoresEveryKey()
    {
        var input = new StringBuilder();
        for (var i = 0; i < 5000; i++) input.Append(RawRespConnection.Encode("SET", $"pipe:{i}", $"value-{i}"));

        var result = await RunAsync("redis-cli", ["-p", Port, "--pipe"], input.ToString());

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("errors: 0, replies: 5000", result.Output);
        Assert.Equal("value-0", server.Store.Peek("pipe:0"));
        Assert.Equal("value-4999", server.Store.Peek("pipe:4999"));
    }

    [Fact]
    public async Task RedisBenchmarkSetAndGetRunToCompletion()
    {
        var result = await RunAsync("redis-benchmark", ["-p", Port, "-t", "set,get", "-n", "2000", "-q"]);

        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"SET: [\d.]+ requests per second", result.Output);
        Assert.Matches(@"GET: [\d.]+ requests per second", result.Output);
        Assert.DoesNotContain("ERR", result.Output + result.Error);
    }

    private string Port => server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, string[] arguments, string? input = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start (is redis-tools installed? test.sh installs it)");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        if (input != null) await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token);
        process.StandardInput.Close();
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within 60 s");
        }

        return (process.ExitCode, await output, await error);
    }
}
