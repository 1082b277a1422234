using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Prompts;
using OpeaChat.Contracts.Retrieval;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>
/// The gateway's extension fields of both chat doors' requests: <c>conversation_id</c> (memory: the history comes from
/// the store and the reply is saved there), <c>prompt_id</c> and <c>variables</c> (a system prompt or prompt template).
/// </summary>
public sealed record MemoryFields
{
    public Guid? ConversationId { get; init; }
    public string? PromptId { get; init; }
    public Dictionary<string, string>? Variables { get; init; }
}

/// <summary>
/// A chat ready to send, (with memory) the turn whose reply must be saved, and the sources retrieval added to the
/// question (empty when it answers from the model alone).
/// </summary>
public sealed record PreparedChat(ChatCompletionRequest Request, ConversationTurn? Turn, IReadOnlyList<RetrievedSource> Sources)
{
    public PreparedChat(ChatCompletionRequest request, ConversationTurn? turn)
        : this(request, turn, [])
    {
    }
}

/// <summary>
/// Builds what the model sees from a conversation (its system prompt or prompt, its active branch, its generation
/// settings) and records each turn: the user message before generation, the reply when it ends however it ends.
/// With a <see cref="RetrievalPlan"/>, the newest question is answered from the documents: the retrieved chunks fill
/// a prompt template's <c>{context}</c>, or else OPEA's RAG template around the question, for the model only (the
/// stored message stays what the person wrote).
/// </summary>
public sealed class ChatMemory(ConversationStore conversations, MessageTreeStore messageTrees, PromptStore prompts, RetrievalAugmenter retrieval)
{
    /// <summary>The variable of a prompt template that the retrieved chunks fill.</summary>
    public const string ContextVariable = "context";

    /// <summary>The variable a prompt template's newest user message fills.</summary>
    public const string QuestionVariable = "question";

    public async Task<PreparedChat> PrepareAsync(ChatCompletionRequest request, MemoryFields fields, CancellationToken cancellationToken, RetrievalPlan? plan = null)
    {
        if (fields.ConversationId is not { } conversationId)
        {
            var messages = (request.Messages ?? []).ToList();
            var question = messages.LastOrDefault(message => message.Role == "user")?.Content?.Text;
            var context = question is null ? null : await retrieval.AugmentAsync(question, plan, null, request.Model, cancellationToken);
            var prompt = fields.PromptId is null ? null : await GetPromptAsync(fields.PromptId, cancellationToken);
            messages = ApplyContextAndPrompt(messages, prompt, fields.Variables ?? [], hasSystemPrompt: false, context);
            return new PreparedChat(request with { Messages = messages }, null, context?.Sources ?? []);
        }

        var conversation = await conversations.GetAsync(conversationId, cancellationToken)
            ?? throw new ConversationStoreException(ConversationStoreError.ConversationNotFound, $"Conversation {conversationId} was not found.", "conversation_id");
        var newest = request.Messages?.LastOrDefault(message => message.Role == "user")
            ?? throw new ConversationStoreException(ConversationStoreError.Invalid,
                "With conversation_id, messages must hold the new user message; the history comes from the conversation.", "messages");
        var user = await messageTrees.AddUserMessageAsync(conversationId, newest.Content?.Text ?? string.Empty, null, cancellationToken);
        var branch = await messageTrees.GetActiveBranchAsync(conversationId, cancellationToken);
        return await BuildAsync(request, fields, conversation, branch, user.Id, plan, cancellationToken);
    }

    /// <summary>
    /// A new reply to a message already stored: an assistant message (its user message is answered again, the old
    /// reply stays as a sibling) or the user message at the end of the active branch (after an edit).
    /// </summary>
    public async Task<PreparedChat> PrepareRegenerationAsync(Guid conversationId, Guid messageId, ChatCompletionRequest request, CancellationToken cancellationToken, RetrievalPlan? plan = null)
    {
        var conversation = await conversations.GetAsync(conversationId, cancellationToken)
            ?? throw new ConversationStoreException(ConversationStoreError.ConversationNotFound, $"Conversation {conversationId} was not found.", "conversation_id");
        var branch = await messageTrees.GetActiveBranchAsync(conversationId, cancellationToken);
        IReadOnlyList<MessageRecord> history;
        Guid userMessageId;
        if (branch.Count > 0 && branch[^1].Id == messageId && branch[^1].Role == "user")
        {
            history = branch;
            userMessageId = messageId;
        }
        else
        {
            var context = await messageTrees.GetRegenerationContextAsync(conversationId, messageId, cancellationToken);
            history = context.Branch;
            userMessageId = context.UserMessage.Id;
        }

        return await BuildAsync(request, new MemoryFields(), conversation, history, userMessageId, plan, cancellationToken);
    }

