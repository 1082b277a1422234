using System.Text;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.EventEmitters;
using YamlDotNet.Serialization.NamingConventions;

namespace OpeaChat.AppHost.Deployment;

/// <summary>Writes docker-compose.yaml and .env.example.</summary>
internal static class ComposeWriter
{
    public const string ComposeFileName = "docker-compose.yaml";
    public const string EnvExampleFileName = ".env.example";

    public static async Task<IReadOnlyList<string>> WriteAsync(ComposeDocument document, string outputDirectory, string command, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(outputDirectory);
        var composePath = Path.Combine(outputDirectory, ComposeFileName);
        var envPath = Path.Combine(outputDirectory, EnvExampleFileName);
        await File.WriteAllTextAsync(composePath, Compose(document, command), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(envPath, EnvExample(document, command), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        return [composePath, envPath];
    }

    public static string Compose(ComposeDocument document, string command)
    {
        var serializer = new SerializerBuilder()
            .WithNamingConvention(NullNamingConvention.Instance)
            .ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull)
            .WithQuotingNecessaryStrings()
            .WithEventEmitter(next => new QuoteComposeTextEmitter(next))
            .WithIndentedSequences()
            .Build();

        var text = new StringBuilder();
        text.Append("# Generated from the OpeaChat AppHost's app model by:\n");
        text.Append(CommandLine(command));
        text.Append("# Do not edit: change OpeaChat.AppHost and publish again. Settings go into .env (see .env.example).\n");
        if (document.ShapeLines.Count > 0)
        {
            text.Append("# Published with: ").Append(string.Join(", ", document.ShapeLines)).Append('\n');
        }

        text.Append("# Start, in this folder: cp .env.example .env; edit .env; docker compose up -d --build (docs/deployment.md).\n");
        text.Append(serializer.Serialize(document.Root));
        return text.ToString();
    }

    public static string EnvExample(ComposeDocument document, string command)
    {
        var text = new StringBuilder();
        text.Append("# Variables of docker-compose.yaml, written beside it by:\n");
        text.Append(CommandLine(command));
        text.Append("# Copy to .env (which is never committed), fill in the secrets, adjust the rest.\n");
        text.Append("# Required ones are marked; docker compose refuses to start while one is empty.\n");
        // The ones to fill in first, then the rest in the order docker-compose.yaml uses them.
        foreach (var variable in document.Variables.All.OrderBy(variable => variable.Required ? 0 : 1))
        {
            text.Append('\n');
            text.Append("# ").Append(variable.Description).Append('\n');
            if (variable.Required)
            {
                text.Append(variable.Secret ? "# Required, secret.\n" : "# Required.\n");
                text.Append(variable.Name).Append("=\n");
            }
            else
            {
                if (variable.Secret)
                {
                    text.Append("# Optional, secret.\n");
                }

                text.Append(variable.Name).Append('=').Append(variable.DefaultValue).Append('\n');
            }
        }

        return text.ToString();
    }

    private static string CommandLine(string command) => $"#   {command}\n";

    /// <summary>
    /// Double-quotes text that compose would otherwise misread: port pairs (<c>8888:8080</c> reads as a base-60 number
    /// in YAML 1.1), variable references and anything with a colon or a hash.
    /// </summary>
    private sealed class QuoteComposeTextEmitter(IEventEmitter next) : ChainedEventEmitter(next)
    {
        public override void Emit(ScalarEventInfo eventInfo, IEmitter emitter)
        {
            if (eventInfo.Source.Type == typeof(string) && eventInfo.Source.Value is string text
                && (text.Contains(':', StringComparison.Ordinal) || text.Contains('$', StringComparison.Ordinal) || text.Contains('#', StringComparison.Ordinal) || text.Length == 0))
            {
                eventInfo.Style = ScalarStyle.DoubleQuoted;
            }

            base.Emit(eventInfo, emitter);
        }
    }
}
