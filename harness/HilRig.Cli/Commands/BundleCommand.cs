using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using HilRig.Cli.Output;
using HilRig.Update.Bundles;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig bundle create|verify|inspect</c>: update bundles of seed 001 (signed metadata + AES-256-GCM payloads
/// whose key is wrapped for the unit).
/// </summary>
public static class BundleCommand
{
    public static Command Create() => new("bundle", "Create, verify and inspect update bundles") { CreateCommand(), VerifyCommand(), InspectCommand() };

    private static Command CreateCommand()
    {
        var key = new Option<string>("--key") { Description = "PEM P-256 private key that signs the metadata", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "bundle file to write", Required = true };
        var recipients = new Option<string[]>("--recipient") { Description = "unit public key (PEM) to wrap the bundle key for; repeatable (default: fixtures/update/test-only-unit.pub.pem)", AllowMultipleArgumentsPerToken = false };
        var version = new Option<long>("--image-version") { Description = "imageVersion to put in the metadata (the cloud assigns its own on upload)", DefaultValueFactory = _ => 1 };
        var urlBase = new Option<string?>("--url-base") { Description = "base URL for component URLs (default: relative to the bundle)" };
        var files = new Argument<string[]>("FILE") { Description = "components as [ID[@VERSION]=]PATH", Arity = ArgumentArity.OneOrMore };
        var command = new Command("create", "Make a signed, encrypted bundle from component files") { key, output, recipients, version, urlBase, files };
        command.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            var builder = new BundleBuilder { ImageVersion = parse.GetValue(version), UrlBase = parse.GetValue(urlBase) };
            if (builder.ImageVersion < 1) throw new Loading.UsageException("--image-version must be at least 1");
            foreach (var file in parse.GetValue(files)!)
            {
                var component = ComponentSource.Parse(file);
                if (!File.Exists(component.Path)) throw new Loading.UsageException($"{component.Path}: no such file (component '{component.Id}')");
                try { builder.Add(component); }
                catch (ArgumentException e) { throw new Loading.UsageException(e.Message); }
            }
            var recipientPaths = parse.GetValue(recipients) is { Length: > 0 } given ? given : [DefaultFixture("test-only-unit.pub.pem")];
            foreach (var path in recipientPaths) builder.AddRecipient(Keys(() => KeyFiles.LoadAgreementPublicKey(path)));
            using var signer = Keys(() => SigningKey.Load(parse.GetValue(key)!));
            var outPath = parse.GetValue(output)!;
            var metadata = await builder.WriteAsync(outPath, signer, ct);
            Terminal.Line($"{outPath}: imageVersion {metadata.ImageVersion}, {metadata.Components.Count} component(s), signed by key {signer.Id}, wrapped for {recipientPaths.Length} unit key(s)");
            return ExitCodes.Passed;
        }));
        return command;
    }

    private static Command VerifyCommand()
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "bundle file" };
        var trust = new Option<string>("--trust")
        {
            Description = "the keys allowed to sign: a trust store JSON (keys with validity periods), or a PEM public key, or a PEM file of several public keys or certificates (as rauc --keyring)",
            Required = true,
        };
        var installed = new Option<long>("--installed-version") { Description = "the unit's installed imageVersion: an older or equal bundle is a replay", DefaultValueFactory = _ => 0 };
        var components = new Option<string?>("--components") { Description = "comma-separated component ids the unit's UMs update; others are refused" };
        var unitKey = new Option<string?>("--unit-key") { Description = "unit private key (PEM): also decrypt every payload" };
        var at = new Option<DateTimeOffset?>("--at") { Description = "check key validity at this time instead of now (ISO 8601)" };
        var command = new Command("verify", "Check a bundle as a unit would: exit 0 valid, 1 invalid with the reason") { bundle, trust, installed, components, unitKey, at };
        command.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            var path = parse.GetValue(bundle)!;
            if (!File.Exists(path)) throw new Loading.UsageException($"{path}: no such bundle");
            TrustStore store;
            try { store = TrustStore.Load(parse.GetValue(trust)!); }
            catch (TrustStoreException e) { throw new Loading.UsageException(e.Message); }
            var known = parse.GetValue(components)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            using var key = parse.GetValue(unitKey) is { } k ? Keys(() => KeyFiles.LoadAgreementKey(k)) : null;
            var time = parse.GetValue(at) is { } fixedTime ? new FixedTime(fixedTime) : TimeProvider.System;
            try
            {
                var metadata = await new BundleVerifier(store, time).VerifyFileAsync(path, new UpdatePolicy(parse.GetValue(installed), KnownComponents: known), key, ct);
                Terminal.Line($"{path}: valid — imageVersion {metadata.ImageVersion}, components {string.Join(", ", metadata.Components.Select(c => $"{c.Id} {c.Version}"))}{(key is null ? "" : ", decrypted")}");
                return ExitCodes.Passed;
            }
            catch (BundleRejectedException e)
            {
                Terminal.Line($"{path}: invalid — {e.Message}", $"{Terminal.Escape(path)}: [red]invalid[/] — {Terminal.Escape(e.Message)}");
                return ExitCodes.Failed;
            }
        }));
        return command;
    }

    private static Command InspectCommand()
    {
        var bundle = new Argument<string>("BUNDLE") { Description = "bundle file" };
        var json = CommonOptions.Json();
        var command = new Command("inspect", "Show a bundle's metadata (without checking it)") { bundle, json };
        command.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            var path = parse.GetValue(bundle)!;
            if (!File.Exists(path)) throw new Loading.UsageException($"{path}: no such bundle");
            try
            {
                var bytes = await BundleArchive.ReadMetadataAsync(path, ct);
                var (metadata, document) = MetadataDocument.ReadUnverified(bytes, $"{path}!{BundleArchive.MetadataEntry}");
                if (parse.GetValue(json))
                {
                    var view = new BundleJson(document.KeyId, metadata.ImageVersion,
                        metadata.Components.Select(c => new ComponentJson(c.Id, c.Version, c.Description, c.AnnotationsJson, c.Urls, c.Sha256Hex, c.Sha512Hex, c.Size)).ToList(),
                        metadata.DecryptionInfo.Algorithm, metadata.DecryptionInfo.ChunkSize, metadata.DecryptionInfo.Recipients.Select(r => r.KeyId).ToList());
                    Console.Out.WriteLine(JsonSerializer.Serialize(view, BundleJsonContext.Utf8.BundleJson));
                }
                else
                {
                    Terminal.Line($"bundle {path}");
                    Terminal.Line($"  imageVersion: {metadata.ImageVersion}");
                    Terminal.Line($"  signed by key: {document.KeyId}");
                    Terminal.Line($"  encryption: {metadata.DecryptionInfo.Algorithm}, {metadata.DecryptionInfo.ChunkSize}-byte chunks, key wrapped for {string.Join(", ", metadata.DecryptionInfo.Recipients.Select(r => r.KeyId))}");
                    foreach (var c in metadata.Components)
                        Terminal.Line($"  component {c.Id} {c.Version}: {c.Size} bytes, sha256 {c.Sha256Hex}, urls {string.Join(" ", c.Urls)}{(c.Description is null ? "" : $" — {c.Description}")}");
                }
                return ExitCodes.Passed;
            }
            catch (BundleRejectedException e)
            {
                Terminal.Error($"{path}: {e.Message}");
                return ExitCodes.Failed;
            }
        }));
        return command;
    }

    private static T Keys<T>(Func<T> load)
    {
        try { return load(); }
        catch (KeyFileException e) { throw new Loading.UsageException(e.Message); }
    }

    private static string DefaultFixture(string file) =>
        Path.Combine(Rig.Drivers.ProcessBoard.DeviceLocator.RepositoryRoot() ?? ".", "fixtures", "update", file);

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

public sealed record BundleJson(string SignedBy, long ImageVersion, IReadOnlyList<ComponentJson> Components, string Encryption, int ChunkSize, IReadOnlyList<string> Recipients);

public sealed record ComponentJson(string Id, string Version, string? Description, string? Annotations, IReadOnlyList<string> Urls, string Sha256, string Sha512, long Size);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(BundleJson))]
internal sealed partial class BundleJsonContext : JsonSerializerContext
{
    /// <summary>Indented camelCase, text as UTF-8 (<see cref="JsonText"/>).</summary>
    public static readonly BundleJsonContext Utf8 = new(JsonText.Options(indented: true, JsonNamingPolicy.CamelCase));
}