    private async Task<PreparedChat> BuildAsync(
        ChatCompletionRequest request, MemoryFields fields, ConversationRecord conversation, IReadOnlyList<MessageRecord> history, Guid userMessageId,
        RetrievalPlan? plan, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>();
        var systemOverride = request.Messages?.FirstOrDefault(message => message.Role is "system" or "developer");
        var system = systemOverride?.Content?.Text ?? conversation.SystemPrompt;
        if (!string.IsNullOrWhiteSpace(system))
        {
            messages.Add(ChatMessage.Create("system", system));
        }

        // A failed reply has nothing the model should read; a stopped one is what the person saw, so it stays.
        messages.AddRange(history
            .Where(message => message.Role != "assistant" || message.Status != MessageStatuses.Failed)
            .Select(message => ChatMessage.Create(message.Role, message.Content)));

        var model = string.IsNullOrEmpty(request.Model) ? conversation.Model : request.Model;
        var question = history.LastOrDefault(message => message.Id == userMessageId)?.Content;
        var context = question is null ? null : await retrieval.AugmentAsync(question, plan, conversation, model, cancellationToken);
        var promptId = fields.PromptId ?? conversation.PromptId;
        var variables = new Dictionary<string, string>(conversation.Variables);
        foreach (var (name, value) in fields.Variables ?? [])
        {
            variables[name] = value;
        }

        var prompt = promptId is null ? null : await GetPromptAsync(promptId, cancellationToken);
        messages = ApplyContextAndPrompt(messages, prompt, variables, hasSystemPrompt: !string.IsNullOrWhiteSpace(system), context);

        var prepared = request with
        {
            Messages = messages,
            Model = model,
            Temperature = request.Temperature ?? conversation.Temperature,
            TopP = request.TopP ?? conversation.TopP,
            MaxTokens = request.MaxTokens ?? conversation.MaxTokens,
            Seed = request.Seed ?? conversation.Seed,
        };
        var turn = new ConversationTurn(messageTrees, conversation.Id, userMessageId) { Sources = context?.Sources };
        return new PreparedChat(prepared, turn, context?.Sources ?? []);
    }

    /// <summary>
    /// The retrieved context goes into the prompt template's <c>{context}</c> when it has one (the template then
    /// wraps the question as usual); otherwise the RAG template wraps the newest question. Without a context, the
    /// prompt alone applies.
    /// </summary>
    private static List<ChatMessage> ApplyContextAndPrompt(
        List<ChatMessage> messages, PromptRecord? prompt, IReadOnlyDictionary<string, string> variables, bool hasSystemPrompt, RetrievedContext? context)
    {
        var templateTakesContext = prompt is { Kind: "template" } && PromptTemplate.GetVariables(prompt.Text).Contains(ContextVariable);
        if (context is not null && templateTakesContext)
        {
            variables = new Dictionary<string, string>(variables) { [ContextVariable] = context.Context };
        }
        else if (context is not null)
        {
            var last = messages.FindLastIndex(message => message.Role == "user");
            messages[last] = ChatMessage.Create("user", context.Fill(messages[last].Content?.Text ?? string.Empty));
        }

        return prompt is null ? messages : ApplyPrompt(messages, prompt, variables, hasSystemPrompt);
    }

    private async Task<PromptRecord> GetPromptAsync(string id, CancellationToken cancellationToken) =>
        await prompts.GetAsync(id, cancellationToken)
            ?? throw new ConversationStoreException(ConversationStoreError.PromptNotFound, $"Prompt '{id}' was not found.", "prompt_id");

    /// <summary>
    /// A <c>system</c> prompt becomes the system message (unless one is given); a <c>template</c> is filled with the
    /// variables and the newest user message as <c>{question}</c>, and replaces that message's text for the model.
    /// </summary>
    private static List<ChatMessage> ApplyPrompt(IEnumerable<ChatMessage> source, PromptRecord prompt, IReadOnlyDictionary<string, string> variables, bool hasSystemPrompt)
    {
        var messages = source.ToList();
        try
        {
            if (prompt.Kind == "system")
            {
                if (!hasSystemPrompt && !messages.Any(message => message.Role is "system" or "developer"))
                {
                    messages.Insert(0, ChatMessage.Create("system", PromptTemplate.Fill(prompt.Text, variables)));
                }

                return messages;
            }

            var last = messages.FindLastIndex(message => message.Role == "user");
            if (last >= 0)
            {
                var filled = new Dictionary<string, string>(variables) { [QuestionVariable] = messages[last].Content?.Text ?? string.Empty };
                messages[last] = ChatMessage.Create("user", PromptTemplate.Fill(prompt.Text, filled));
            }

            return messages;
        }
        catch (PromptTemplateException exception)
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid,
                $"Prompt '{prompt.Id}' needs values for: {string.Join(", ", exception.Missing)}. Give them in 'variables'.", "variables");
        }
    }
}

/// <summary>One exchange of a conversation: saves the reply, whatever became of it, in one transaction.</summary>
public sealed class ConversationTurn(MessageTreeStore messages, Guid conversationId, Guid userMessageId)
{
    public Guid ConversationId => conversationId;

    public Guid UserMessageId => userMessageId;

    /// <summary>The chunks the reply is built from, saved with it.</summary>
    public IReadOnlyList<RetrievedSource>? Sources { get; set; }

    public Task<MessageRecord> SaveAsync(string text, string status, string? model, Usage? usage, double? tokensPerSecond) =>
        // Not the request's token: a reply whose client left is saved all the same.
        messages.AddAssistantMessageAsync(conversationId, userMessageId, text, status, model, usage?.PromptTokens, usage?.CompletionTokens, tokensPerSecond,
            CancellationToken.None, Sources);
}
