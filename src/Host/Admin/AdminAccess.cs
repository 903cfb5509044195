using System.Net;
using AkkaRaft.Host.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace AkkaRaft.Host.Admin;

/// <summary>
/// Who may use the HTTP admin API. With an admin token every request but the dashboard's page and the probes carries
/// <c>Authorization: Bearer TOKEN</c> (else 401). Without one the API listens on loopback only and answers only requests
/// whose Host names loopback (DNS rebinding gets 403). Every POST must be <c>application/json</c> (a plain HTML form gets
/// 415) and must not come from another origin (403), so no web page can change the cluster through a visitor's browser.
/// </summary>
internal sealed class AdminAccess
{
    /// <summary>Paths served without the token: the dashboard's page (it holds no data and asks for the token) and liveness/readiness probes.</summary>
    private static readonly HashSet<string> OpenPaths = new(StringComparer.Ordinal) { "/", "/livez", "/readyz" };

    private readonly SecretDigest? token;

    /// <summary>A policy for an API bound to <paramref name="address"/>; <paramref name="adminToken"/> null means no token.</summary>
    /// <exception cref="ArgumentException">The address is not loopback and no token is set: the API would be open to the network.</exception>
    public AdminAccess(IPAddress address, string? adminToken)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (adminToken is null && !IPAddress.IsLoopback(address))
        {
            throw new ArgumentException(
                $"the HTTP admin API would listen on {address} without an admin token; set one (--admin-token-file, AKKARAFT_ADMIN_TOKEN, akka-raft.host.admin-token-file) or listen on loopback");
        }
        token = adminToken is null ? null : new SecretDigest(adminToken);
    }

    /// <summary>True when requests need the token.</summary>
    public bool RequiresToken => token is not null;

    /// <summary>Puts the policy in front of every endpoint of <paramref name="app"/> (call before mapping them).</summary>
    public static void Use(WebApplication app, IPAddress address, string? adminToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        var access = new AdminAccess(address, adminToken);
        app.Use(async (context, next) =>
        {
            var refusal = access.Check(context.Request);
            var headers = context.Response.Headers;
            // The dashboard is never framed by another page, and its URL (with a token in the fragment) is never sent as a referrer.
            headers[HeaderNames.XFrameOptions] = "DENY";
            headers[HeaderNames.XContentTypeOptions] = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            if (refusal is null)
            {
                await next(context);
                return;
            }
            if (refusal.Value.Status == StatusCodes.Status401Unauthorized) headers.WWWAuthenticate = "Bearer realm=\"akkaraft\"";
            context.Response.StatusCode = refusal.Value.Status;
            await context.Response.WriteAsJsonAsync(new { error = refusal.Value.Error });
        });
    }

    /// <summary>Null when <paramref name="request"/> may pass, else the status and the error to answer with.</summary>
    public (int Status, string Error)? Check(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (token is null && !IsLoopbackHost(request.Host))
        {
            return (StatusCodes.Status403Forbidden,
                $"Host '{request.Host}' is not this machine's loopback name; without an admin token the admin API answers only to localhost (a DNS rebinding page would use its own name)");
        }
        if (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method) || HttpMethods.IsDelete(request.Method) || HttpMethods.IsPatch(request.Method))
        {
            if (CrossOrigin(request) is { } origin)
            {
                return (StatusCodes.Status403Forbidden, $"cross-origin request from {origin} refused");
            }
            if (!IsJson(request.ContentType))
            {
                return (StatusCodes.Status415UnsupportedMediaType,
                    "a POST to the admin API must have Content-Type: application/json (a body of {} will do); forms are refused");
            }
        }
        if (token is not null && !OpenPaths.Contains(request.Path.Value ?? "") && !HasToken(request))
        {
            return (StatusCodes.Status401Unauthorized, "the admin API needs the admin token: Authorization: Bearer TOKEN (the CLI reads AKKARAFT_ADMIN_TOKEN or --admin-token-file)");
        }
        return null;
    }

    private bool HasToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)) return false;
        return token!.Matches(header[scheme.Length..].Trim());
    }

    /// <summary>The foreign origin of a browser request from another site, or null for a same-origin or non-browser request.</summary>
    private static string? CrossOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri)) return origin;
            var sameHost = string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)
                && string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase);
            return sameHost ? null : origin;
        }
        // Browsers that send no Origin still say where a request came from.
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        return site is "cross-site" or "same-site" ? $"another site (Sec-Fetch-Site: {site})" : null;
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var media)
        && string.Equals(media.MediaType.Value, "application/json", StringComparison.OrdinalIgnoreCase);

    private static bool IsLoopbackHost(HostString host)
    {
        var name = host.Host;
        if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase)) return true;
        var bare = name.StartsWith('[') && name.EndsWith(']') ? name[1..^1] : name;
        return IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address);
    }
}
