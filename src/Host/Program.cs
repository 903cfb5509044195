using System.CommandLine;
using System.Net;
using Akka.Configuration;
using AkkaRaft.Host.Cli;
using AkkaRaft.Host.Hosting;

// akkaraft: with no verb, an embedded three-node cluster with RESP and HTTP admin; `node` runs one node of a
// multi-process cluster; status / regions / transfer-leader / split / move / operators / store remove talk to a running
// cluster's HTTP admin API.
var dataDir = new Option<string>("--data-dir") { Description = "Data directory (reused on restart); a relative path is taken from the directory you start in", DefaultValueFactory = _ => "data" };
var respPort = new Option<int>("--resp-port") { Description = "Redis protocol port", DefaultValueFactory = _ => 6379 };
var httpPort = new Option<int>("--http-port") { Description = "HTTP admin port", DefaultValueFactory = _ => 8080 };
var nodes = new Option<int>("--nodes") { Description = "Nodes of the embedded cluster (nodes 1..3 hold the first regions; more join as empty stores)", DefaultValueFactory = _ => 3 };
var splitSize = new Option<string?>("--split-size") { Description = "Region split threshold, e.g. 64KiB or 96MiB" };
var configFile = new Option<FileInfo?>("--config") { Description = "HOCON file with settings (wins over defaults)" };
var password = new Option<string?>("--password") { Description = "Require AUTH with this password on the RESP port (visible in ps: prefer --password-file or AKKARAFT_PASSWORD)" };
var passwordFile = new Option<FileInfo?>("--password-file") { Description = "Read the RESP password from this file (also the admin API's token unless one is set)" };
var adminTokenFile = new Option<FileInfo?>("--admin-token-file") { Description = "Read the HTTP admin API's bearer token from this file (or AKKARAFT_ADMIN_TOKEN)" };
var url = new Option<string>("--url") { Description = "HTTP admin address of a running cluster", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
var tokenFile = new Option<FileInfo?>("--admin-token-file") { Description = "File holding the admin API's token (default: AKKARAFT_ADMIN_TOKEN, else none)" };
var json = new Option<bool>("--json") { Description = "Print JSON" };
var shutdownTimeout = new Option<double?>("--shutdown-timeout") { Description = "Seconds a SIGTERM or Ctrl-C may take to stop the host (default: akka-raft.host.shutdown.timeout, 10)" };
var verbose = new Option<bool>("--verbose") { Description = "Log everything from INFO up, also Akka's routine warnings" };

var root = new RootCommand("AkkaRaft: a linearizable, range-partitioned key-value store on Multi-Raft, speaking the Redis protocol")
{
    dataDir, respPort, httpPort, nodes, splitSize, configFile, password, passwordFile, adminTokenFile, shutdownTimeout, verbose,
};
root.SetAction(async (parse, _) =>
{
    var user = LoadConfig(parse.GetValue(configFile), parse.GetValue(splitSize));
    var nodeCount = parse.GetValue(nodes);
    if (nodeCount < 1) return Fail("--nodes must be at least 1");
    if (!TryShutdownSettings(user, parse.GetValue(shutdownTimeout), out var shutdown)) return 2;
    var dir = Path.GetFullPath(parse.GetValue(dataDir)!);
    if (!TrySecure(new EndpointOptions(parse.GetValue(respPort), parse.GetValue(httpPort), null, IPAddress.Loopback), user, parse, out var endpoints)) return 2;
    var loud = parse.GetValue(verbose);
    Console.WriteLine($"data: {dir}");
    using var signals = new ShutdownSignals(shutdown.Timeout, Console.Error);
    return Exit(await HostApp.RunAsync(
        ct => ClusterRuntime.StartEmbeddedAsync(nodeCount, dir, user, TimeSpan.FromSeconds(60), loud, ct), endpoints, shutdown, loud, signals, Console.Out));
});

// In node mode the ports and data directory come from the config file unless given here.
var nodeDataDir = new Option<string?>("--data-dir") { Description = "Data directory (default: akka-raft.data-dir)" };
var nodeRespPort = new Option<int?>("--resp-port") { Description = "Redis protocol port (default: akka-raft.host.resp-port)" };
var nodeHttpPort = new Option<int?>("--http-port") { Description = "HTTP admin port (default: akka-raft.host.http-port)" };
var nodeCommand = new Command("node", "Run one node of a multi-process cluster (see hocon/node-1.conf)")
{
    configFile, nodeDataDir, nodeRespPort, nodeHttpPort, password, passwordFile, adminTokenFile, shutdownTimeout, verbose,
};
nodeCommand.SetAction(async (parse, _) =>
{
    if (parse.GetValue(configFile) is null) return Fail("node mode needs --config FILE (samples: hocon/node-1.conf .. node-3.conf)");
    var config = LoadConfig(parse.GetValue(configFile), null)!;
    if (!TrySecure(new EndpointOptions(
        parse.GetValue(nodeRespPort) ?? config.GetInt("akka-raft.host.resp-port", 6379),
        parse.GetValue(nodeHttpPort) ?? config.GetInt("akka-raft.host.http-port", 8080),
        null, IPAddress.Loopback), config, parse, out var endpoints)) return 2;
    if (!TryShutdownSettings(config, parse.GetValue(shutdownTimeout), out var shutdown)) return 2;
    var dir = ClusterRuntime.DataDirectory(config, parse.GetValue(nodeDataDir));
    var loud = parse.GetValue(verbose);
    Console.WriteLine($"data: {dir}");
    using var signals = new ShutdownSignals(shutdown.Timeout, Console.Error);
    return Exit(await HostApp.RunAsync(_ => ClusterRuntime.StartNodeAsync(config, dir, loud), endpoints, shutdown, loud, signals, Console.Out));
});
root.Subcommands.Add(nodeCommand);

var status = new Command("status", "Health of a running cluster") { url, tokenFile };
status.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.StatusAsync(client, ct);
});
root.Subcommands.Add(status);

