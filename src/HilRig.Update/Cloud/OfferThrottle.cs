namespace HilRig.Update.Cloud;

/// <summary>
/// "To exclude frequent updates, AosCloud should send a new update only after a defined timeout" (seed 001): an
/// automatic offer to a unit at most once per <see cref="Period"/>; a manual trigger is not throttled.
/// </summary>
public sealed record OfferThrottle(TimeSpan Period)
{
    public static OfferThrottle Daily { get; } = new(TimeSpan.FromDays(1));

    public bool Allows(DateTimeOffset? lastAutomaticOffer, DateTimeOffset now, bool manual) =>
        manual || lastAutomaticOffer is not { } last || now - last >= Period;

    public DateTimeOffset? NextAllowed(DateTimeOffset? lastAutomaticOffer) => lastAutomaticOffer + Period;
}
