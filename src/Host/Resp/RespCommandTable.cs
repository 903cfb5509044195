namespace AkkaRaft.Host.Resp;

/// <summary>The commands this server executes; the order matches <see cref="RespCommandTable.All"/>.</summary>
internal enum RespCommandKind
{
    Unknown = -1,
    Ping, Echo, Hello, Auth, Select, Quit, Client, Set, Get, Del, Exists, Mget, Mset, Incr, Incrby, Decr, Decrby, Dbsize, Info, Command, Config, Unlink, Setnx, Setex, Psetex,
    Scan, Keys, Randomkey, Flushdb, Flushall,
}

/// <summary>What COMMAND reports about one command: Redis-style arity (negative = at least) and key positions.</summary>
internal sealed record RespCommandInfo(string Name, int Arity, string[] Flags, int FirstKey, int LastKey, int Step, string Group, string Summary);

/// <summary>The commands this server understands, for arity checks and for COMMAND / COMMAND DOCS.</summary>
internal static class RespCommandTable
{
    private static readonly string[] ReadFast = ["readonly", "fast"];
    private static readonly string[] Write = ["write", "denyoom"];
    private static readonly string[] WriteFast = ["write", "denyoom", "fast"];
    private static readonly string[] Connection = ["noscript", "loading", "stale", "fast"];
    private static readonly string[] NoAuth = ["noscript", "loading", "stale", "fast", "no-auth"];
    private static readonly string[] Admin = ["admin", "noscript", "loading", "stale"];

    /// <summary>All commands, in the order COMMAND lists them: those of <see cref="RespCommandKind"/>, then the typed keyspace.</summary>
    public static IReadOnlyList<RespCommandInfo> All { get; } =
    [
        .. Builtin,
        // Hashes, lists, sets, sorted sets, expiry, more strings: executed through RespSession.Types.
        .. AkkaRaft.Core.Kv.Redis.RedisCommandTable.All.Select(c =>
            new RespCommandInfo(c.Name, c.Arity, c.IsWrite ? Write : ["readonly"], c.FirstKey, c.LastKey, c.Step, c.Group, c.Summary)),
        // Transactions: executed through RespSession.Transactions.
        new("multi", 1, ["noscript", "loading", "stale", "fast"], 0, 0, 0, "transactions", "Starts a transaction (its keys must lie in one region)."),
        new("exec", 1, ["noscript", "loading", "stale"], 0, 0, 0, "transactions", "Applies the queued commands as one Raft entry, or nil when a watched key changed."),
        new("discard", 1, ["noscript", "loading", "stale", "fast"], 0, 0, 0, "transactions", "Discards the queued commands."),
        new("watch", -2, ["noscript", "loading", "stale", "fast"], 1, -1, 1, "transactions", "Watches keys: EXEC aborts if one changes first."),
        new("unwatch", 1, ["noscript", "loading", "stale", "fast"], 0, 0, 0, "transactions", "Forgets the watched keys."),
    ];

