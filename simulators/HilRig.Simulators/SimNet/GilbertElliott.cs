namespace HilRig.Simulators.SimNet;

/// <summary>
/// Bursty loss as a two-state Markov chain (Gilbert–Elliott, as netem's "loss gemodel p r 1-h 1-k"):
/// the link moves Good→Bad with probability <see cref="P"/> and Bad→Good with <see cref="R"/> per frame,
/// and loses a frame with <see cref="LossInGood"/> in Good and <see cref="LossInBad"/> in Bad.
/// Mean burst length is 1/R frames; the long-run loss is (R·LossInGood + P·LossInBad) / (P + R).
/// </summary>
public sealed record GilbertElliott(double P, double R, double LossInGood = 0, double LossInBad = 1)
{
    public double StationaryLoss => P + R == 0 ? LossInGood : (R * LossInGood + P * LossInBad) / (P + R);
}
