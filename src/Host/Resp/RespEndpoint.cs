using AkkaRaft.Actors.Kv;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace AkkaRaft.Host.Resp;

/// <summary>Composition point: puts a RESP endpoint backed by an <see cref="IKvClient"/> on a web application's Kestrel.</summary>
internal static class RespEndpoint
{
    /// <summary>Listens for Redis clients on <see cref="RespServerOptions.Address"/>:<see cref="RespServerOptions.Port"/>, serving <paramref name="client"/>; returns the shared state (port, counters).</summary>
    public static RespServerState Map(WebApplicationBuilder builder, IKvClient client, RespServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var state = new RespServerState(client, options);
        builder.Services.AddSingleton(state);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(options.Address, options.Port, listen =>
        {
            listen.Protocols = HttpProtocols.None;
            listen.UseConnectionHandler<RespConnectionHandler>();
            state.ListenOptions = listen;
        }));
        return state;
    }
}
