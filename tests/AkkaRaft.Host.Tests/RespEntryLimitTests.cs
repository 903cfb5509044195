namespace AkkaRaft.Host.Tests;

/// <summary>A value larger than akka-raft.max-entry-bytes is refused by the router before it travels to a leader.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class RespEntryLimitTests(EmbeddedHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    [Theory]
    [InlineData(600 * 1024)] // over the 512 KiB entry limit
    [InlineData(5 * 1024 * 1024)] // over remoting's 4 MiB frame too: before, it was dropped on the way and ended as a timeout
    public async Task AValueOverTheEntryLimitGetsAnImmediateErrorAndTheConnectionGoesOn(int size)
    {
        await using var connection = await RawRespConnection.ConnectAsync(host.RespPort);
        var key = "entry-limit:" + size;

        var reply = await connection.CommandAsync("SET", key, new string('v', size));

        Assert.StartsWith("-ERR", reply);
        Assert.Contains("exceeds akka-raft.max-entry-bytes", reply);
        Assert.Equal("(nil)", await connection.CommandAsync("GET", key));
        Assert.Equal("+OK", await connection.CommandAsync("SET", key, "small"));
    }
}
