using System.Text;
using AkkaRaft.Core.Raft;

// Until the actor runtime lands, the host runs an honest in-process demo of the core:
// three replicas elect a leader, replicate a few commands, and every replica applies them.
var group = new LocalGroup(3);
var applied = new Dictionary<ulong, List<string>>();
group.Applied += (replica, entry) =>
{
    if (entry.Type != EntryType.Normal || entry.Data.Length == 0) return;
    if (!applied.TryGetValue(replica, out var list)) applied[replica] = list = [];
    list.Add(Encoding.UTF8.GetString(entry.Data));
};

var ticks = group.TickUntilLeader();
var leader = group.Leader ?? throw new InvalidOperationException("no leader elected");
Console.WriteLine($"leader: replica {leader.Id} (term {leader.Term}) after {ticks} ticks");
foreach (var command in new[] { "SET a 1", "SET b 2", "INCR a" })
{
    var result = leader.Propose(Encoding.UTF8.GetBytes(command));
    Console.WriteLine($"propose \"{command}\": {result}");
}
group.RunUntilQuiet();
group.Tick(); // a heartbeat carries the new commit index to the followers
foreach (var (replica, commands) in applied.OrderBy(kv => kv.Key))
{
    Console.WriteLine($"replica {replica} applied: {string.Join(", ", commands)} (commit {group.Replicas[replica].Committed})");
}
