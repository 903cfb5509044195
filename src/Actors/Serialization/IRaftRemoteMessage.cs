namespace AkkaRaft.Actors.Serialization;

/// <summary>Marker for messages that cross nodes; bound to <see cref="RemoteMessageSerializer"/> in reference.conf, which admits only the types listed there.</summary>
internal interface IRaftRemoteMessage;
