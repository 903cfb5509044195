using System.Net.Http.Headers;
using AkkaRaft.Host.Security;

namespace AkkaRaft.Host.Cli;

internal sealed partial class AdminClient
{
    /// <summary>
    /// A client for <paramref name="url"/> that sends the admin token read from <paramref name="tokenFile"/>, else from
    /// AKKARAFT_ADMIN_TOKEN, else none.
    /// </summary>
    /// <exception cref="ArgumentException">The token file cannot be read or is empty.</exception>
    public static AdminClient Create(string url, FileInfo? tokenFile, TextWriter output, TextWriter error, Func<string, string?>? environment = null)
    {
        var token = SecretSource.AdminToken.Resolve(tokenFile, null, null, environment);
        var client = new AdminClient(new Uri(url), output, error);
        if (token is not null) client._http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
