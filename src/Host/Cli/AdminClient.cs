using System.Net.Http.Json;
using System.Text.Json;

namespace AkkaRaft.Host.Cli;

/// <summary>The CLI's view of a running cluster: calls its HTTP admin API and turns failures into one clear message.</summary>
internal sealed partial class AdminClient(Uri baseAddress, TextWriter output, TextWriter error) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };

    /// <summary>GET a JSON document; prints a message and returns null when the cluster cannot be reached or answers an error.</summary>
    public async Task<JsonElement?> GetAsync(string path, CancellationToken ct)
    {
        return await SendAsync(() => _http.GetAsync(new Uri(path, UriKind.Relative), ct), ct).ConfigureAwait(false);
    }

    /// <summary>POST with an empty JSON body.</summary>
    public async Task<JsonElement?> PostAsync(string path, CancellationToken ct)
    {
        // A JSON body: the admin API refuses form-like POSTs (cross-site request forgery).
        using var body = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
        return await SendAsync(() => _http.PostAsync(new Uri(path, UriKind.Relative), body, ct), ct).ConfigureAwait(false);
    }

    private async Task<JsonElement?> SendAsync(Func<Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await send().ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            error.WriteLine($"error: cannot reach the cluster at {_http.BaseAddress} ({e.Message}); is akkaraft running? (--url)");
            return null;
        }
        using (response)
        {
            JsonElement? body = null;
            try
            {
                body = await response.Content.ReadFromJsonAsync<JsonElement>(ct).ConfigureAwait(false);
            }
            catch (JsonException)
            {
                // A non-JSON answer: reported below by status code.
            }
            if (response.IsSuccessStatusCode || response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && body is not null) return body;
            var message = body is { } b && b.ValueKind == JsonValueKind.Object && b.TryGetProperty("error", out var e) ? e.GetString() : response.ReasonPhrase;
            error.WriteLine($"error: {message} (HTTP {(int)response.StatusCode})");
            return null;
        }
    }

    /// <summary>Where normal output goes.</summary>
    public TextWriter Output => output;

    /// <summary>Where error messages go.</summary>
    public TextWriter Error => error;

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
