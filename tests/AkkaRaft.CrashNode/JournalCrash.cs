using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using AkkaRaft.Actors.Persistence;
using AkkaRaft.Actors.Settings;

/// <summary>
/// The journal alone under kill -9: many persistence ids, each writing atomic triples ("n.0", "n.1", "n.2" in one
/// PersistAll) back to back, so the single writer is always in the middle of a transaction holding many ids.
///   journal-load &lt;dataDir&gt; &lt;ids&gt;    prints "ACK &lt;id&gt; &lt;n&gt;" once triple n of id is durable; runs until killed.
///   journal-verify &lt;dataDir&gt; &lt;ids&gt;  recovers every id, prints "RECOVERED &lt;id&gt; &lt;events&gt; ok|bad &lt;why&gt;", then "DONE".
/// </summary>
internal static class JournalCrash
{
    private const string NodeName = "crash-journal";

    public static async Task<int> Run(string mode, string dataDir, int ids)
    {
        var config = ConfigurationFactory.ParseString("akka.loglevel = WARNING")
            .WithFallback(SqlitePersistenceConfig.For(dataDir, NodeName))
            .WithFallback(RaftReferenceConfig.Value);
        using var system = ActorSystem.Create("crash-journal", config);
        var stdout = Console.Out;
        var gate = new object();
        var writers = Enumerable.Range(0, ids).Select(i => system.ActorOf(Props.Create(() => new TripleWriter(i, stdout, gate)))).ToList();
        if (mode == "journal-load")
        {
            foreach (var writer in writers) writer.Tell(TripleWriter.Next.Instance);
            await system.WhenTerminated; // until killed
            return 0;
        }

        var recovered = await Task.WhenAll(writers.Select(w => w.Ask<List<string>>(TripleWriter.Report.Instance, TimeSpan.FromSeconds(60))));
        for (var i = 0; i < ids; i++) stdout.WriteLine($"RECOVERED {i} {recovered[i].Count} {Check(recovered[i])}");
        stdout.WriteLine("DONE");
        stdout.Flush();
        await system.Terminate();
        return 0;
    }

    // Complete triples in order, nothing missing in between, nothing half-written.
    private static string Check(List<string> events)
    {
        if (events.Count % 3 != 0) return $"bad {events.Count} events is not whole triples";
        for (var k = 0; k < events.Count; k++)
        {
            if (events[k] != $"{k / 3}.{k % 3}") return $"bad event {k} is '{events[k]}'";
        }
        return "ok";
    }

    private sealed class TripleWriter : ReceivePersistentActor
    {
        private readonly List<string> _events = [];
        private readonly int _id;

        public TripleWriter(int id, TextWriter stdout, object gate)
        {
            _id = id;
            Recover<string>(e => _events.Add(e));
            Command<Next>(_ =>
            {
                var n = _events.Count / 3;
                PersistAll(new[] { $"{n}.0", $"{n}.1", $"{n}.2" }, e =>
                {
                    _events.Add(e);
                    if (!e.EndsWith(".2", StringComparison.Ordinal)) return;
                    // Printed only after the whole triple is durable (PersistAll handlers run after the write).
                    lock (gate)
                    {
                        stdout.WriteLine($"ACK {_id} {n}");
                        stdout.Flush();
                    }
                    Self.Tell(Next.Instance);
                });
            });
            Command<Report>(_ => Sender.Tell(new List<string>(_events)));
        }

        public override string PersistenceId => $"crash-journal-{_id}";

        public sealed class Next
        {
            public static readonly Next Instance = new();
        }

        public sealed class Report
        {
            public static readonly Report Instance = new();
        }
    }
}
