using System.Net;
using AkkaRaft.Host.Admin;
using Microsoft.AspNetCore.Http;

namespace AkkaRaft.Host.Tests;

/// <summary>The admin API's access rules, request by request: token, Host header, origin and content type of POSTs.</summary>
public sealed class AdminAccessTests
{
    private static DefaultHttpContext Request(string method, string path, string host = "127.0.0.1:8080", string? contentType = null, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Path = path;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        context.Request.ContentType = contentType;
        foreach (var (name, value) in headers) context.Request.Headers[name] = value;
        return context;
    }

    private static int? StatusOf(AdminAccess access, DefaultHttpContext context) => access.Check(context.Request)?.Status;

    [Theory]
    [InlineData("127.0.0.1:8080")]
    [InlineData("localhost:8080")]
    [InlineData("LOCALHOST")]
    [InlineData("[::1]:8080")]
    [InlineData("127.0.0.2")]
    public void WithoutATokenLoopbackHostNamesPass(string host)
    {
        Assert.Null(StatusOf(new AdminAccess(IPAddress.Loopback, null), Request("GET", "/api/regions", host)));
    }

    [Theory]
    [InlineData("attacker.example:8080")]
    [InlineData("10.1.2.3:8080")]
    [InlineData("localhost.attacker.example")]
    public void WithoutATokenAForeignHostHeaderIsForbidden(string host)
    {
        Assert.Equal(403, StatusOf(new AdminAccess(IPAddress.Loopback, null), Request("GET", "/api/regions", host)));
    }

    [Fact]
    public void WithoutATokenTheApiRefusesToListenBeyondLoopback()
    {
        var refusal = Assert.Throws<ArgumentException>(() => new AdminAccess(IPAddress.Any, null));
        Assert.Contains("without an admin token", refusal.Message);
        Assert.True(new AdminAccess(IPAddress.Any, "t0ken").RequiresToken);
    }

    [Fact]
    public void APostFromAnotherOriginIsForbiddenEvenWithTheToken()
    {
        var access = new AdminAccess(IPAddress.Loopback, "t0ken");

        Assert.Equal(403, StatusOf(access, Request("POST", "/api/regions/1/split", contentType: "application/json",
            headers: [("Authorization", "Bearer t0ken"), ("Origin", "http://attacker.example")])));
        Assert.Equal(403, StatusOf(access, Request("POST", "/api/regions/1/split", contentType: "application/json",
            headers: [("Authorization", "Bearer t0ken"), ("Origin", "http://127.0.0.1:9999")])));
        Assert.Equal(403, StatusOf(access, Request("POST", "/api/regions/1/split", contentType: "application/json",
            headers: [("Authorization", "Bearer t0ken"), ("Sec-Fetch-Site", "cross-site")])));
        Assert.Null(StatusOf(access, Request("POST", "/api/regions/1/split", contentType: "application/json",
            headers: [("Authorization", "Bearer t0ken"), ("Origin", "http://127.0.0.1:8080"), ("Sec-Fetch-Site", "same-origin")])));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("text/plain")]
    public void APostThatAPlainHtmlFormCouldSendIsRefused(string? contentType)
    {
        var access = new AdminAccess(IPAddress.Loopback, null);

        Assert.Equal(415, StatusOf(access, Request("POST", "/api/regions/1/transfer-leader", contentType: contentType)));
        Assert.Null(StatusOf(access, Request("POST", "/api/regions/1/transfer-leader", contentType: "application/json; charset=utf-8")));
    }

    [Fact]
    public void WithATokenEveryApiRequestNeedsItAndOnlyTheRightOnePasses()
    {
        var access = new AdminAccess(IPAddress.Loopback, "t0ken");

        Assert.Equal(401, StatusOf(access, Request("GET", "/api/regions")));
        Assert.Equal(401, StatusOf(access, Request("GET", "/metrics", headers: ("Authorization", "Bearer t0ke"))));
        Assert.Equal(401, StatusOf(access, Request("GET", "/health", headers: ("Authorization", "Bearer t0ken2"))));
        Assert.Equal(401, StatusOf(access, Request("GET", "/health", headers: ("Authorization", "Basic dDBrZW4="))));
        Assert.Equal(401, StatusOf(access, Request("POST", "/api/stores/4/remove", contentType: "application/json")));
        Assert.Null(StatusOf(access, Request("GET", "/api/regions", headers: ("Authorization", "Bearer t0ken"))));
        Assert.Null(StatusOf(access, Request("GET", "/api/regions", "node7.example:8080", headers: ("Authorization", "bearer t0ken"))));
    }

    [Fact]
    public void WithATokenTheDashboardPageItselfIsServedSoItCanAskForTheToken()
    {
        Assert.Null(StatusOf(new AdminAccess(IPAddress.Loopback, "t0ken"), Request("GET", "/")));
    }
}
