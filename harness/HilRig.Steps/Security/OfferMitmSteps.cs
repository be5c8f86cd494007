using HilRig.Engine.Bindings;
using HilRig.Engine.Runtime;
using HilRig.Simulators.Update;
using Reqnroll;

namespace HilRig.Steps.Security;

/// <summary>
/// Issue 13's attacks on the offer, played by a man in the middle of the unit's check-ins (<see cref="CloudMitm"/>): a
/// genuine offer recorded and played back later, and an offer re-signed with the cloud's key with one field changed.
/// The unit's refusal and the cloud's record of it are the update steps' to check.
/// </summary>
[Binding]
public sealed class OfferMitmSteps(CloudMitm mitm, ScenarioOutput output)
{
    [Given("the unit's CM reaches the cloud through a man in the middle on the cloud's host")]
    [StepSummary("an HTTPS proxy on the cloud's host with the cloud's server certificate and a unit certificate from its CA; the CM's update.cloud names it")]
    public Task InTheMiddle(CancellationToken ct) => mitm.StartAsync(ct);

    [Then("the man in the middle recorded the cloud's offer of image version {int}")]
    [StepSummary("the last check-in answer it relayed carried the cloud's signed offer of that image")]
    public void Recorded(int version)
    {
        var offer = mitm.Forgery.RecordedOffer ?? throw new AssertionFailedException("the man in the middle relayed no answer with an offer");
        if (offer.ImageVersion != version) throw new AssertionFailedException($"the man in the middle recorded an offer of image {offer.ImageVersion}, expected {version}");
        output.WriteLine($"recorded: {offer}");
    }

    [When("the man in the middle answers check-ins with the offer it recorded")]
    [StepSummary("replay: every later check-in gets the recorded answer (the cloud's genuine, signed offer) instead of the cloud's")]
    public void Replays()
    {
        if (mitm.Forgery.RecordedOffer is null) throw new InvalidOperationException("the man in the middle has recorded no offer to replay yet");
        mitm.Forgery.Replay = true;
    }

    [When("the man in the middle re-signs each offer with its {word} set to {string}")]
    [StepSummary("the attacker holds the cloud's signing key: each offer the cloud makes is changed so and signed again")]
    public void Resigns(string field, string value)
    {
        var change = OfferForgery.Setting(field, value);
        mitm.HoldCloudSigningKey();
        mitm.Forgery.Change = change;
    }

    [When("the man in the middle relays check-ins unchanged")]
    [StepSummary("the attacker gives up: answers pass as the cloud signed them")]
    public void Relays()
    {
        mitm.Forgery.Replay = false;
        mitm.Forgery.Change = null;
    }
}
