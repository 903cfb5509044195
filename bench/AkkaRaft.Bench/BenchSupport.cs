using System.Net;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;

namespace AkkaRaft.Bench;

/// <summary>What every scenario needs: latency percentiles, a temporary data folder, free loopback ports.</summary>
internal static class BenchSupport
{
    /// <summary>The <paramref name="p"/> percentile of an ascending list, rounded to <paramref name="digits"/>; 0 when empty.</summary>
    public static double Percentile(List<double> sorted, double p, int digits = 2) =>
        sorted.Count == 0 ? 0 : Math.Round(sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))], digits);

    /// <summary>The machine's 1, 5 and 15 minute load averages (Linux /proc/loadavg), so a figure says how busy the machine was.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "";
        }
        catch (UnauthorizedAccessException)
        {
            return "";
        }
    }

    /// <summary>A fresh folder under the temp directory for one run's databases.</summary>
    public static string NewDataDir() => Path.Combine(Path.GetTempPath(), "akkaraft-bench", Guid.NewGuid().ToString("N"));

    /// <summary>Releases pooled SQLite handles and deletes the run's folder (best effort: it is a temp folder).</summary>
    public static void DeleteDataDir(string rootDir)
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(rootDir, recursive: true);
        }
        catch (IOException)
        {
            // Temp folder: best effort.
        }
    }

    /// <summary>Distinct free loopback ports: all bound at once (so no duplicates), then released for the nodes to take.</summary>
    public static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            foreach (var listener in listeners) listener.Start();
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners) listener.Stop();
        }
    }
}
