using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ReplicatedCounter;

// Usage: ReplicatedCounter [increments] [--data DIR] [--node-id N --port P --replicas 1,2,3 --seed akka.tcp://replicated-counter@host:port]
// With no options: one node founds its own cluster in ./data, increments "visits" and prints the value; run it again
// and the count goes on from where it stopped.
var options = new ReplicatedCounterOptions();
var increments = 1;
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--data": options.DataDirectory = Next(); break;
        case "--node-id": options.NodeId = ulong.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--port": options.Port = int.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--replicas": options.ReplicaNodeIds = [.. Next().Split(',').Select(s => ulong.Parse(s, System.Globalization.CultureInfo.InvariantCulture))]; break;
        case "--seed": options.SeedNodes = [.. options.SeedNodes, Next()]; break;
        default:
            if (!int.TryParse(args[i], out increments) || increments < 0)
            {
                Console.Error.WriteLine($"unknown argument {args[i]}");
                return 2;
            }
            break;
    }
}

var builder = Host.CreateApplicationBuilder();
builder.Services.AddReplicatedCounter(options);
using var host = builder.Build();
await host.StartAsync();
var counter = host.Services.GetRequiredService<ReplicatedCounterClient>();
for (var i = 0; i < increments; i++)
{
    var result = await counter.IncrementAsync("visits");
    if (!result.Succeeded)
    {
        Console.Error.WriteLine($"increment failed: {result}");
        await host.StopAsync();
        return 1;
    }
    Console.WriteLine($"visits = {result.Value.Value}");
}
await host.StopAsync();
return 0;
