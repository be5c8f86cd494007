using System.Net;
using System.Text;
using HilRig.Update.Cloud;

namespace HilRig.Cloud;

/// <summary>The upgrade dashboard of seed 000 as one server-rendered HTML page (no script, so it also reads in a terminal browser).</summary>
public static class DashboardPage
{
    public static string Render(DashboardFigures f, DateTimeOffset now)
    {
        static string E(object? v) => WebUtility.HtmlEncode(v?.ToString() ?? "–");
        static string Ago(DateTimeOffset seen, DateTimeOffset now)
        {
            var d = now - seen;
            return d < TimeSpan.FromMinutes(1) ? "Now" : d < TimeSpan.FromHours(1) ? $"{(int)d.TotalMinutes} minutes ago"
                : d < TimeSpan.FromDays(1) ? $"{(int)d.TotalHours} hours ago" : $"{(int)d.TotalDays} days ago";
        }
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>HilRig upgrade server</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
            .figures{display:flex;gap:2rem;margin-bottom:2rem}
            .figure{border:1px solid #ccc;border-radius:6px;padding:1rem 1.5rem;min-width:10rem}
            .figure b{display:block;font-size:2.2rem}
            .figure span{font-size:.75rem;letter-spacing:.08em;color:#666}
            table{border-collapse:collapse;margin-bottom:2rem}
            th,td{text-align:left;padding:.3rem 1rem;border-bottom:1px solid #eee}
            .on{color:#2a2}.off{color:#bbb}
            </style></head><body>
            <h1>Upgrade server</h1>
            <div class="figures">
            """);
        html.Append($"""<div class="figure" id="online"><b>{f.CurrentlyOnline}</b><span>CURRENTLY ONLINE</span></div>""");
        html.Append($"""<div class="figure" id="on-target"><b>{f.OnTargetPercent:0.#}%</b><span>DEVICES ON TARGET VERSION</span></div>""");
        html.Append($"""<div class="figure" id="in-progress"><b>{f.InProgressNow}</b><span>IN PROGRESS NOW</span></div>""");
        html.Append($"""<div class="figure" id="failed"><b>{f.FailedLast7Days}</b><span>FAILED UPGRADES LAST 7 DAYS</span></div>""");
        html.Append("</div>\n<h2>Groups</h2>\n<p>Devices that are assigned to groups that have the same target version and are upgraded together.</p>\n");
        html.Append("<table id=\"groups\"><tr><th>Group</th><th>Platform</th><th>Target</th><th>Devices on target</th></tr>\n");
        foreach (var g in f.Groups)
            html.Append($"<tr><td>{E(g.Name)}</td><td>{E(g.PlatformId)}</td><td>{E(g.Target)}</td><td>{g.OnTarget}/{g.Devices}</td></tr>\n");
        html.Append("</table>\n<h2>Ungrouped</h2>\n<p>Devices that are unassigned and are upgraded independently.</p>\n");
        html.Append("<table id=\"ungrouped\"><tr><th></th><th>Inventory ID</th><th>Platform</th><th>Version</th><th>Target</th><th>Last seen</th></tr>\n");
        foreach (var u in f.Ungrouped)
            html.Append($"<tr><td class=\"{(u.Online ? "on" : "off")}\">●</td><td>{E(u.UnitId)}</td><td>{E(u.PlatformId)}</td><td>{u.Version}</td><td>{E(u.Target)}</td><td>{E(Ago(u.LastSeen, now))}</td></tr>\n");
        html.Append("</table>\n</body></html>\n");
        return html.ToString();
    }
}
