using AkkaRaft.Host.Resp;

namespace AkkaRaft.Host.Hosting;

internal sealed partial record EndpointOptions
{
    /// <summary>Token the HTTP admin API asks for (Authorization: Bearer); null: the RESP password when one is set, else none.</summary>
    public string? AdminToken { get; init; }

    /// <summary>The admin API's secret: the admin token, else the RESP password, else null (loopback only, no token).</summary>
    public string? AdminSecret => AdminToken ?? Password;

    /// <summary>RESP limits (max clients, idle timeout, buffer bounds); address, port and password come from this record.</summary>
    public RespServerOptions RespLimits { get; init; } = new();

    /// <summary>The RESP endpoint's options.</summary>
    public RespServerOptions RespOptions() => RespLimits with { Address = Address, Port = RespPort, Password = Password };
}
