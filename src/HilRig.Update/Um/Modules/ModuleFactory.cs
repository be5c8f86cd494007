namespace HilRig.Update.Um.Modules;

/// <summary>Creates a module from its plugin name, as aos_updatemanager's updatemodules registry does.</summary>
public static class ModuleFactory
{
    public static IReadOnlyList<string> Plugins { get; } = ["file", "test", "rootfs-ab"];

    public static IUpdateModule Create(ModuleContext context) => context.Config.Plugin switch
    {
        "file" => new FileModule(context),
        "test" => new TestModule(context),
        "rootfs-ab" => new RootfsAbModule(context),
        var other => throw new UmConfigException($"module '{context.Config.Id}': unknown plugin '{other}' (known: {string.Join(", ", Plugins)})"),
    };
}
