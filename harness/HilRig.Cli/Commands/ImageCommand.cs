using System.CommandLine;
using System.Diagnostics;
using HilRig.Cli.Output;
using HilRig.Engine.Runtime;
using HilRig.Rig.Drivers.ProcessBoard;
using HilRig.Rig.Images;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig image build [--arch x86_64] [--out DIR]</c>: the device image QEMU and container boards carry, from Debian's
/// packages and the NativeAOT agent, cached by its inputs; prints every output with its SHA-256.
/// </summary>
public static class ImageCommand
{
    public static Command Create()
    {
        var image = new Command("image", "The board image QEMU and container boards run");
        var arch = new Option<string>("--arch") { Description = "guest architecture", DefaultValueFactory = _ => "x86_64" };
        var output = new Option<string?>("--out") { Description = "where the image goes (default .tools/image/ARCH in the repository)" };
        var build = new Command("build", "Build (or confirm up to date) the PVH kernel, initramfs, A/B disk and container rootfs") { arch, output };
        build.SetAction((p, _) => Loading.GuardAsync(() => Task.FromResult(Build(p.GetValue(arch)!, p.GetValue(output)))));
        image.Subcommands.Add(build);
        return image;
    }

    private static int Build(string architecture, string? output)
    {
        var repository = DeviceLocator.RepositoryRoot() ?? throw new Loading.UsageException("run hilrig from its repository (the agent is built from src/)");
        var directory = output ?? BoardImage.DefaultDirectory(architecture);
        var watch = Stopwatch.StartNew();
        ImageManifest manifest;
        try
        {
            manifest = new ImageBuilder(repository, directory, line => Terminal.Line($"image: {line}")).Build(architecture);
        }
        catch (MissingPackageException e)
        {
            throw new Loading.UsageException(e.Message);
        }
        catch (ArgumentException e)
        {
            throw new Loading.UsageException(e.Message);
        }
        catch (Exception e) when (e is RigFaultException or InvalidDataException or IOException)
        {
            Terminal.Error($"hilrig: image build failed: {e.Message}");
            return ExitCodes.RigFault;
        }
        Terminal.Line($"image {Path.GetFullPath(directory)} (key {manifest.Key[..12]}, release {manifest.Release}) in {watch.Elapsed.TotalSeconds:0.0} s");
        foreach (var input in manifest.Inputs) Terminal.Line($"  input  {input.Name} {input.Identity}");
        foreach (var o in manifest.Outputs) Terminal.Line($"  {o.Sha256}  {o.File} ({o.Size} bytes)");
        return ExitCodes.Passed;
    }
}
