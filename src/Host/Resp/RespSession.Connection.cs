using System.Text;
using AkkaRaft.Actors.Kv;

namespace AkkaRaft.Host.Resp;

/// <summary>Connection and server commands: PING, ECHO, HELLO, AUTH, SELECT, QUIT, CLIENT, COMMAND, CONFIG, INFO.</summary>
internal sealed partial class RespSession
{
    /// <summary>The Redis version whose protocol behaviour this server follows (clients pick features by it).</summary>
    public const string CompatibleRedisVersion = "7.2.0";

    private static readonly (string Name, string Value)[] ConfigValues =
    [
        ("save", ""), ("appendonly", "no"), ("databases", "1"), ("maxmemory", "0"), ("maxmemory-policy", "noeviction"),
        ("replica-read-only", "yes"), ("slave-read-only", "yes"), ("cluster-enabled", "no"),
    ];

    private async ValueTask<bool> ExecuteConnectionCommandAsync(RespCommandKind kind, byte[][] arguments)
    {
        switch (kind)
        {
            case RespCommandKind.Ping:
                if (arguments.Length == 1) writer.WriteSimpleString("PONG");
                else if (arguments.Length == 2) writer.WriteBulk(arguments[1]);
                else writer.WriteError("ERR wrong number of arguments for 'ping' command");
                return true;
            case RespCommandKind.Echo:
                writer.WriteBulk(arguments[1]);
                return true;
            case RespCommandKind.Hello:
                ExecuteHello(arguments);
                return true;
            case RespCommandKind.Auth:
                ExecuteAuth(arguments);
                return true;
            case RespCommandKind.Select:
                if (!TryParseInteger(arguments[1], out var index)) writer.WriteError("ERR value is not an integer or out of range");
                else if (index != 0) writer.WriteError("ERR DB index is out of range");
                else writer.WriteOk();
                return true;
            case RespCommandKind.Quit:
                writer.WriteOk();
                return false;
            case RespCommandKind.Client:
                ExecuteClient(arguments);
                return true;
            case RespCommandKind.Command:
                ExecuteCommand(arguments);
                return true;
            case RespCommandKind.Config:
                ExecuteConfig(arguments);
                return true;
            case RespCommandKind.Info:
                writer.WriteBulk(await BuildInfoAsync(arguments));
                return true;
            default:
                throw new InvalidOperationException($"{kind} is not a connection command");
        }
    }

