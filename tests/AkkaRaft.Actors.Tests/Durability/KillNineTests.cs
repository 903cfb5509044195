using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Durability;

/// <summary>
/// Runs AkkaRaft.CrashNode (one node, one group, SQLite journal) as a child process, SIGKILLs it in the middle of a
/// load and checks that every command it acknowledged is applied after recovery.
/// </summary>
/// <remarks>
/// Why an ACK is durable: the group answers ProposeSucceeded only after the journal confirmed the write of the entry
/// (PersistAsync handler). The journal's SQLite database runs in WAL mode (set on the file by
/// SqliteDatabase.PrepareForDurability, stored in its header) with synchronous=FULL (the bundled SQLite's default, see
/// SqliteDatabase), so each commit fsyncs the -wal file before the journal confirms it. kill -9 drops only what the
/// process had in memory; the -wal file is replayed when the database is opened again.
/// </remarks>
public sealed class KillNineTests(ITestOutputHelper output)
{
    private const int AcksBeforeKill = 200;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_acknowledged_command_survives_kill_9_in_the_middle_of_a_load()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "akkaraft-tests", "kill9-" + Guid.NewGuid().ToString("N"));
        try
        {
            var acked = new HashSet<long>();
            var enoughAcks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var load = Start("load", dataDir))
            {
                var reading = ReadLines(load, line =>
                {
                    if (!line.StartsWith("ACK ", StringComparison.Ordinal)) return;
                    lock (acked)
                    {
                        acked.Add(long.Parse(line.AsSpan(4), CultureInfo.InvariantCulture));
                        if (acked.Count >= AcksBeforeKill) enoughAcks.TrySetResult();
                    }
                });
                try
                {
                    await Task.WhenAny(enoughAcks.Task, load.WaitForExitAsync()).WaitAsync(Patience);
                    if (load.HasExited)
                    {
                        Assert.Fail($"load process exited early with code {load.ExitCode}: {await load.StandardError.ReadToEndAsync()}");
                    }
                }
                finally
                {
                    load.Kill(entireProcessTree: true); // SIGKILL on Unix: no shutdown code runs
                }
                await load.WaitForExitAsync().WaitAsync(Patience);
                await reading.WaitAsync(Patience); // ACK lines already in the pipe were printed before the kill
            }
            output.WriteLine($"{acked.Count} commands acknowledged before kill -9 (highest {acked.Max()})");

            var applied = new HashSet<long>();
            var done = false;
            using (var verify = Start("verify", dataDir))
            {
                var reading = ReadLines(verify, line =>
                {
                    if (line == "DONE") done = true;
                    else if (line.StartsWith("APPLIED ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(8), CultureInfo.InvariantCulture, out var n)) applied.Add(n);
                });
                try
                {
                    await verify.WaitForExitAsync().WaitAsync(Patience);
                }
                finally
                {
                    if (!verify.HasExited) verify.Kill(entireProcessTree: true);
                }
                await reading.WaitAsync(Patience);
                if (verify.ExitCode != 0) Assert.Fail($"verify exited with {verify.ExitCode}: {await verify.StandardError.ReadToEndAsync()}");
            }

            Assert.True(done, "verify did not finish");
            var lost = acked.Where(n => !applied.Contains(n)).Order().ToList();
            Assert.True(lost.Count == 0, $"{lost.Count} acknowledged commands lost, e.g. {string.Join(", ", lost.Take(10))}");
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (DirectoryNotFoundException)
            {
            }
        }
    }

    private static Process Start(string mode, string dataDir)
    {
        var dll = typeof(KillNineTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CrashNodeDll").Value!;
        Assert.True(File.Exists(dll), $"{dll} is missing (built through the test project's reference)");
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add(mode);
        info.ArgumentList.Add(dataDir);
        return Process.Start(info) ?? throw new InvalidOperationException("could not start the crash node");
    }

    // The dotnet host running the tests (set by `dotnet test`), else the one on PATH.
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static Task ReadLines(Process process, Action<string> onLine) => Task.Run(async () =>
    {
        while (await process.StandardOutput.ReadLineAsync() is { } line) onLine(line);
    });
}
