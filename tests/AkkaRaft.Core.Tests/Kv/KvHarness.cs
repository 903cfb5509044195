using System.Collections.Immutable;
using AkkaRaft.Core.Kv;
using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Kv;

/// <summary>A state machine for region 1 ["", "m") v1/1 fed through the real codec at increasing Raft indexes.</summary>
internal sealed class KvHarness
{
    public static readonly RegionEpoch Epoch = new(1, 1);

    public KvHarness(Region? region = null) => Machine = new KvStateMachine(region ?? R(1, "", "m"));

    public KvStateMachine Machine { get; }

    public ulong NextIndex { get; set; } = 1;

    public KvResult Apply(KvWriteCommand command) =>
        (KvResult)Machine.Apply([new CommittedCommand(NextIndex++, 1, KvCommandCodec.Encode(command))])[0]!;

    public KvResult Set(string key, string value, long now = 1_000, long? expireAt = null, SetCondition condition = SetCondition.None, bool getOld = false, long? expireAfter = null) =>
        Apply(new SetCommand(1, Epoch, now, K(key), K(value), expireAt, condition, getOld, expireAfter));

    public KvResult Get(string key, long now = 1_000) => Machine.Read(new GetCommand(1, Epoch, K(key)), now);

    public KvResult Exists(long now, params string[] keys) => Machine.Read(new ExistsCommand(1, Epoch, [.. keys.Select(K)]), now);

    public KvResult Delete(long now, params string[] keys) => Apply(new DeleteCommand(1, Epoch, now, [.. keys.Select(K)]));

    public KvResult IncrBy(string key, long delta, long now = 1_000) => Apply(new IncrByCommand(1, Epoch, now, K(key), delta));

    public KvResult MSet(long now, params (string Key, string Value)[] pairs) =>
        Apply(new MSetCommand(1, Epoch, now, [.. pairs.Select(p => new KeyValue(K(p.Key), K(p.Value)))]));

    public static KvResult.ValueResult Value(string? text) => new(text is null ? null : K(text));

    public static KvResult.IntegerResult Integer(long value) => new(value);

    public static ImmutableArray<byte[]> KeyList(params string[] keys) => [.. keys.Select(K)];
}
