using System.Diagnostics;
using HilRig.Engine.Runtime;

namespace HilRig.Rig.Drivers.Container;

/// <summary>
/// Makes sure no board container outlives the harness. Every container carries the label
/// <c>hilrig.run=<see cref="DockerEngine.RunId"/></c>. A normal exit or an interrupt removes them in-process
/// (<see cref="Leftovers"/>); a SIGKILL of the harness runs nothing in-process, so a small shell process — started once,
/// with a pipe from the harness as its stdin — waits for that pipe to close (the kernel closes it however the harness
/// ends), then removes this run's containers and, when it was the last user of the harness-started dockerd, stops it.
/// It ignores SIGINT/SIGTERM/SIGHUP, so a Ctrl-C to the process group does not take it down before it has cleaned up.
/// This is Testcontainers' Ryuk idea without its image (which cannot be pulled here).
/// </summary>
public static class ContainerReaper
{
    public const string RunLabel = "hilrig.run";
    public const string BoardLabel = "hilrig.board";

    private static readonly object Gate = new();
    private static Process? _reaper;

    /// <summary>The shell script; $1 is the run id, $2 the users lock, $3 the owner record.</summary>
    internal const string Script = """
        trap '' INT TERM HUP
        read -r _
        ids=$(docker ps -aq --filter "label=hilrig.run=$1" 2>/dev/null)
        [ -n "$ids" ] && docker rm -f $ids >/dev/null 2>&1
        [ -f "$3" ] || exit 0
        exec 9<"$2"
        flock -n -x 9 || exit 0
        pid=$(cat "$3" 2>/dev/null) || exit 0
        kill -TERM "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$pid" 2>/dev/null
        rm -f "$3"
        """;

    /// <summary>Starts the reaper once per process and registers the in-process clean-up.</summary>
    public static void EnsureStarted()
    {
        lock (Gate)
        {
            if (_reaper is not null) return;
            var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = true };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add(Script);
            info.ArgumentList.Add("hilrig-container-reaper");
            info.ArgumentList.Add(DockerEngine.RunId);
            info.ArgumentList.Add(DockerEngine.UsersLock);
            info.ArgumentList.Add(DockerEngine.OwnerRecord);
            _reaper = Process.Start(info) ?? throw new RigFaultException("could not start the container reaper (/bin/sh)");
            // Before the daemon is left (order 2): removing containers needs it.
            Leftovers.Register("board containers", RemoveRunContainers, order: 0);
        }
    }

    /// <summary>The reaper's pid, for tests that kill the harness and check what it left.</summary>
    internal static int? ProcessId
    {
        get
        {
            lock (Gate) return _reaper?.Id;
        }
    }

    /// <summary>Removes every container of this run (what the boards' own disposal missed: a scenario abandoned mid-way).</summary>
    public static void RemoveRunContainers()
    {
        try
        {
            var ids = Docker("ps", "-aq", "--filter", $"label={RunLabel}={DockerEngine.RunId}").Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (ids.Length > 0) Docker(["rm", "-f", .. ids]);
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            // No daemon or no CLI: nothing of ours can be running there.
        }
    }

    private static string Docker(params string[] arguments)
    {
        var info = new ProcessStartInfo("docker") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment["DOCKER_API_VERSION"] = DockerEngine.ApiVersion;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30))) process.Kill();
        return output;
    }
}
