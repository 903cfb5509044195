using Akka.Configuration;
using AkkaRaft.Actors.Runtime;
using AkkaRaft.Actors.Settings;
using AkkaRaft.Core.Raft;
using Xunit;
using Xunit.Abstractions;

namespace AkkaRaft.Actors.Tests.Runtime;

public sealed class UnknownGroupTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(RaftReferenceConfig.Value), nameof(UnknownGroupTests), output)
{
    private static RaftBatch HeartbeatFor(ulong groupId) =>
        new(FromNode: 2, [new GroupMessage(groupId, new Message { Type = MessageType.Heartbeat, From = 2, To = 1, Term = 3 })]);

    [Fact]
    public async Task Every_message_for_an_unknown_group_gets_a_reply_and_each_group_id_is_logged_once()
    {
        var coordinator = AkkaRaftExtension.Get(Sys).StartNode(1).Coordinator;

        await EventFilter.Warning(contains: "for a group this node does not host").ExpectAsync(2, async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                coordinator.Tell(HeartbeatFor(999), TestActor);
                Assert.Equal(new UnknownGroupReply(FromNode: 1, GroupId: 999, ToPeer: 1), await ExpectMsgAsync<UnknownGroupReply>());
            }
            coordinator.Tell(HeartbeatFor(998), TestActor);
            Assert.Equal(998UL, (await ExpectMsgAsync<UnknownGroupReply>()).GroupId);
            coordinator.Tell(HeartbeatFor(998), TestActor);
            Assert.Equal(998UL, (await ExpectMsgAsync<UnknownGroupReply>()).GroupId);
        });
    }
}
