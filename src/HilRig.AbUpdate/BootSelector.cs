namespace HilRig.AbUpdate;

/// <summary>What the bootloader decided: the slot to boot (or none), the record to write first (or none), and why.</summary>
public sealed record BootDecision(SlotName? Boot, BootControlRecord? Write, IReadOnlyList<string> Log);

/// <summary>
/// The bootloader's slot choice, a pure function of the boot-control record so that the same logic and the same test
/// vectors (fixtures/ab/bootsel-vectors.json) serve process boards, the offline tools and an initramfs port:
/// <list type="number">
/// <item>the primary slot if it is good, or pending with tries left (one try is used up, and written, before booting);</item>
/// <item>a pending primary with no tries left is marked bad (tries exhausted);</item>
/// <item>otherwise the other slot if it is good (it becomes primary);</item>
/// <item>otherwise no bootable slot.</item>
/// </list>
/// With no primary at all, A then B is tried as "the other good slot". When a copy needs repair and nothing else changes,
/// the record is rewritten unchanged, so both copies are valid again.
/// </summary>
public static class BootSelector
{
    public static BootDecision Decide(BootControlRecord record, bool repairCopy = false)
    {
        var log = new List<string>();
        var r = record;
        var changed = false;
        SlotName? choice = null;

        if (r.Primary is { } p)
        {
            var s = r[p];
            switch (s.State)
            {
                case SlotState.Good:
                    choice = p;
                    break;
                case SlotState.Pending when s.TriesLeft > 0:
                    r = r.With(p, s with { TriesLeft = (byte)(s.TriesLeft - 1) });
                    changed = true;
                    choice = p;
                    log.Add($"slot {p} is pending: using a try ({s.TriesLeft} left before this boot, {s.TriesLeft - 1} after)");
                    break;
                case SlotState.Pending:
                    r = r.With(p, s.MarkBad(BadReason.TriesExhausted));
                    changed = true;
                    log.Add($"slot {p} used all its tries without being marked good: marked bad");
                    break;
                default:
                    log.Add($"primary slot {p} is {s.Describe()}");
                    break;
            }
        }

        if (choice is null)
        {
            SlotName[] candidates = r.Primary is { } prim ? [prim.Other()] : [SlotName.A, SlotName.B];
            foreach (var c in candidates)
            {
                if (r[c].State != SlotState.Good) continue;
                choice = c;
                if (r.Primary != c)
                {
                    r = r with { Primary = c };
                    changed = true;
                }
                log.Add(record.Primary is { } old ? $"fallback: slot {old} → slot {c}" : $"no primary slot: booting good slot {c}");
                break;
            }
        }

        if (choice is null) log.Add($"no bootable slot (A: {r.A.Describe()}, B: {r.B.Describe()})");
        if (!changed && repairCopy)
        {
            changed = true;
            log.Add("rewriting boot control to repair the invalid copy");
        }
        return new BootDecision(choice, changed ? r : null, log);
    }
}
