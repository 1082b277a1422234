using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>What retrieval adds to a question: the chunks used (numbered as in the context) and the context text.</summary>
public sealed record RetrievedContext(IReadOnlyList<RetrievedSource> Sources, string Context, string Template)
{
    /// <summary>The question as the model sees it: the RAG template filled with the context and the question.</summary>
    public string Fill(string question) =>
        PromptTemplate.Fill(Template, new Dictionary<string, string> { ["context"] = Context, [Conversations.ChatMemory.QuestionVariable] = question });
}

/// <summary>
/// Fills OPEA's RAG prompt (the built-in <c>opea-chatqna</c> template, or the request's <c>chat_template</c>) with
/// the retrieved chunks, best first, as many as fit the context budget counted in the model's tokens: at most
/// <see cref="RetrievalOptions.MaxContextTokens"/> and at most half of what one request may use, so the history and
/// the reply keep room.
/// </summary>
public sealed class RagPrompt(RetrievalModelsClient models, InferenceContextSize contextSize, IOptions<RetrievalOptions> options)
{
    public async Task<RetrievedContext?> BuildAsync(IReadOnlyList<RetrievedSource> sources, RetrievalQuery query, string? model, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(query);
        if (sources.Count == 0)
        {
            return null;
        }

        using var activity = RetrievalTelemetry.Start("prompt");
        var budget = options.Value.MaxContextTokens;
        if (await contextSize.GetAsync(model, cancellationToken) is { } perRequest)
        {
            budget = Math.Min(budget, perRequest / 2);
        }

        var used = new List<RetrievedSource>();
        var context = new StringBuilder();
        var tokens = 0;
        foreach (var source in sources)
        {
            var entry = Entry(used.Count + 1, source);
            var count = await models.CountTokensAsync(entry, cancellationToken);
            if (tokens + count > budget)
            {
                continue; // A shorter chunk further down may still fit.
            }

            tokens += count;
            used.Add(source);
            context.Append(context.Length == 0 ? string.Empty : "\n\n").Append(entry);
        }

        activity?.SetTag("context_tokens", tokens);
        activity?.SetTag("chunks", used.Count);
        return used.Count == 0 ? null : new RetrievedContext(used, context.ToString(), query.ChatTemplate ?? BuiltInPrompts.OpeaChatQnAText);
    }

    /// <summary>"[1] handbook.pdf, page 3: text": numbered so that the model can cite and the page can link.</summary>
    private static string Entry(int number, RetrievedSource source)
    {
        var where = source.Page is { } page ? string.Create(CultureInfo.InvariantCulture, $"{source.Document}, page {page}") : source.Document;
        return string.Create(CultureInfo.InvariantCulture, $"[{number}] {where}: {source.Text}");
    }
}
