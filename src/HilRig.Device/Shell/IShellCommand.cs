namespace HilRig.Device.Shell;

/// <summary>A command of the device's console shell. Services add their own (e.g. <c>ab status</c>).</summary>
public interface IShellCommand
{
    string Name { get; }

    /// <summary>One line for <c>help</c>.</summary>
    string Summary { get; }

    /// <summary>Runs the command; the return value is its exit code, as in sh.</summary>
    Task<int> RunAsync(ShellContext context, IReadOnlyList<string> args);
}

/// <summary>A shell command written as a lambda.</summary>
public sealed class DelegateCommand(string name, string summary, Func<ShellContext, IReadOnlyList<string>, Task<int>> run) : IShellCommand
{
    public string Name => name;

    public string Summary => summary;

    public Task<int> RunAsync(ShellContext context, IReadOnlyList<string> args) => run(context, args);
}
