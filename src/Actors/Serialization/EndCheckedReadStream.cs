namespace AkkaRaft.Actors.Serialization;

/// <summary>Read-only stream over a byte array that throws <see cref="EndOfStreamException"/> instead of returning 0 at the end.</summary>
/// <remarks>
/// Hyperion trusts counts read from the payload and does not always check how many bytes a read
/// returned; on a MemoryStream a forged element count then spins over an exhausted stream. Failing
/// the first read past the end turns such garbage into an error at once.
/// </remarks>
internal sealed class EndCheckedReadStream(byte[] buffer) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => buffer.Length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] destination, int offset, int count) => Read(destination.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (destination.Length == 0)
            return 0;
        var available = buffer.Length - _position;
        if (available <= 0)
            throw new EndOfStreamException($"Payload ended after {buffer.Length} bytes but the reader asked for {destination.Length} more.");
        var count = Math.Min(available, destination.Length);
        buffer.AsSpan(_position, count).CopyTo(destination);
        _position += count;
        return count;
    }

    public override int ReadByte()
    {
        if (_position >= buffer.Length)
            throw new EndOfStreamException($"Payload ended after {buffer.Length} bytes.");
        return buffer[_position++];
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] source, int offset, int count) => throw new NotSupportedException();
}
