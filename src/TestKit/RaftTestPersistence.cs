namespace AkkaRaft.TestKit;

/// <summary>Where the nodes of a <see cref="LoopbackCluster"/> keep their Raft journals and snapshots.</summary>
public enum RaftTestPersistence
{
    /// <summary>
    /// AkkaRaft's SQLite journal, one database file per node under <see cref="LoopbackCluster.RootDir"/>: a crashed node
    /// restarts on its data (<see cref="LoopbackCluster.RestartAsync"/>). The default, and what production runs.
    /// </summary>
    Sqlite,

    /// <summary>
    /// Akka.Persistence's in-memory journal and snapshot store: no files, faster start-up, but a crashed node's data is gone,
    /// so it cannot be restarted (a Raft peer that forgot its votes could break safety).
    /// </summary>
    InMemory,
}
