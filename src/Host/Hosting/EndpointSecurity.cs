using Akka.Configuration;
using AkkaRaft.Host.Security;

namespace AkkaRaft.Host.Hosting;

/// <summary>Fills the secrets and RESP limits of <see cref="EndpointOptions"/> from the command line, the environment and the config.</summary>
internal static class EndpointSecurity
{
    /// <summary>
    /// <paramref name="endpoints"/> with the RESP password and the admin token (see <see cref="SecretSource"/> for where each
    /// may come from) and the RESP limits of <c>akka-raft.host</c> (max-clients, idle-timeout, auth-timeout, allow-flush).
    /// </summary>
    /// <exception cref="ArgumentException">A secret file cannot be read or is empty, or a limit is out of range.</exception>
    public static EndpointOptions Apply(
        EndpointOptions endpoints, Config? config, string? passwordArgument, FileInfo? passwordFile, FileInfo? adminTokenFile,
        Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var password = SecretSource.Password.Resolve(passwordFile, passwordArgument, config, environment);
        var adminToken = SecretSource.AdminToken.Resolve(adminTokenFile, null, config, environment);
        var limits = endpoints.RespLimits;
        if (config is not null)
        {
            if (config.HasPath("akka-raft.host.max-clients")) limits = limits with { MaxClients = config.GetInt("akka-raft.host.max-clients") };
            if (config.HasPath("akka-raft.host.idle-timeout")) limits = limits with { IdleTimeout = config.GetTimeSpan("akka-raft.host.idle-timeout") };
            if (config.HasPath("akka-raft.host.auth-timeout")) limits = limits with { AuthTimeout = config.GetTimeSpan("akka-raft.host.auth-timeout") };
            if (config.HasPath("akka-raft.host.allow-flush")) limits = limits with { AllowFlush = config.GetBoolean("akka-raft.host.allow-flush") };
        }
        var result = endpoints with { Password = password, AdminToken = adminToken, RespLimits = limits };
        try
        {
            result.RespOptions().Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentException($"akka-raft.host: {e.Message}", e);
        }
        return result;
    }
}
