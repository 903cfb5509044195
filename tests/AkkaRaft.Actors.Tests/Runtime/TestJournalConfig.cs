using Akka.Configuration;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Tests.Runtime;

/// <summary>Config of a single-node test system whose Raft groups journal to Akka.Persistence.TestKit's in-memory journal.</summary>
internal static class TestJournalConfig
{
    public const string JournalId = "akka.persistence.journal.test";

    // Akka.Persistence.TestKit's journal and snapshot store (in memory, with failure injection) under the Raft groups.
    public static Config Value => ConfigurationFactory.ParseString($$"""
        akka.loglevel = WARNING
        akka.persistence {
          journal.plugin = "{{JournalId}}"
          journal.test {
            class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
          snapshot-store.plugin = "akka.persistence.snapshot-store.test"
          snapshot-store.test {
            class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
            plugin-dispatcher = "akka.actor.default-dispatcher"
          }
        }
        akka-raft {
          tick-interval = 50ms
          election-ticks = 10
          heartbeat-ticks = 2
          hibernate-after-ticks = 0
          journal-plugin-id = "{{JournalId}}"
          snapshot-plugin-id = "akka.persistence.snapshot-store.test"
        }
        """).WithFallback(RaftReferenceConfig.Value);
}
