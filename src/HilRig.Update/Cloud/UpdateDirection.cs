namespace HilRig.Update.Cloud;

/// <summary>What a check-in leads to (seed 001): nothing, the next version up, or the previous version down.</summary>
public enum UpdateDirection
{
    None,
    Next,
    Previous,
}
