using AkkaRaft.Core.Regions;

namespace AkkaRaft.Core.Kv;

/// <summary>
/// The front of an encoded <see cref="KvCommand"/>: what a store checks on arrival (region, epoch, read or write)
/// without decoding the command; see <see cref="KvCommandCodec.ReadHeader"/>.
/// </summary>
/// <param name="IsWrite">True for a <see cref="KvWriteCommand"/> (proposed through the log), false for a read.</param>
/// <param name="RegionId">The region the router chose.</param>
/// <param name="Epoch">The region's epoch as the router knew it.</param>
/// <param name="StampOffset">Byte offset of a write's time stamp (NowMs); 0 for reads.</param>
/// <param name="StampLength">Byte length of that stamp; 0 for reads.</param>
internal readonly record struct KvCommandHeader(bool IsWrite, ulong RegionId, RegionEpoch Epoch, int StampOffset, int StampLength);
