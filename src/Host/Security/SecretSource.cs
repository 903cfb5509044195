using Akka.Configuration;

namespace AkkaRaft.Host.Security;

/// <summary>
/// Where a secret (the RESP password, the admin token) may come from, strongest first: a file named on the command line,
/// an environment variable, a file named in the config, the value in the config, and (least: visible in <c>ps</c>) the
/// value on the command line. The first that is set wins; a named file that cannot be read, or is empty, is an error.
/// </summary>
internal sealed record SecretSource(string Name, string EnvironmentVariable, string ConfigKey)
{
    /// <summary>The RESP password: <c>--password-file</c>, <c>AKKARAFT_PASSWORD</c>, <c>akka-raft.host.password-file</c>, <c>akka-raft.host.password</c>, <c>--password</c>.</summary>
    public static SecretSource Password { get; } = new("password", "AKKARAFT_PASSWORD", "akka-raft.host.password");

    /// <summary>The HTTP admin token: <c>--admin-token-file</c>, <c>AKKARAFT_ADMIN_TOKEN</c>, <c>akka-raft.host.admin-token-file</c>, <c>akka-raft.host.admin-token</c>.</summary>
    public static SecretSource AdminToken { get; } = new("admin token", "AKKARAFT_ADMIN_TOKEN", "akka-raft.host.admin-token");

    /// <summary>
    /// The secret, or null when none is set anywhere. <paramref name="environment"/> reads a variable (default: the process's).
    /// </summary>
    /// <exception cref="ArgumentException">A named file is missing, unreadable or empty, or a value is empty.</exception>
    public string? Resolve(FileInfo? file, string? commandLineValue, Config? config, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (file is not null) return ReadFile(file.FullName, $"--{Name.Replace(' ', '-')}-file");
        if (environment(EnvironmentVariable) is { } fromEnvironment) return NonEmpty(fromEnvironment, EnvironmentVariable);
        var fileKey = ConfigKey + "-file";
        if (config is not null && config.HasPath(fileKey) && config.GetString(fileKey) is { Length: > 0 } path) return ReadFile(path, fileKey);
        if (config is not null && config.HasPath(ConfigKey) && config.GetString(ConfigKey) is { } fromConfig) return NonEmpty(fromConfig, ConfigKey);
        return commandLineValue is null ? null : NonEmpty(commandLineValue, $"--{Name.Replace(' ', '-')}");
    }

    private string ReadFile(string path, string origin)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{origin}: cannot read the {Name} from {path}: {e.Message}", e);
        }
        // A trailing newline (echo secret > file) is not part of the secret.
        return NonEmpty(text.TrimEnd('\r', '\n'), $"{origin} ({path})");
    }

    private string NonEmpty(string value, string origin) =>
        value.Length > 0 ? value : throw new ArgumentException($"{origin}: the {Name} is empty; leave it unset to turn it off");
}
