// Deliberately outside the AkkaRaft namespace: a type the allow-list must refuse.
namespace Intruder;

/// <summary>A type that no allow-list of ours names.</summary>
public sealed record NotOnTheList(string Command);
