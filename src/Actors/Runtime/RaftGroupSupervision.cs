using Akka.Actor;
using Akka.Pattern;
using AkkaRaft.Actors.Settings;

namespace AkkaRaft.Actors.Runtime;

/// <summary>A group replica under a backoff supervisor: a journal failure stops it, and it comes back from the journal.</summary>
internal static class RaftGroupSupervision
{
    /// <summary>Props of the supervisor wrapping one group actor.</summary>
    public static Props Props(ulong nodeId, CreateGroup spec, Settings.RaftSettings settings, IActorRef coordinator) =>
        BackoffSupervisor.Props(
            Backoff.OnStop(
                RaftGroupActor.Props(nodeId, spec, settings, coordinator),
                childName: "replica",
                minBackoff: TimeSpan.FromMilliseconds(200),
                maxBackoff: TimeSpan.FromSeconds(10),
                randomFactor: 0.2,
                maxNrOfRetries: -1)
            .WithDefaultStoppingStrategy());
}
