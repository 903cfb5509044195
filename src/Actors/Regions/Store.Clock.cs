using Akka.Actor;
using Akka.Event;
using AkkaRaft.Core.Kv;

namespace AkkaRaft.Actors.Regions;

/// <summary>
/// The store's time for TTL expiry: writes proposed here are stamped with it and reads served here are judged by it (a
/// router's clock plays no part). Stores measure each other's wall clocks by round trips; the <see cref="ExpiryClock"/>
/// corrects this store's time towards the cluster's when it strays beyond <c>max-clock-offset</c>.
/// </summary>
internal sealed partial class Store
{
    private const string ClockProbeTimer = "clock-probe";
    private readonly TimeProvider _clock;
    private readonly long _startTimestamp;
    private readonly ExpiryClock _expiryClock;
    private long _reportedCorrectionMs;

    private long WallMs => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private long MonotonicMs => (long)_clock.GetElapsedTime(_startTimestamp).TotalMilliseconds;

    /// <summary>The time to stamp a write with, or judge a read by, now.</summary>
    private long ExpiryNowMs() => _expiryClock.Now(WallMs, MonotonicMs);

    private void ReceiveClockMessages()
    {
        Receive<ClockProbeTick>(_ => ProbeClocks());
        Receive<ClockProbe>(probe =>
        {
            _directory.Heard(Sender.Path.Address);
            Sender.Tell(new ClockEcho(_storeId, probe.SentWallMs, probe.SentMonotonicMs, WallMs));
        });
        Receive<ClockEcho>(OnClockEcho);
        Receive<GetClockStatus>(_ => Sender.Tell(new ClockStatus(_storeId, _expiryClock.CorrectionMs(MonotonicMs), ExpiryNowMs())));
    }

    private void StartClockProbes() => Timers.StartPeriodicTimer(ClockProbeTimer, ClockProbeTick.Instance, _settings.ClockProbeInterval);

    private void ProbeClocks()
    {
        foreach (var (storeId, store) in _directory.All())
            if (!_directory.IsUnreachable(storeId)) ProbeClock(store);
    }

    private void ProbeClock(IActorRef store) => store.Tell(new ClockProbe(_storeId, WallMs, MonotonicMs), Self);

    private void OnClockEcho(ClockEcho echo)
    {
        _directory.Heard(Sender.Path.Address);
        var roundTrip = MonotonicMs - echo.SentMonotonicMs;
        // The peer read its clock about half-way through the round trip.
        var offset = echo.PeerWallMs - (echo.SentWallMs + (roundTrip / 2));
        if (!_expiryClock.RecordOffset(echo.FromStore, offset, roundTrip, MonotonicMs)) return;
        var correction = _expiryClock.CorrectionMs(MonotonicMs);
        if (correction == _reportedCorrectionMs) return;
        _reportedCorrectionMs = correction;
        if (correction == 0)
            _log.Info("store {0}: wall clock agrees with the cluster's again (within {1}); stamping with it", _storeId, _settings.MaxClockOffset);
        else
            _log.Warning("store {0}: wall clock is {1} ms off the cluster's median (more than {2}): stamping writes and judging expiry with the cluster's time instead",
                _storeId, -correction, _settings.MaxClockOffset);
    }

    private sealed record ClockProbeTick : INoSerializationVerificationNeeded
    {
        public static ClockProbeTick Instance { get; } = new();
    }
}
