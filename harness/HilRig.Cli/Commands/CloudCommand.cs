using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using HilRig.Cli.Output;
using HilRig.Cloud;
using HilRig.Cloud.Security;
using Microsoft.Extensions.Logging;

namespace HilRig.Cli.Commands;

/// <summary>
/// <c>hilrig cloud serve|enroll|revoke|token</c>: the update cloud for people, outside a scenario. <c>serve</c> runs it in
/// the foreground over HTTPS, making what its data directory lacks (signing key, CA, server certificate, an operator
/// token with every role in <c>DIR/admin.token</c>); <c>enroll</c> issues a unit its certificate; <c>revoke</c> takes a
/// unit's certificates back; <c>token add|list|revoke</c> manage operator tokens (stored hashed). All work on the data
/// directory, with the cloud running or not.
/// </summary>
public static class CloudCommand
{
    public static Command Create() => new("cloud", "Run the update cloud; enroll units; manage operator tokens")
    {
        ServeCommand(), EnrollCommand(), RevokeCommand(), TokenCommand(),
    };

    private static Option<string> Data() => new("--data") { Description = "the cloud's data directory", Required = true };

    private static Command ServeCommand()
    {
        var data = Data();
        var listen = new Option<string>("--listen") { Description = "HTTPS URL to listen on", DefaultValueFactory = _ => "https://127.0.0.1:8480" };
        var publicUrl = new Option<string?>("--public-url") { Description = "the URL units reach the cloud at (default: the listen URL)" };
        var key = new Option<string?>("--key") { Description = "PEM key that signs metadata and offers (default: DIR/signing.pem, made if missing)" };
        var trust = new Option<string?>("--upload-trust") { Description = "trust store of OEM keys uploads must be signed with (default: DIR/upload-trust.json, made empty if missing)" };
        var throttle = new Option<string?>("--throttle") { Description = "automatic offers to a unit at most once per this period, e.g. 1.00:00:00 (default one day)" };
        var command = new Command("serve", "Run the cloud in the foreground over HTTPS until Ctrl-C") { data, listen, publicUrl, key, trust, throttle };
        command.SetAction((parse, ct) => Loading.GuardAsync(async () =>
        {
            var options = new CloudOptions
            {
                DataDirectory = parse.GetValue(data)!,
                Listen = parse.GetValue(listen)!,
                PublicUrl = parse.GetValue(publicUrl) is { } p ? Url(p, "--public-url") : null,
                SigningKeyPath = parse.GetValue(key),
                UploadTrustPath = parse.GetValue(trust),
                ThrottlePeriod = parse.GetValue(throttle) is { } t
                    ? TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var period) && period >= TimeSpan.Zero ? period : throw new Loading.UsageException($"--throttle '{t}' is not a period such as 1.00:00:00")
                    : TimeSpan.FromDays(1),
            };
            Url(options.Listen, "--listen");
            CloudHost host;
            try
            {
                host = await CloudHost.StartAsync(options, logging: CloudHost.ConsoleLogging, ct: ct);
            }
            catch (Exception e) when (e is ArgumentException or CloudSetupException)
            {
                throw new Loading.UsageException(e.Message);
            }
            catch (IOException e)
            {
                Terminal.Error($"hilrig: the cloud could not start: {e.Message}");
                return ExitCodes.RigFault;
            }
            await using (host)
            {
                foreach (var made in host.Created) Terminal.Line($"created {made}");
                Terminal.Line($"cloud listening on {host.Address} (data {host.Data.Root})");
                Terminal.Line($"  units: `hilrig cloud enroll --data {host.Data.Root} --unit ID --out DIR`, then trust {host.Data.CaCertificate}");
                Terminal.Line($"  operators: Authorization: Bearer $(cat {host.Data.AdminToken})");
                try { await Task.Delay(Timeout.Infinite, ct); }
                catch (OperationCanceledException) { }
                Terminal.Line("cloud stopped");
            }
            return ExitCodes.Passed;
        }));
        return command;
    }

    private static Command EnrollCommand()
    {
        var data = Data();
        var unit = new Option<string>("--unit") { Description = "the unit id (the certificate's common name)", Required = true };
        var output = new Option<string>("--out") { Description = "directory to write unit.crt, unit.key and ca.crt to", Required = true };
        var days = new Option<int>("--days") { Description = "days the certificate is valid", DefaultValueFactory = _ => 365 };
        var command = new Command("enroll", "Issue a unit its client certificate from the cloud's CA (unit.crt, unit.key, ca.crt)") { data, unit, output, days };
        command.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            var d = parse.GetValue(days);
            if (d < 1) throw new Loading.UsageException($"--days {d}: at least 1");
            var now = DateTimeOffset.UtcNow;
            var record = await Guard(() => CloudEnrollment.EnrollAsync(new CloudDataDirectory(parse.GetValue(data)!), parse.GetValue(unit)!, parse.GetValue(output)!, now, notAfter: now.AddDays(d)));
            Terminal.Line($"enrolled unit '{record.UnitId}': certificate {record.Serial}, valid until {record.NotAfter:O}; wrote {CloudEnrollment.CertificateFile}, {CloudEnrollment.KeyFile}, {CloudEnrollment.CaFile} to {parse.GetValue(output)}");
            return ExitCodes.Passed;
        }));
        return command;
    }

    private static Command RevokeCommand()
    {
        var data = Data();
        var unit = new Option<string>("--unit") { Description = "the unit whose certificates to revoke", Required = true };
        var command = new Command("revoke", "Revoke every certificate issued to a unit (the cloud refuses it from the next request)") { data, unit };
        command.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            var id = parse.GetValue(unit)!;
            var certificates = await Guard(() => CloudEnrollment.RevokeAsync(Existing(parse.GetValue(data)!), id, DateTimeOffset.UtcNow));
            if (certificates.Count == 0) throw new Loading.UsageException($"unit '{id}' was never enrolled in {parse.GetValue(data)}");
            foreach (var c in certificates) Terminal.Line($"unit '{id}' certificate {c.Serial}: revoked at {c.RevokedAt:O}");
            return ExitCodes.Passed;
        }));
        return command;
    }

    private static Command TokenCommand()
    {
        var token = new Command("token", "Operator tokens: add, list, revoke");

        var data = Data();
        var role = new Option<string>("--role") { Description = "oem, operator and/or viewer (comma-separated)", Required = true };
        var name = new Option<string?>("--name") { Description = "who or what the token is for (shown in lists and logs)" };
        var add = new Command("add", "Issue a token; prints it once (the cloud keeps only its hash)") { data, role, name };
        add.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            OperatorRole roles;
            try { roles = OperatorRoles.Parse(parse.GetValue(role)!); }
            catch (ArgumentException e) { throw new Loading.UsageException($"--role: {e.Message}"); }
            var (text, record) = OperatorToken.New(roles, parse.GetValue(name) ?? OperatorRoles.Format(roles), DateTimeOffset.UtcNow);
            await WithStore(parse.GetValue(data)!, s => s.AddToken(record), create: true);
            Console.Out.WriteLine(text);
            Terminal.Error($"token {record.Id} ('{record.Name}', {OperatorRoles.Format(roles)}): keep it, it is not shown again");
            return ExitCodes.Passed;
        }));

        var listData = Data();
        var json = CommonOptions.Json();
        var list = new Command("list", "The tokens: id, roles, name, created, revoked (never the tokens themselves)") { listData, json };
        list.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            var tokens = await WithStore(parse.GetValue(listData)!, s => s.Tokens());
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(tokens.Select(t => new TokenJson(t.Id, OperatorRoles.Format(t.Roles).Split(','), t.Name, t.CreatedAt, t.RevokedAt)).ToList(),
                    CloudCliJson.Default.ListTokenJson));
                return ExitCodes.Passed;
            }
            foreach (var t in tokens)
                Terminal.Line($"{t.Id}  {OperatorRoles.Format(t.Roles),-20}  {t.Name,-16}  created {t.CreatedAt:yyyy-MM-dd HH:mm}{(t.RevokedAt is { } r ? $"  REVOKED {r:yyyy-MM-dd HH:mm}" : "")}");
            return ExitCodes.Passed;
        }));

        var revokeData = Data();
        var id = new Argument<string>("ID") { Description = "the token's id (from `token list`), or the token itself" };
        var revoke = new Command("revoke", "Revoke a token: the cloud refuses it from the next request") { revokeData, id };
        revoke.SetAction((parse, _) => Loading.GuardAsync(async () =>
        {
            var given = parse.GetValue(id)!.Trim();
            var tokenId = OperatorToken.IdOf(given, out var notAToken) is { } parsed ? parsed : given;
            var before = await WithStore(parse.GetValue(revokeData)!, s =>
            {
                var stored = s.Token(tokenId);
                if (stored is { RevokedAt: null }) s.RevokeToken(tokenId, DateTimeOffset.UtcNow);
                return stored;
            });
            if (before is null) throw new Loading.UsageException($"no token {tokenId} in {parse.GetValue(revokeData)} (see `hilrig cloud token list`)");
            if (before.RevokedAt is { } at) throw new Loading.UsageException($"token {tokenId} was already revoked at {at:O}");
            Terminal.Line($"token {tokenId} revoked");
            return ExitCodes.Passed;
        }));

        token.Subcommands.Add(add);
        token.Subcommands.Add(list);
        token.Subcommands.Add(revoke);
        return token;
    }

    private static Uri Url(string text, string option) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new Loading.UsageException($"{option} '{text}' is not a URL");

    /// <summary>A data directory that must already hold a cloud (for commands that only read or revoke).</summary>
    private static CloudDataDirectory Existing(string path)
    {
        var data = new CloudDataDirectory(path);
        if (!File.Exists(data.Database)) throw new Loading.UsageException($"{path} holds no cloud ({data.Database} is missing)");
        return data;
    }

    private static async Task<T> WithStore<T>(string path, Func<CloudStore.Session, T> work, bool create = false)
    {
        var data = create ? new CloudDataDirectory(path) : Existing(path);
        Directory.CreateDirectory(data.Root);
        using var store = new CloudStore(data.Database);
        return await store.InTransactionAsync(work);
    }

    private static Task WithStore(string path, Action<CloudStore.Session> work, bool create) =>
        WithStore(path, s =>
        {
            work(s);
            return true;
        }, create);

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try { return await action(); }
        catch (Exception e) when (e is ArgumentException or CloudSetupException or IOException or UnauthorizedAccessException)
        {
            throw new Loading.UsageException(e.Message);
        }
    }
}

public sealed record TokenJson(string Id, string[] Roles, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(List<TokenJson>))]
internal sealed partial class CloudCliJson : System.Text.Json.Serialization.JsonSerializerContext;
