namespace HilRig.Update.Grpc;

/// <summary>Where a UM's link to its CM stands (<c>um status</c> prints it as <c>cm: …</c>).</summary>
public enum CmLinkState
{
    /// <summary>Opening a RegisterUM stream; the CM has not accepted it yet.</summary>
    Connecting,

    /// <summary>The CM accepted the stream (sent its headers): commands can arrive.</summary>
    Registered,

    /// <summary>The last stream ended for a reason that passes (the CM restarted, the network broke, the lease ran out); trying again with back-off.</summary>
    Reconnecting,

    /// <summary>The CM said no to this node (its identity, or what it sent); asking again only slowly, since asking again changes nothing until someone fixes it.</summary>
    Refused,
}
