using System.Security.Cryptography;
using System.Text;
using Gherkin.CucumberMessages;
using HilRig.Engine.Runtime;

namespace HilRig.Engine.Gherkin;

/// <summary>
/// Ids for the AST nodes and pickles of one feature file, derived from the file's path and a counter: the same file
/// gets the same ids in every process, so the <c>id</c> that <c>hilrig list --json</c> prints is the pickle id in a
/// run's <c>cucumber-messages.ndjson</c>, and ids never collide between files (or between shards of one run).
/// </summary>
public sealed class StableIdGenerator(string uri) : IIdGenerator
{
    private readonly string _prefix = StableSeed.NormalizeUri(uri) + "\n";
    private int _next;

    public string GetNewId()
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(_prefix + _next++), hash);
        return new Guid(hash[..16]).ToString();
    }
}