var regions = new Command("regions", "Regions of a running cluster") { url, json, tokenFile };
regions.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.RegionsAsync(client, parse.GetValue(json), ct);
});
root.Subcommands.Add(regions);

var regionArgument = new Argument<ulong>("REGION") { Description = "Region id" };
var storeArgument = new Argument<ulong>("STORE") { Description = "Store (node) id" };
var transfer = new Command("transfer-leader", "Move a region's leadership to the replica on STORE") { regionArgument, storeArgument, url, tokenFile };
transfer.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.TransferLeaderAsync(client, parse.GetValue(regionArgument), parse.GetValue(storeArgument), ct);
});
root.Subcommands.Add(transfer);

var splitRegion = new Argument<ulong>("REGION") { Description = "Region id" };
var splitKey = new Argument<string?>("KEY") { Description = "Split key (default: near the middle of the region's data)", Arity = ArgumentArity.ZeroOrOne };
var split = new Command("split", "Split a region in two at KEY") { splitRegion, splitKey, url, tokenFile };
split.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.SplitAsync(client, parse.GetValue(splitRegion), parse.GetValue(splitKey), ct);
});
root.Subcommands.Add(split);

var moveRegion = new Argument<ulong>("REGION") { Description = "Region id" };
var moveFrom = new Argument<ulong>("FROM-STORE") { Description = "Store whose replica leaves" };
var moveTo = new Argument<ulong>("TO-STORE") { Description = "Store that receives the replica" };
var move = new Command("move", "Move a region's replica from one store to another and follow the operator until it finishes") { moveRegion, moveFrom, moveTo, url, tokenFile };
move.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.MoveAsync(client, parse.GetValue(moveRegion), parse.GetValue(moveFrom), parse.GetValue(moveTo), ct);
});
root.Subcommands.Add(move);

var operators = new Command("operators", "Running and recent operators (moves, repairs, balance) and the stores") { url, json, tokenFile };
operators.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.OperatorsAsync(client, parse.GetValue(json), ct);
});
root.Subcommands.Add(operators);

var removeStoreArgument = new Argument<ulong>("STORE") { Description = "Store (node) id" };
var removeStore = new Command("remove", "Decommission a store: its replicas move away, then it is marked removed") { removeStoreArgument, url, tokenFile };
removeStore.SetAction(async (parse, ct) =>
{
    using var client = Connect(parse);
    if (client is null) return 2;
    return await CliCommands.RemoveStoreAsync(client, parse.GetValue(removeStoreArgument), ct);
});
root.Subcommands.Add(new Command("store", "Manage stores") { removeStore });

// The host handles SIGTERM and Ctrl-C itself (ShutdownSignals): System.CommandLine's own handling stays off.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

// The host is done once its sequence is: exit now rather than wait for any thread still winding down.
static int Exit(int code)
{
    Console.Out.Flush();
    Console.Error.Flush();
    Environment.Exit(code);
    return code;
}

static bool TryShutdownSettings(Config? config, double? timeoutSeconds, out ShutdownSettings settings)
{
    settings = ShutdownSettings.Default;
    try
    {
        settings = ShutdownSettings.From(config, timeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null);
        return true;
    }
    catch (ArgumentException e)
    {
        Fail(e.Message);
        return false;
    }
}

// The CLI's client of the admin API, or null (and the error printed) when the token file cannot be read.
AdminClient? Connect(ParseResult parse)
{
    try
    {
        return AdminClient.Create(parse.GetValue(url)!, parse.GetValue(tokenFile), Console.Out, Console.Error);
    }
    catch (ArgumentException e)
    {
        Fail(e.Message);
        return null;
    }
}

// Not static: it reads the password options declared above.
bool TrySecure(EndpointOptions endpoints, Config? config, ParseResult parse, out EndpointOptions secured)
{
    secured = endpoints;
    try
    {
        secured = EndpointSecurity.Apply(endpoints, config, parse.GetValue(password), parse.GetValue(passwordFile), parse.GetValue(adminTokenFile));
        return true;
    }
    catch (ArgumentException e)
    {
        Fail(e.Message);
        return false;
    }
}

static Config? LoadConfig(FileInfo? file, string? splitSize)
{
    Config? config = null;
    if (file is not null)
    {
        if (!file.Exists) throw new FileNotFoundException($"config file {file.FullName} does not exist");
        config = ConfigurationFactory.ParseString(File.ReadAllText(file.FullName));
    }
    if (splitSize is not null)
    {
        if (!ByteSize.TryParse(splitSize, out var bytes, out var error)) throw new ArgumentException($"--split-size: {error}");
        var split = ConfigurationFactory.ParseString($"akka-raft.region.split-size = {bytes}");
        config = config is null ? split : split.WithFallback(config);
    }
    return config;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    return 2;
}
