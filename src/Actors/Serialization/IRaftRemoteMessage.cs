namespace AkkaRaft.Actors.Serialization;

/// <summary>Marker for messages that cross nodes; bound to <see cref="AllowListHyperionSerializer"/> in reference.conf.</summary>
public interface IRaftRemoteMessage;