    /// <summary>The commands of <see cref="RespCommandKind"/>, in its order.</summary>
    private static RespCommandInfo[] Builtin =>
    [
        new("ping", -1, Connection, 0, 0, 0, "connection", "Returns the server's liveliness response."),
        new("echo", 2, Connection, 0, 0, 0, "connection", "Returns the given string."),
        new("hello", -1, NoAuth, 0, 0, 0, "connection", "Handshakes with the server: protocol version, authentication, client name."),
        new("auth", -2, NoAuth, 0, 0, 0, "connection", "Authenticates the connection."),
        new("select", 2, Connection, 0, 0, 0, "connection", "Selects the database (only 0 exists)."),
        new("quit", -1, NoAuth, 0, 0, 0, "connection", "Closes the connection."),
        new("client", -2, Connection, 0, 0, 0, "connection", "Client connection attributes (SETNAME, SETINFO, GETNAME, ID, INFO)."),
        new("set", -3, Write, 1, 1, 1, "string", "Sets a key's value, with optional expiry (EX/PX), condition (NX/XX) and GET."),
        new("get", 2, ReadFast, 1, 1, 1, "string", "Returns a key's value (linearizable read)."),
        new("del", -2, ["write"], 1, -1, 1, "keyspace", "Deletes keys; returns how many existed."),
        new("exists", -2, ReadFast, 1, -1, 1, "keyspace", "Counts how many of the keys exist."),
        new("mget", -2, ReadFast, 1, -1, 1, "string", "Returns the values of several keys."),
        new("mset", -3, Write, 1, -1, 2, "string", "Sets several keys; atomic per region, not across regions."),
        new("incr", 2, WriteFast, 1, 1, 1, "string", "Increments an integer value by one."),
        new("incrby", 3, WriteFast, 1, 1, 1, "string", "Increments an integer value by a number."),
        new("decr", 2, WriteFast, 1, 1, 1, "string", "Decrements an integer value by one."),
        new("decrby", 3, WriteFast, 1, 1, 1, "string", "Decrements an integer value by a number."),
        new("dbsize", 1, ReadFast, 0, 0, 0, "server", "Returns the number of keys over all regions."),
        new("info", -1, ["loading", "stale"], 0, 0, 0, "server", "Server, clients, keyspace and regions information."),
        new("command", -1, ["loading", "stale"], 0, 0, 0, "server", "Describes the commands of this server."),
        new("config", -2, Admin, 0, 0, 0, "server", "CONFIG GET answers with harmless fixed values."),
        new("unlink", -2, ["write", "fast"], 1, -1, 1, "keyspace", "Same as DEL here (removal is never deferred)."),
        new("setnx", 3, WriteFast, 1, 1, 1, "string", "Sets a key only when it does not exist; 1 if set, else 0."),
        new("setex", 4, Write, 1, 1, 1, "string", "Sets a key with an expiry in seconds."),
        new("psetex", 4, Write, 1, 1, 1, "string", "Sets a key with an expiry in milliseconds."),
        new("scan", -2, ["readonly"], 0, 0, 0, "keyspace", "Pages through the keys of all regions in key order; the cursor stands for a key position, valid across splits."),
        new("keys", 2, ["readonly"], 0, 0, 0, "keyspace", "Returns the keys matching a pattern, over all regions (at most 1000000)."),
        new("randomkey", 1, ["readonly"], 0, 0, 0, "keyspace", "Returns a random key."),
        new("flushdb", -1, ["write"], 0, 0, 0, "server", "Removes every key, region by region through Raft; refused unless akka-raft.host.allow-flush is on."),
        new("flushall", -1, ["write"], 0, 0, 0, "server", "Same as FLUSHDB (there is one database)."),
    ];

    /// <summary>Recognizes a command name (ASCII, any case) without allocating.</summary>
    public static RespCommandKind Recognize(ReadOnlySpan<byte> name)
    {
        if (name.Length is 0 or > 9) return RespCommandKind.Unknown;
        Span<char> upper = stackalloc char[9];
        for (var i = 0; i < name.Length; i++)
        {
            var b = name[i];
            upper[i] = (char)(b is >= (byte)'a' and <= (byte)'z' ? b - 32 : b);
        }

        return upper[..name.Length] switch
        {
            "PING" => RespCommandKind.Ping,
            "ECHO" => RespCommandKind.Echo,
            "HELLO" => RespCommandKind.Hello,
            "AUTH" => RespCommandKind.Auth,
            "SELECT" => RespCommandKind.Select,
            "QUIT" => RespCommandKind.Quit,
            "CLIENT" => RespCommandKind.Client,
            "SET" => RespCommandKind.Set,
            "GET" => RespCommandKind.Get,
            "DEL" => RespCommandKind.Del,
            "EXISTS" => RespCommandKind.Exists,
            "MGET" => RespCommandKind.Mget,
            "MSET" => RespCommandKind.Mset,
            "INCR" => RespCommandKind.Incr,
            "INCRBY" => RespCommandKind.Incrby,
            "DECR" => RespCommandKind.Decr,
            "DECRBY" => RespCommandKind.Decrby,
            "DBSIZE" => RespCommandKind.Dbsize,
            "INFO" => RespCommandKind.Info,
            "COMMAND" => RespCommandKind.Command,
            "CONFIG" => RespCommandKind.Config,
            "UNLINK" => RespCommandKind.Unlink,
            "SETNX" => RespCommandKind.Setnx,
            "SETEX" => RespCommandKind.Setex,
            "PSETEX" => RespCommandKind.Psetex,
            "SCAN" => RespCommandKind.Scan,
            "KEYS" => RespCommandKind.Keys,
            "RANDOMKEY" => RespCommandKind.Randomkey,
            "FLUSHDB" => RespCommandKind.Flushdb,
            "FLUSHALL" => RespCommandKind.Flushall,
            _ => RespCommandKind.Unknown,
        };
    }

    /// <summary>The description of a recognized command.</summary>
    public static RespCommandInfo Describe(RespCommandKind kind) => All[(int)kind]; // Builtin comes first in All

    private static readonly Dictionary<string, RespCommandInfo> ByName = All.ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The command called <paramref name="name"/> (any case), or null.</summary>
    public static RespCommandInfo? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>True when <paramref name="argumentCount"/> (command name included) fits the arity.</summary>
    public static bool ArityAccepts(int arity, int argumentCount) => arity >= 0 ? argumentCount == arity : argumentCount >= -arity;
}
