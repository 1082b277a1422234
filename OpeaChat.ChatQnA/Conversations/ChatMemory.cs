using OpeaChat.ChatQnA.Data;
using OpeaChat.ChatQnA.Generation;
using OpeaChat.ChatQnA.Prompts;
using OpeaChat.Contracts.Conversations;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Prompts;
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

/// <summary>A chat ready to send, and (with memory) the turn whose reply must be saved.</summary>
public sealed record PreparedChat(ChatCompletionRequest Request, ConversationTurn? Turn);

/// <summary>
/// Builds what the model sees from a conversation (its system prompt or prompt, its active branch, its generation
/// settings) and records each turn: the user message before generation, the reply when it ends however it ends.
/// </summary>
public sealed class ChatMemory(ConversationStore conversations, MessageTreeStore messageTrees, PromptStore prompts)
{
    /// <summary>The variable a prompt template's newest user message fills.</summary>
    public const string QuestionVariable = "question";

    public async Task<PreparedChat> PrepareAsync(ChatCompletionRequest request, MemoryFields fields, CancellationToken cancellationToken)
    {
        if (fields.ConversationId is not { } conversationId)
        {
            if (fields.PromptId is null)
            {
                return new PreparedChat(request, null);
            }

            var prompt = await GetPromptAsync(fields.PromptId, cancellationToken);
            var messages = ApplyPrompt(request.Messages ?? [], prompt, fields.Variables ?? [], hasSystemPrompt: false);
            return new PreparedChat(request with { Messages = messages }, null);
        }

        var conversation = await conversations.GetAsync(conversationId, cancellationToken)
            ?? throw new ConversationStoreException(ConversationStoreError.ConversationNotFound, $"Conversation {conversationId} was not found.", "conversation_id");
        var newest = request.Messages?.LastOrDefault(message => message.Role == "user")
            ?? throw new ConversationStoreException(ConversationStoreError.Invalid,
                "With conversation_id, messages must hold the new user message; the history comes from the conversation.", "messages");
        var user = await messageTrees.AddUserMessageAsync(conversationId, newest.Content?.Text ?? string.Empty, null, cancellationToken);
        var branch = await messageTrees.GetActiveBranchAsync(conversationId, cancellationToken);
        return await BuildAsync(request, fields, conversation, branch, user.Id, cancellationToken);
    }

    /// <summary>
    /// A new reply to a message already stored: an assistant message (its user message is answered again, the old
    /// reply stays as a sibling) or the user message at the end of the active branch (after an edit).
    /// </summary>
    public async Task<PreparedChat> PrepareRegenerationAsync(Guid conversationId, Guid messageId, ChatCompletionRequest request, CancellationToken cancellationToken)
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

        return await BuildAsync(request, new MemoryFields(), conversation, history, userMessageId, cancellationToken);
    }

    private async Task<PreparedChat> BuildAsync(
        ChatCompletionRequest request, MemoryFields fields, ConversationRecord conversation, IReadOnlyList<MessageRecord> history, Guid userMessageId,
        CancellationToken cancellationToken)
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

        var promptId = fields.PromptId ?? conversation.PromptId;
        if (promptId is not null)
        {
            var variables = new Dictionary<string, string>(conversation.Variables);
            foreach (var (name, value) in fields.Variables ?? [])
            {
                variables[name] = value;
            }

            messages = ApplyPrompt(messages, await GetPromptAsync(promptId, cancellationToken), variables, hasSystemPrompt: !string.IsNullOrWhiteSpace(system));
        }

        var prepared = request with
        {
            Messages = messages,
            Model = string.IsNullOrEmpty(request.Model) ? conversation.Model : request.Model,
            Temperature = request.Temperature ?? conversation.Temperature,
            TopP = request.TopP ?? conversation.TopP,
            MaxTokens = request.MaxTokens ?? conversation.MaxTokens,
            Seed = request.Seed ?? conversation.Seed,
        };
        return new PreparedChat(prepared, new ConversationTurn(messageTrees, conversation.Id, userMessageId));
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

    public Task<MessageRecord> SaveAsync(string text, string status, string? model, Usage? usage, double? tokensPerSecond) =>
        // Not the request's token: a reply whose client left is saved all the same.
        messages.AddAssistantMessageAsync(conversationId, userMessageId, text, status, model, usage?.PromptTokens, usage?.CompletionTokens, tokensPerSecond, CancellationToken.None);
}
