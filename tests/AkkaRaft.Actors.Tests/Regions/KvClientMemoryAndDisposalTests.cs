using AkkaRaft.Actors.Kv;
using Xunit;
using Xunit.Abstractions;
using static AkkaRaft.Actors.Tests.Regions.KvCluster;

namespace AkkaRaft.Actors.Tests.Regions;

public sealed class KvClientMemoryAndDisposalTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    [Fact]
    public async Task Memory_overloads_write_and_read_the_same_keys_as_arrays_and_a_disposed_router_refuses_requests()
    {
        await using var cluster = await StartAsync();
        IKvClient client = cluster.Node(1).NewClient();
        var buffer = "xxkey-mem:value-memxx"u8.ToArray();
        var key = buffer.AsMemory(2, 7);
        var value = buffer.AsMemory(10, 9);

        AssertOk(await client.SetAsync(key, value));
        Assert.Equal("value-mem", ValueOf(await client.GetAsync(K("key-mem"))));
        Assert.Equal("value-mem", ValueOf(await client.GetAsync(key)));

        await client.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetAsync(K("key-mem")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.SetAsync(K("key-mem"), K("other")));
        // The node's own router is another client and keeps working.
        Assert.Equal("value-mem", ValueOf(await cluster.Node(1).Client.GetAsync(K("key-mem"))));
    }
}
