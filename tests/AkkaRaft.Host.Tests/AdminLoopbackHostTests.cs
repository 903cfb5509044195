using System.Net;

namespace AkkaRaft.Host.Tests;

/// <summary>The shared host has no admin token: its API answers only to loopback Host names and only to JSON POSTs of its own origin.</summary>
[Collection(EmbeddedHostCollection.Name)]
public sealed class AdminLoopbackHostTests(EmbeddedHostFixture fixture)
{
    private readonly EmbeddedHost host = fixture.Host;

    [Fact]
    public async Task ARequestNamingAForeignHostIsForbiddenAsADnsRebindingPageWouldSendIt()
    {
        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/regions");
        rebound.Headers.Host = $"attacker.example:{host.HttpAddress.Port}";
        using var local = new HttpRequestMessage(HttpMethod.Get, "/api/regions");
        local.Headers.Host = $"localhost:{host.HttpAddress.Port}";

        using var reboundResponse = await host.Http.SendAsync(rebound);
        using var localResponse = await host.Http.SendAsync(local);

        Assert.Equal(HttpStatusCode.Forbidden, reboundResponse.StatusCode);
        Assert.Contains("loopback", await reboundResponse.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, localResponse.StatusCode);
    }

    [Fact]
    public async Task ACrossOriginOrFormPostIsRefusedAndChangesNothing()
    {
        var region = (await host.Cluster.RegionsAsync())[0];
        var target = region.LeaderStore % 3 + 1;
        var path = $"/api/regions/{region.Id}/transfer-leader?store={target}";
        using var crossOrigin = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonBody.Empty() };
        crossOrigin.Headers.Add("Origin", "http://attacker.example");
        using var form = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent([]) };

        using var crossOriginResponse = await host.Http.SendAsync(crossOrigin);
        using var formResponse = await host.Http.SendAsync(form);
        using var bare = await host.Http.PostAsync(new Uri(path, UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Forbidden, crossOriginResponse.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, formResponse.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, bare.StatusCode);
        Assert.Equal(region.LeaderStore, (await host.Cluster.RegionsAsync()).Single(r => r.Id == region.Id).LeaderStore);
    }
}
