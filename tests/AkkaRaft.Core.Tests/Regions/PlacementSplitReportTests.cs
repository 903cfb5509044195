using AkkaRaft.Core.Raft;
using AkkaRaft.Core.Regions;
using static AkkaRaft.Core.Tests.Keys;

namespace AkkaRaft.Core.Tests.Regions;

public sealed class PlacementSplitReportTests
{
    private static PlacementResult Apply(PlacementStateMachine machine, PlacementCommand command) =>
        (PlacementResult)machine.Apply([new CommittedCommand(machine.AppliedIndex + 1, 1, PlacementCodec.Encode(command))])[0]!;

    /// <summary>Bootstrapped ["", "m") = region 1 and ["m", "") = region 2, plus ids reserved for splits.</summary>
    private static PlacementStateMachine Bootstrapped()
    {
        var machine = new PlacementStateMachine();
        Apply(machine, new BootstrapCommand([1, 2, 3], [.. KeyRange.FromSplitKeys([K("m")])]));
        Apply(machine, new AllocateIdsCommand(100));
        return machine;
    }

    private static Region Half(PlacementStateMachine machine, ulong id, string start, string end, ulong version) =>
        new(id, K(start), K(end), new RegionEpoch(1, version), machine.FindById(1)!.Region.Peers);

    [Fact]
    public void A_split_report_records_both_halves_at_once_and_a_repeat_is_a_no_op()
    {
        var machine = Bootstrapped();
        var (left, right) = (Half(machine, 1, "", "f", 2), Half(machine, 50, "f", "m", 2));

        var first = Assert.IsType<PlacementResult.SplitRecorded>(Apply(machine, new ReportSplitCommand(left, right)));
        var again = Assert.IsType<PlacementResult.SplitRecorded>(Apply(machine, new ReportSplitCommand(left, right)));

        Assert.False(first.AlreadyRecorded);
        Assert.True(again.AlreadyRecorded);
        Assert.Equal([1UL, 50UL, 2UL], machine.Regions.Select(r => r.Region.Id));
        Assert.Equal(50UL, machine.FindByKey(K("g"))!.Region.Id);
        Assert.Equal(1UL, machine.FindByKey(K("a"))!.Region.Id);
        Assert.True(LayoutValidation.Validate([.. machine.Regions.Select(r => r.Region)]).IsValid);
    }

    [Fact]
    public void A_report_older_than_the_recorded_metadata_is_rejected_and_changes_nothing()
    {
        var machine = Bootstrapped();
        Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 50, "f", "m", 2)));
        Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "c", 3), Half(machine, 60, "c", "f", 3)));
        var before = machine.Regions;

        // A stale replica reports a different split of the same parent at version 2.
        var stale = Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "d", 2), Half(machine, 70, "d", "m", 2)));

        Assert.Contains("newer metadata", Assert.IsType<PlacementResult.Rejected>(stale).Reason, StringComparison.Ordinal);
        Assert.Equal(before, machine.Regions);
    }

    [Fact]
    public void Split_reports_arriving_out_of_order_still_end_in_the_latest_layout()
    {
        var machine = Bootstrapped();
        var later = new ReportSplitCommand(Half(machine, 1, "", "c", 3), Half(machine, 60, "c", "f", 3));
        var earlier = new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 50, "f", "m", 2));

        Apply(machine, later);
        Assert.IsType<PlacementResult.SplitRecorded>(Apply(machine, earlier));

        Assert.Equal(["region 1 [\"\", \"c\") v1/3", "region 60 [\"c\", \"f\") v1/3", "region 50 [\"f\", \"m\") v1/2", "region 2 [\"m\", \"\") v1/1"],
            machine.Regions.Select(r => r.Region.ToString()));
    }

    [Fact]
    public void Malformed_split_reports_are_rejected()
    {
        var machine = Bootstrapped();

        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 50, "g", "m", 2))));
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 50, "f", "m", 3))));
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 9999, "f", "m", 2))));
        Assert.IsType<PlacementResult.Rejected>(Apply(machine, new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 1, "f", "m", 2))));
        Assert.Equal(2, machine.Regions.Count);
    }

    [Fact]
    public void Split_reports_survive_the_codec_and_the_snapshot()
    {
        var machine = Bootstrapped();
        var report = new ReportSplitCommand(Half(machine, 1, "", "f", 2), Half(machine, 50, "f", "m", 2));
        var decoded = Assert.IsType<ReportSplitCommand>(PlacementCodec.Decode(PlacementCodec.Encode(report)));
        Apply(machine, decoded);

        var copy = new PlacementStateMachine();
        copy.Restore(machine.TakeSnapshot(), machine.AppliedIndex);

        Assert.Equal((report.Left, report.Right), (decoded.Left, decoded.Right));
        Assert.Equal(machine.Regions, copy.Regions);
        Assert.Equal([1UL, 50UL, 2UL], copy.Regions.Select(r => r.Region.Id));
    }
}
