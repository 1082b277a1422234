using Microsoft.Extensions.Options;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>
/// What a door asks of retrieval for one request, decided once the conversation (if any) is known: whether to
/// retrieve (the request's <c>use_documents</c>, else the conversation's, else the door's default: on for
/// <c>/v1/chatqna</c> as in OPEA, off for the OpenAI door) and which collection (the request's, else the conversation's).
/// </summary>
public sealed record RetrievalPlan(RetrievalQuery Query, bool IndexNameGiven, bool? UseDocuments, bool DoorDefault)
{
    /// <summary>The plan of a request's retrieval fields, or the first field that does not fit as (field, message).</summary>
    public static (RetrievalPlan? Plan, (string Field, string Message)? Problem) From(IRetrievalParameters fields, bool? useDocuments, bool doorDefault, int maxCandidates)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var (query, problem) = RetrievalQuery.From(fields, fields.IndexName, maxCandidates);
        return query is null ? (null, problem) : (new RetrievalPlan(query, !string.IsNullOrWhiteSpace(fields.IndexName), useDocuments, doorDefault), null);
    }

    public bool AppliesTo(ConversationRecord? conversation) => UseDocuments ?? conversation?.UseDocuments ?? DoorDefault;

    public RetrievalQuery QueryFor(ConversationRecord? conversation) =>
        IndexNameGiven || conversation?.IndexName is null ? Query : Query with { IndexName = IndexNames.OrDefault(conversation.IndexName) };
}

/// <summary>Retrieval and the RAG prompt together: the step the chat memory runs once it knows the question.</summary>
public sealed class RetrievalAugmenter(DocumentRetriever retriever, RagPrompt prompt, IOptions<RetrievalOptions> options)
{
    public async Task<RetrievedContext?> AugmentAsync(string question, RetrievalPlan? plan, ConversationRecord? conversation, string? model, CancellationToken cancellationToken)
    {
        if (plan is null || !options.Value.Enabled || !plan.AppliesTo(conversation))
        {
            return null;
        }

        var query = plan.QueryFor(conversation);
        var sources = await retriever.RetrieveAsync(question, query, cancellationToken);
        return await prompt.BuildAsync(sources, query, model, cancellationToken);
    }
}
