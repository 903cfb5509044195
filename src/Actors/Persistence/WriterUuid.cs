namespace AkkaRaft.Actors.Persistence;

/// <summary>Stores a writer id (a Guid string for every Akka persistent actor) as 16 bytes instead of 36 characters.</summary>
internal static class WriterUuid
{
    public static object ToColumn(string? writer) =>
        writer is null ? DBNull.Value
        : Guid.TryParseExact(writer, "D", out var guid) && guid.ToString("D") == writer ? guid.ToByteArray()
        : writer;

    public static string? FromColumn(object value) => value switch
    {
        byte[] { Length: 16 } bytes => new Guid(bytes).ToString("D"),
        string text => text,
        _ => null,
    };
}
