namespace AkkaRaft.Core.Tests.Kv.Redis;

/// <summary>
/// The transcripts under testdata/ were recorded from redis-server 7.0 (a command, then <c>-&gt; reply</c>); the state
/// machine must answer every command exactly as Redis did, errors included. A line starting with <c>~</c> compares an
/// unordered array sorted.
/// </summary>
public class RedisTranscriptTests
{
    [Theory]
    [InlineData("hash.txt")]
    [InlineData("list.txt")]
    [InlineData("set.txt")]
    [InlineData("zset.txt")]
    [InlineData("keys.txt")]
    [InlineData("more.txt")]
    [InlineData("order.txt")]
    [InlineData("intset.txt")]
    public void State_machine_answers_every_command_of_the_transcript_as_redis_server_did(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Kv", "Redis", "testdata", file));
        var transcript = new RedisTranscript();
        var mismatches = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith("-> ", StringComparison.Ordinal)) continue;
            var sorted = line.StartsWith('~');
            var command = sorted ? line[1..] : line;
            var expected = lines[i + 1]["-> ".Length..];
            var actual = RedisTranscript.Render(transcript.Run(command), sorted);
            if (actual != expected) mismatches.Add($"{file}:{i + 1} {command}\n   redis: {expected}\n   ours:  {actual}");
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }
}