    private void ExecuteHello(byte[][] arguments)
    {
        var protocol = writer.Protocol;
        byte[]? user = null, password = null;
        string? name = null;
        if (arguments.Length > 1)
        {
            if (!TryParseInteger(arguments[1], out var requested))
            {
                writer.WriteError("ERR Protocol version is not an integer or out of range");
                return;
            }

            if (requested is not (2 or 3))
            {
                writer.WriteError("NOPROTO unsupported protocol version");
                return;
            }

            protocol = (int)requested;
            for (var i = 2; i < arguments.Length; i++)
            {
                var option = Encoding.ASCII.GetString(arguments[i]).ToUpperInvariant();
                if (option == "AUTH" && i + 2 < arguments.Length)
                {
                    user = arguments[++i];
                    password = arguments[++i];
                }
                else if (option == "SETNAME" && i + 1 < arguments.Length)
                {
                    name = Encoding.UTF8.GetString(arguments[++i]);
                }
                else
                {
                    writer.WriteError($"ERR Syntax error in HELLO option '{Encoding.UTF8.GetString(arguments[i])}'");
                    return;
                }
            }
        }

        if (password != null)
        {
            var authError = CheckCredentials(user, password);
            if (authError != null)
            {
                writer.WriteError(authError);
                return;
            }

            authenticated = true;
        }

        if (!authenticated)
        {
            writer.WriteError("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
            return;
        }

        if (name != null) clientName = name;
        writer.Protocol = protocol;
        writer.WriteMapHeader(7);
        writer.WriteBulk("server");
        writer.WriteBulk("akkaraft");
        writer.WriteBulk("version");
        writer.WriteBulk(CompatibleRedisVersion);
        writer.WriteBulk("proto");
        writer.WriteInteger(protocol);
        writer.WriteBulk("id");
        writer.WriteInteger(Id);
        writer.WriteBulk("mode");
        writer.WriteBulk("standalone");
        writer.WriteBulk("role");
        writer.WriteBulk("master");
        writer.WriteBulk("modules");
        writer.WriteArrayHeader(0);
    }

    private void ExecuteAuth(byte[][] arguments)
    {
        if (arguments.Length > 3)
        {
            writer.WriteError("ERR syntax error");
            return;
        }

        var error = server.Password == null
            ? "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
            : CheckCredentials(arguments.Length == 3 ? arguments[1] : null, arguments[^1]);
        if (error != null)
        {
            writer.WriteError(error);
            return;
        }

        authenticated = true;
        writer.WriteOk();
    }

    /// <summary>Null when the user ("default" or none) and password match the configured password, else the WRONGPASS error.</summary>
    private string? CheckCredentials(byte[]? user, byte[] password)
    {
        const string wrong = "WRONGPASS invalid username-password pair or user is disabled.";
        var configured = server.Password;
        if (configured == null) return null; // no password: any credentials are accepted, as Redis does for the default user
        // Both checks always run: the answer takes as long for a wrong user as for a wrong password.
        var passwordMatches = configured.Matches(password);
        var userMatches = user == null || user.AsSpan().SequenceEqual("default"u8);
        return passwordMatches & userMatches ? null : wrong;
    }

    private void ExecuteClient(byte[][] arguments)
    {
        var sub = Encoding.ASCII.GetString(arguments[1]).ToUpperInvariant();
        switch (sub)
        {
            case "SETNAME" when arguments.Length == 3:
                clientName = Encoding.UTF8.GetString(arguments[2]);
                writer.WriteOk();
                break;
            case "SETINFO" when arguments.Length == 4:
            case "NO-EVICT" or "NO-TOUCH" when arguments.Length == 3:
                writer.WriteOk();
                break;
            case "GETNAME" when arguments.Length == 2:
                writer.WriteBulk(clientName == null ? null : Encoding.UTF8.GetBytes(clientName));
                break;
            case "ID" when arguments.Length == 2:
                writer.WriteInteger(Id);
                break;
            case "INFO" when arguments.Length == 2:
                writer.WriteBulk($"id={Id} addr={RemoteEndPoint} name={clientName} db=0 resp={writer.Protocol}\n");
                break;
            default:
                writer.WriteError($"ERR unknown subcommand or wrong number of arguments for 'client|{sub.ToLowerInvariant()}' command");
                break;
        }
    }

    private void ExecuteCommand(byte[][] arguments)
    {
        var sub = arguments.Length == 1 ? "" : Encoding.ASCII.GetString(arguments[1]).ToUpperInvariant();
        switch (sub)
        {
            case "":
                writer.WriteArrayHeader(RespCommandTable.All.Count);
                foreach (var command in RespCommandTable.All) WriteCommandInfo(command);
                break;
            case "COUNT":
                writer.WriteInteger(RespCommandTable.All.Count);
                break;
            case "LIST":
                writer.WriteArrayHeader(RespCommandTable.All.Count);
                foreach (var command in RespCommandTable.All) writer.WriteBulk(command.Name);
                break;
            case "INFO":
                var infoNames = arguments.Length == 2 ? RespCommandTable.All.Select(c => c.Name).ToArray() : arguments[2..].Select(a => Encoding.UTF8.GetString(a)).ToArray();
                writer.WriteArrayHeader(infoNames.Length);
                foreach (var name in infoNames)
                {
                    var command = RespCommandTable.Find(name);
                    if (command == null) writer.WriteNull();
                    else WriteCommandInfo(command);
                }

                break;
            case "DOCS":
                var docs = (arguments.Length == 2 ? RespCommandTable.All : arguments[2..].Select(a => RespCommandTable.Find(Encoding.UTF8.GetString(a))).OfType<RespCommandInfo>()).ToArray();
                writer.WriteMapHeader(docs.Length);
                foreach (var command in docs)
                {
                    writer.WriteBulk(command.Name);
                    writer.WriteMapHeader(3);
                    writer.WriteBulk("summary");
                    writer.WriteBulk(command.Summary);
                    writer.WriteBulk("since");
                    writer.WriteBulk("1.0.0");
                    writer.WriteBulk("group");
                    writer.WriteBulk(command.Group);
                }

                break;
            default:
                writer.WriteError($"ERR unknown subcommand '{sub.ToLowerInvariant()}'. Try COMMAND HELP.");
                break;
        }
    }

    private void WriteCommandInfo(RespCommandInfo command)
    {
        writer.WriteArrayHeader(10);
        writer.WriteBulk(command.Name);
        writer.WriteInteger(command.Arity);
        writer.WriteArrayHeader(command.Flags.Length);
        foreach (var flag in command.Flags) writer.WriteSimpleString(flag);
        writer.WriteInteger(command.FirstKey);
        writer.WriteInteger(command.LastKey);
        writer.WriteInteger(command.Step);
        for (var i = 0; i < 4; i++) writer.WriteArrayHeader(0); // ACL categories, tips, key specs, subcommands
    }

    private void ExecuteConfig(byte[][] arguments)
    {
        var sub = Encoding.ASCII.GetString(arguments[1]).ToUpperInvariant();
        if (sub == "GET" && arguments.Length >= 3)
        {
            if (arguments[2..].FirstOrDefault(p => p.Length > GlobPattern.MaxLength) is { } tooLong)
            {
                writer.WriteError(GlobPattern.TooLongError(tooLong.Length));
                return;
            }

            (string Name, string Value)[] limits =
            [
                ("timeout", ((long)server.Options.IdleTimeout.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                ("maxclients", server.Options.MaxClients.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ];
            var matches = ConfigValues.Concat(limits).Where(c => arguments[2..].Any(p => ConfigNameMatches(p, c.Name))).ToArray();
            writer.WriteMapHeader(matches.Length);
            foreach (var (name, value) in matches)
            {
                writer.WriteBulk(name);
                writer.WriteBulk(value);
            }
        }
        else if (sub == "RESETSTAT" && arguments.Length == 2)
        {
            writer.WriteOk();
        }
        else if (sub == "SET")
        {
            writer.WriteError("ERR CONFIG SET is not supported; configure the akkaraft host instead");
        }
        else
        {
            writer.WriteError($"ERR unknown subcommand or wrong number of arguments for 'config|{sub.ToLowerInvariant()}' command");
        }
    }

    /// <summary>As Redis: a pattern without '*', '?' or '[' names a parameter exactly; any other is a glob. Both ignore case.</summary>
    private static bool ConfigNameMatches(byte[] pattern, string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        return pattern.AsSpan().IndexOfAny("*?["u8) < 0
            ? Ascii.EqualsIgnoreCase(pattern, bytes)
            : GlobPattern.Matches(pattern, bytes, ignoreCase: true);
    }

    private async Task<string> BuildInfoAsync(byte[][] arguments)
    {
        var requested = arguments.Skip(1).Select(a => Encoding.ASCII.GetString(a).ToLowerInvariant()).ToHashSet();
        bool Wants(string section) => requested.Count == 0 || requested.Contains(section) || requested.Contains("all") || requested.Contains("everything") || requested.Contains("default");
        var text = new StringBuilder();
        if (Wants("server"))
        {
            text.Append("# Server\r\n")
                .Append("redis_version:").Append(CompatibleRedisVersion).Append("\r\n")
                .Append("akkaraft_version:").Append(typeof(RespSession).Assembly.GetName().Version).Append("\r\n")
                .Append("redis_mode:standalone\r\n")
                .Append("os:").Append(System.Runtime.InteropServices.RuntimeInformation.OSDescription).Append("\r\n")
                .Append("arch_bits:").Append(IntPtr.Size * 8).Append("\r\n")
                .Append("process_id:").Append(Environment.ProcessId).Append("\r\n")
                .Append("tcp_port:").Append(server.BoundPort).Append("\r\n")
                .Append("uptime_in_seconds:").Append((long)(DateTimeOffset.UtcNow - server.StartedAt).TotalSeconds).Append("\r\n\r\n");
        }

        if (Wants("clients"))
        {
            text.Append("# Clients\r\nconnected_clients:").Append(server.ConnectedClients).Append("\r\n\r\n");
        }

        if (Wants("stats"))
        {
            text.Append("# Stats\r\ntotal_connections_received:").Append(server.TotalConnections).Append("\r\n")
                .Append("total_commands_processed:").Append(server.TotalCommands).Append("\r\n")
                .Append("total_protocol_errors:").Append(server.ProtocolErrors).Append("\r\n\r\n");
        }

        if (Wants("replication"))
        {
            text.Append("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
        }

        if (Wants("keyspace"))
        {
            text.Append("# Keyspace\r\n");
            if (await AwaitReplyAsync(client.CountKeysAsync(connectionClosed), isWrite: false) is KvReply.Integer { Number: > 0 } keys)
            {
                text.Append("db0:keys=").Append(keys.Number).Append(",expires=0,avg_ttl=0\r\n");
            }

            text.Append("\r\n");
        }

        if (Wants("regions"))
        {
            text.Append("# Regions\r\n");
            try
            {
                var regions = await client.RegionsAsync(connectionClosed);
                text.Append("region_count:").Append(regions.Count).Append("\r\n");
                foreach (var region in regions)
                {
                    text.Append("region_").Append(region.Id).Append(":start=").Append(EscapeKey(region.StartKey))
                        .Append(",end=").Append(EscapeKey(region.EndKey)).Append(",epoch=").Append(region.Epoch)
                        .Append(",leader_store=").Append(region.LeaderStore).Append(",stores=").Append(string.Join(';', region.Stores))
                        .Append(",approximate_size_bytes=").Append(region.ApproximateSizeBytes).Append("\r\n");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                text.Append("region_error:").Append(e.Message.Replace('\r', ' ').Replace('\n', ' ')).Append("\r\n");
            }

            text.Append("\r\n");
        }

        return text.ToString();
    }

    /// <summary>A key as INFO prints it: printable ASCII as is, everything else (and , : = ; \) as \xHH.</summary>
    internal static string EscapeKey(byte[] key)
    {
        var text = new StringBuilder(key.Length);
        foreach (var b in key)
        {
            if (b is >= 0x21 and <= 0x7E and not (byte)',' and not (byte)':' and not (byte)'=' and not (byte)';' and not (byte)'\\') text.Append((char)b);
            else text.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }
}
