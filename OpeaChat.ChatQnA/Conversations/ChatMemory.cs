using Microsoft.Extensions.Options;
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
/// settings), checking everything a request needs before the turn is written (see <see cref="ConversationTurn"/>).
/// With a <see cref="RetrievalPlan"/>, the newest question is answered from the documents: the retrieved chunks fill
/// a prompt template's <c>{context}</c>, or else OPEA's RAG template around the question, for the model only (the
/// stored message stays what the person wrote).
/// </summary>
public sealed class ChatMemory(
    ConversationStore conversations, MessageTreeStore messageTrees, PromptStore prompts, RetrievalAugmenter retrieval, ReplyRecorder recorder,
    IOptions<ChatQnAOptions> options, ILogger<ChatMemory> logger)
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
        if (request.Messages is { Count: > 0 } sent && sent[^1].Role == MessageRoles.Tool)
        {
            return await PrepareToolTurnAsync(request, fields, conversation, sent, plan, cancellationToken);
        }

        var newest = request.Messages?.LastOrDefault(message => message.Role == "user")
            ?? throw new ConversationStoreException(ConversationStoreError.Invalid,
                "With conversation_id, messages must hold the new user message (or the tool messages answering the last reply's tool calls); the history comes from the conversation.", "messages");
        var text = newest.Content?.Text;
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ConversationStoreException(ConversationStoreError.Invalid, "The new user message must not be empty.", "messages");
        }

        // Not written yet: the new message follows the active leaf once inference has accepted the request.
        var branch = await messageTrees.GetActiveBranchAsync(conversationId, cancellationToken);
        var turn = NewTurn(conversationId, branch.Count > 0 ? branch[^1].Id : null, text, null);
        return await BuildAsync(request, fields, conversation, branch, text, turn, plan, cancellationToken);
    }

    /// <summary>
    /// A turn that answers the last reply's tool calls: the tool messages at the end of <paramref name="sent"/>, each
    /// naming one of the calls of the active leaf (a completed assistant message with tool calls), are stored below it
    /// in order once inference accepts the request, and the model's next reply below them.
    /// </summary>
    private async Task<PreparedChat> PrepareToolTurnAsync(
        ChatCompletionRequest request, MemoryFields fields, ConversationRecord conversation, IReadOnlyList<ChatMessage> sent, RetrievalPlan? plan, CancellationToken cancellationToken)
    {
        var first = sent.Count;
        while (first > 0 && sent[first - 1].Role == MessageRoles.Tool)
        {
            first--;
        }

        var branch = await messageTrees.GetActiveBranchAsync(conversation.Id, cancellationToken);
        var calls = branch.Count > 0 && branch[^1] is { Role: MessageRoles.Assistant, Status: MessageStatuses.Complete, ToolCalls: { Count: > 0 } made }
            ? made.Where(IsWhole).Select(call => call.Id).OfType<string>().ToHashSet(StringComparer.Ordinal)
            : [];
        var results = new List<ToolResult>();
        for (var i = first; i < sent.Count; i++)
        {
            var id = sent[i].ToolCallId;
            if (string.IsNullOrEmpty(id))
            {
                throw new ConversationStoreException(ConversationStoreError.Invalid, $"messages[{i}].tool_call_id is required for a tool message.",
                    $"messages[{i}].tool_call_id", code: "missing_required_parameter");
            }

            if (!calls.Contains(id))
            {
                throw new ConversationStoreException(ConversationStoreError.Invalid,
                    calls.Count == 0
                        ? $"messages[{i}].tool_call_id '{id}' answers no call: the conversation's last message is not a completed reply with tool calls."
                        : $"messages[{i}].tool_call_id '{id}' is not one of the last reply's tool calls ({string.Join(", ", calls)}).",
                    $"messages[{i}].tool_call_id", code: "unknown_tool_call_id");
            }

            results.Add(new ToolResult(id, sent[i].Content?.Text ?? string.Empty));
        }

        // Retrieval (if asked) answers the newest question the person asked, as it did on their turn.
        var question = branch.LastOrDefault(message => message.Role == MessageRoles.User)?.Content;
        var turn = NewTurn(conversation.Id, branch[^1].Id, null, null, results);
        return await BuildAsync(request, fields, conversation, branch, question, turn, plan, cancellationToken);
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
        MessageRecord userMessage;
        if (branch.Count > 0 && branch[^1].Id == messageId && branch[^1].Role == "user")
        {
            history = branch;
            userMessage = branch[^1];
        }
        else
        {
            var context = await messageTrees.GetRegenerationContextAsync(conversationId, messageId, cancellationToken);
            history = context.Branch;
            userMessage = context.UserMessage;
        }

        // After a tool turn the reply answers the tool messages; retrieval still answers the person's newest question.
        var question = history.LastOrDefault(message => message.Role == MessageRoles.User)?.Content;
        var turn = NewTurn(conversationId, null, null, userMessage.Id);
        return await BuildAsync(request, new MemoryFields(), conversation, history, question, turn, plan, cancellationToken);
    }

    private ConversationTurn NewTurn(Guid conversationId, Guid? parentId, string? userText, Guid? userMessageId, IReadOnlyList<ToolResult>? toolResults = null) =>
        new(recorder, options.Value.ReplySaveInterval, logger, conversationId, parentId, userText, userMessageId, toolResults);

    /// <param name="question">The newest user message: the turn's new one (not in <paramref name="history"/> yet) or the last of it; null when there is none.</param>
    private async Task<PreparedChat> BuildAsync(
        ChatCompletionRequest request, MemoryFields fields, ConversationRecord conversation, IReadOnlyList<MessageRecord> history, string? question,
        ConversationTurn turn, RetrievalPlan? plan, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>();
        var systemOverride = request.Messages?.FirstOrDefault(message => message.Role is "system" or "developer");
        var system = systemOverride?.Content?.Text ?? conversation.SystemPrompt;
        if (!string.IsNullOrWhiteSpace(system))
        {
            messages.Add(ChatMessage.Create("system", system));
        }

        // A failed reply has nothing the model should read, nor one still being written; a stopped one is what the
        // person saw, so it stays.
        messages.AddRange(history
            .Where(message => message.Role != "assistant" || message.Status is not (MessageStatuses.Failed or MessageStatuses.Streaming))
            .Select(ToChatMessage));
        if (turn.UserMessageIsNew)
        {
            messages.Add(ChatMessage.Create("user", question!));
        }

        messages.AddRange(turn.ToolResults.Select(result => new ChatMessage { Role = MessageRoles.Tool, ToolCallId = result.ToolCallId, Content = new MessageContent(result.Content) }));

        var model = string.IsNullOrEmpty(request.Model) ? conversation.Model : request.Model;
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
        turn.Sources = context?.Sources;
        return new PreparedChat(prepared, turn, context?.Sources ?? []);
    }

    /// <summary>
    /// A stored message in OpenAI's shape: an assistant message with its tool calls (content null when it has no
    /// text), a tool message with the call it answers. A reply that did not complete keeps only its text: its calls
    /// may be cut short and were never answered.
    /// </summary>
    public static ChatMessage ToChatMessage(MessageRecord message) => message switch
    {
        { Role: MessageRoles.Assistant, Status: MessageStatuses.Complete, ToolCalls: { Count: > 0 } calls } when calls.Any(IsWhole) => new ChatMessage
        {
            Role = MessageRoles.Assistant,
            Content = string.IsNullOrEmpty(message.Content) ? null : new MessageContent(message.Content),
            ToolCalls = [.. calls.Where(IsWhole)],
        },
        { Role: MessageRoles.Tool } => new ChatMessage { Role = MessageRoles.Tool, ToolCallId = message.ToolCallId, Content = new MessageContent(message.Content) },
        _ => ChatMessage.Create(message.Role, message.Content),
    };

    /// <summary>
    /// A call whose arguments are whole JSON: a reply cut by <c>max_tokens</c> is stored as complete, but the call it
    /// was writing is not one the model made, so it is neither sent back nor answerable.
    /// </summary>
    private static bool IsWhole(ToolCall call)
    {
        try
        {
            using var arguments = System.Text.Json.JsonDocument.Parse(call.Function?.Arguments ?? string.Empty);
            return arguments.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
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
