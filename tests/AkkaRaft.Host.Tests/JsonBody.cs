using System.Net.Http.Json;

namespace AkkaRaft.Host.Tests;

/// <summary>Bodies for admin POSTs, which must be JSON.</summary>
public static class JsonBody
{
    /// <summary>An empty JSON object.</summary>
    public static HttpContent Empty() => JsonContent.Create(new { });
}
