using System.Collections.Immutable;
using System.Text;
using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Tests;

/// <summary>Short builders for keys and regions in tests.</summary>
internal static class Keys
{
    public static byte[] K(string text) => Encoding.UTF8.GetBytes(text);

    public static string S(byte[]? bytes) => bytes is null ? "<nil>" : Encoding.UTF8.GetString(bytes);

    public static ImmutableArray<RegionPeer> ThreePeers(ulong regionId) =>
        [new(1, regionId * 10 + 1, PeerRole.Voter), new(2, regionId * 10 + 2, PeerRole.Voter), new(3, regionId * 10 + 3, PeerRole.Voter)];

    public static Region R(ulong id, string start, string end, ulong confVersion = 1, ulong version = 1) =>
        new(id, K(start), K(end), new RegionEpoch(confVersion, version), ThreePeers(id));
}
