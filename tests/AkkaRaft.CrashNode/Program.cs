using System.Globalization;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;

// One node, one single-replica group on SQLite, for kill -9 tests.
//   load <dataDir> [inFlight]  proposes 1, 2, 3, ... and prints "ACK <n>" once each proposal succeeded; runs until killed.
//   verify <dataDir>           recovers, prints "APPLIED <n>" for every applied command, then "DONE".
//   journal-load|journal-verify <dataDir> <ids>   the journal alone, see JournalCrash.
if (args.Length >= 3 && args[0] is ("journal-load" or "journal-verify"))
    return await JournalCrash.Run(args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture));
if (args.Length < 2 || args[0] is not ("load" or "verify"))
{
    Console.Error.WriteLine("usage: AkkaRaft.CrashNode load|verify <dataDir> [inFlight] | journal-load|journal-verify <dataDir> <ids>");
    return 2;
}
var mode = args[0];
var dataDir = args[1];
var inFlight = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
const ulong Group = 1;
const string NodeName = "crash-node";

SqliteDatabase.PrepareForDurability(SqlitePersistenceConfig.DatabasePath(dataDir, NodeName));
var config = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka-raft {
          tick-interval = 20ms
          election-ticks = 10
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
        }
        """)
    .WithFallback(SqlitePersistenceConfig.For(dataDir, NodeName))
    .WithFallback(RaftReferenceConfig.Value);
using var system = ActorSystem.Create("crash-node", config);
var node = AkkaRaftExtension.Get(system).StartNode(1);
var machine = new CommandList();
await node.CreateGroupAsync(Group, 1, new Dictionary<ulong, ulong> { [1] = 1 }, () => machine);
var stdout = Console.Out;
var stdoutGate = new object();

if (mode == "verify")
{
    // A new entry commits only after everything before it: once it is applied, the whole recovered log is.
    await ProposeUntilSucceeded(Encoding.UTF8.GetBytes("verify-marker"));
    var applied = (ReadSucceeded)await node.ReadAsync(Group, sm => ((CommandList)sm).Snapshot());
    foreach (var command in (string[])applied.Value!) stdout.WriteLine($"APPLIED {command}");
    stdout.WriteLine("DONE");
    stdout.Flush();
    return 0;
}

long next = 0;
await Task.WhenAll(Enumerable.Range(0, inFlight).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var n = Interlocked.Increment(ref next);
        await ProposeUntilSucceeded(Encoding.UTF8.GetBytes(n.ToString(CultureInfo.InvariantCulture)));
        // Printed only after ProposeSucceeded, which the group sends after the entry's journal write was confirmed.
        lock (stdoutGate)
        {
            stdout.WriteLine($"ACK {n}");
            stdout.Flush();
        }
    }
})));
return 0;

async Task ProposeUntilSucceeded(byte[] data)
{
    while (true)
    {
        try
        {
            if (await node.ProposeAsync(Group, data, TimeSpan.FromSeconds(5)) is ProposeSucceeded) return;
        }
        catch (AskTimeoutException)
        {
            // Outcome unknown: retrying may apply the command twice, which the verifier tolerates.
        }
    }
}

/// <summary>Applied commands in order.</summary>
internal sealed class CommandList : IRaftStateMachine
{
    private readonly List<string> _commands = [];

    public ulong AppliedIndex { get; private set; }

    public string[] Snapshot() => [.. _commands];

    public IReadOnlyList<object?> Apply(IReadOnlyList<CommittedCommand> batch)
    {
        var results = new object?[batch.Count];
        foreach (var command in batch)
        {
            _commands.Add(Encoding.UTF8.GetString(command.Data));
            AppliedIndex = command.Index;
        }
        return results;
    }

    public byte[] TakeSnapshot() => Encoding.UTF8.GetBytes(string.Join('\n', _commands));

    public void Restore(byte[] snapshot, ulong index)
    {
        _commands.Clear();
        var text = Encoding.UTF8.GetString(snapshot);
        if (text.Length > 0) _commands.AddRange(text.Split('\n'));
        AppliedIndex = index;
    }
}
