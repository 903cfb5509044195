using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Durability;

/// <summary>
/// Runs AkkaRaft.CrashNode (one node, one group, SQLite journal; or the journal alone under many persistence ids) as a
/// child process, SIGKILLs it in the middle of a load and checks that everything it acknowledged comes back.
/// </summary>
/// <remarks>
/// Why an ACK is durable: the group answers ProposeSucceeded only after the journal confirmed the write of the entry
/// (PersistAsync handler). The journal's SQLite database runs in WAL mode (set on the file by
/// the journal, stored in its header) with synchronous=FULL (set by the journal's writer), so each commit fsyncs the
/// -wal file before the journal confirms it. kill -9 drops only what the
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

    [Fact]
    public async Task Every_acknowledged_journal_write_of_many_persistence_ids_survives_kill_9_mid_batch_and_none_is_half_written()
    {
        const int Ids = 64;
        const int AcksBeforeJournalKill = 600;
        var dataDir = Path.Combine(Path.GetTempPath(), "akkaraft-tests", "kill9-journal-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Highest acknowledged triple per id. 64 ids writing back to back keep the single writer mid-transaction.
            var acked = new Dictionary<int, long>();
            var ackCount = 0;
            var enoughAcks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var load = Start("journal-load", dataDir, Ids.ToString(CultureInfo.InvariantCulture)))
            {
                var reading = ReadLines(load, line =>
                {
                    var parts = line.Split(' ');
                    if (parts is not ["ACK", var id, var n]) return;
                    lock (acked)
                    {
                        acked[int.Parse(id, CultureInfo.InvariantCulture)] = long.Parse(n, CultureInfo.InvariantCulture);
                        if (++ackCount >= AcksBeforeJournalKill) enoughAcks.TrySetResult();
                    }
                });
                try
                {
                    await Task.WhenAny(enoughAcks.Task, load.WaitForExitAsync()).WaitAsync(Patience);
                    if (load.HasExited) Assert.Fail($"load process exited early with code {load.ExitCode}: {await load.StandardError.ReadToEndAsync()}");
                }
                finally
                {
                    load.Kill(entireProcessTree: true); // SIGKILL: the writer dies inside whatever transaction it had open
                }
                await load.WaitForExitAsync().WaitAsync(Patience);
                await reading.WaitAsync(Patience);
            }
            output.WriteLine($"{ackCount} triples acknowledged over {acked.Count} ids before kill -9");

            var recovered = new Dictionary<int, (long Events, string Check)>();
            var done = false;
            using (var verify = Start("journal-verify", dataDir, Ids.ToString(CultureInfo.InvariantCulture)))
            {
                var reading = ReadLines(verify, line =>
                {
                    if (line == "DONE") done = true;
                    var parts = line.Split(' ', 4);
                    if (parts is ["RECOVERED", var id, var events, var check])
                        recovered[int.Parse(id, CultureInfo.InvariantCulture)] = (long.Parse(events, CultureInfo.InvariantCulture), check);
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
            Assert.Equal(Ids, recovered.Count);
            // Whole triples in order (an atomic write is never half there) ...
            Assert.All(recovered, r => Assert.True(r.Value.Check == "ok", $"id {r.Key}: {r.Value.Check}"));
            // ... and every acknowledged triple among them.
            Assert.All(acked, a => Assert.True(recovered[a.Key].Events >= 3 * (a.Value + 1),
                $"id {a.Key}: triple {a.Value} was acknowledged but only {recovered[a.Key].Events} events came back"));
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

    private static Process Start(string mode, string dataDir, params string[] extra)
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
        foreach (var arg in extra) info.ArgumentList.Add(arg);
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
