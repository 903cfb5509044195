using System.Text.Json.Serialization;

namespace AkkaRaft.Bench;

/// <summary>One JSON line of benchmark output.</summary>
public sealed record BenchResult
{
    [JsonPropertyName("scenario")] public required string Scenario { get; init; }
    [JsonPropertyName("replicas")] public int Replicas { get; init; }
    [JsonPropertyName("batch")] public int BatchSize { get; init; }
    [JsonPropertyName("payload_bytes")] public int PayloadBytes { get; init; }
    [JsonPropertyName("proposals")] public long Proposals { get; init; }
    [JsonPropertyName("ops_per_s")] public double OpsPerSecond { get; init; }
    [JsonPropertyName("p50_us")] public double P50Us { get; init; }
    [JsonPropertyName("p99_us")] public double P99Us { get; init; }
    [JsonPropertyName("durable_writes_per_proposal")] public double DurableWritesPerProposal { get; init; }
    [JsonPropertyName("election_ticks")] public int ElectionTicks { get; init; }
    [JsonPropertyName("election_ms")] public double ElectionMs { get; init; }
    [JsonPropertyName("cpu_s")] public double CpuSeconds { get; init; }
    [JsonPropertyName("elapsed_s")] public double ElapsedSeconds { get; init; }
    [JsonPropertyName("memory_mb")] public double MemoryMb { get; init; }
}
