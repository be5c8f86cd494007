using System.Text.Json;
using HilRig.Update.Bundles;
using HilRig.Update.Cloud;

namespace HilRig.Simulators.Update;

/// <summary>
/// What a man in the middle of a unit's check-ins does to the cloud's answers (issue 13's attacks): relays them and keeps
/// the last one that carried an offer; plays that one back instead of the cloud's answer (<see cref="Replay"/>); or
/// re-signs each offer, changed by <see cref="Change"/>, with the cloud's signing key (<see cref="CloudKey"/>), which the
/// attacker is assumed to hold (an insider, a stolen key). Only the CM's checks of the offer's content then stand in the way.
/// </summary>
public sealed class OfferForgery : IDisposable
{
    private readonly Lock _gate = new();
    private string? _recorded;
    private SigningKey? _cloudKey;

    /// <summary>The cloud's offer-signing key, once the attacker holds it (owned from then on); none at first.</summary>
    public SigningKey? CloudKey
    {
        get => _cloudKey;
        set
        {
            if (!ReferenceEquals(_cloudKey, value)) _cloudKey?.Dispose();
            _cloudKey = value;
        }
    }

    /// <summary>How each offer is changed before it is re-signed; null relays offers as the cloud signed them.</summary>
    public Func<UpdateOffer, UpdateOffer>? Change { get; set; }

    /// <summary>Whether the recorded answer goes to the unit instead of the cloud's.</summary>
    public bool Replay { get; set; }

    /// <summary>The offer in the recorded answer (the last relayed one that carried an offer), if any.</summary>
    public UpdateOffer? RecordedOffer { get; private set; }

    /// <summary>
    /// The answer the unit gets for <paramref name="cloudAnswer"/> (a check-in answer's JSON) and what was done to it, for
    /// the attacker's log.
    /// </summary>
    public (string Answer, string Done) Answer(string cloudAnswer)
    {
        // Check-ins on several connections at once must not interleave their recording.
        lock (_gate)
        {
            if (Replay)
                return (_recorded ?? throw new InvalidOperationException("nothing to replay: no check-in answer with an offer was relayed yet"),
                    $"replaced by the recorded answer ({Describe(RecordedOffer!)})");
            var answer = JsonSerializer.Deserialize<CheckInResponse>(cloudAnswer, CloudApi.Json)
                         ?? throw new InvalidDataException($"the cloud's check-in answer is not a JSON object: {cloudAnswer}");
            if (answer.Offer is not { } signed) return (cloudAnswer, $"relayed ({answer.Action}: {answer.Reason})");
            var offer = UpdateOffer.ReadUnverified(signed);
            var done = $"relayed ({Describe(offer)})";
            if (Change is { } change)
            {
                var key = _cloudKey ?? throw new InvalidOperationException("re-signing an offer needs the cloud's signing key, and this attacker has none");
                var forged = change(offer);
                answer = answer with { Offer = JsonElement.Parse(forged.Sign(key)) };
                cloudAnswer = JsonSerializer.Serialize(answer, CloudApi.Json);
                done = $"re-signed with the cloud's key: {Describe(offer)} became {Describe(forged)}";
                offer = forged;
            }
            _recorded = cloudAnswer;
            RecordedOffer = offer;
            return (cloudAnswer, done);
        }
    }

    /// <summary>A change that sets one field of the offer (its JSON name) to <paramref name="value"/>.</summary>
    public static Func<UpdateOffer, UpdateOffer> Setting(string field, string value)
    {
        long Number() => long.TryParse(value, out var n) ? n : throw new ArgumentException($"offer field '{field}': '{value}' is not an integer");
        switch (field)
        {
            case "unitId": return o => o with { UnitId = value };
            case "nonce": return o => o with { Nonce = value };
            case "direction": return o => o with { Direction = value };
            case "metadataSha256": return o => o with { MetadataSha256 = value };
            case "imageVersion":
                var image = Number();
                return o => o with { ImageVersion = image };
            case "reportedImageVersion":
                var reported = Number();
                return o => o with { ReportedImageVersion = reported };
            case "manual":
                var manual = bool.TryParse(value, out var m) ? m : throw new ArgumentException($"offer field 'manual': '{value}' is not true or false");
                return o => o with { Manual = manual };
            default:
                throw new ArgumentException(
                    $"an offer has no field '{field}'; it has unitId, nonce, imageVersion, direction, manual, metadataSha256 and reportedImageVersion");
        }
    }

    private static string Describe(UpdateOffer o) =>
        $"image {o.ImageVersion} {o.Direction}, for unit '{o.UnitId}' at image {o.ReportedImageVersion}, nonce {o.Nonce}";

    public void Dispose() => _cloudKey?.Dispose();
}
