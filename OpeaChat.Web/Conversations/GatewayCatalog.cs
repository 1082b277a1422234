using OpeaChat.Contracts.OpenAi;
using OpeaChat.Contracts.Prompts;
using OpeaChat.Web.Chat;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Conversations;

/// <summary>
/// What a conversation can be set to use, as the gateway lists it for one browser tab: its models (for the model
/// picker) and its stored prompts (for the settings panel). A list the gateway cannot give stays as it was.
/// </summary>
public sealed class GatewayCatalog(ConversationsClient client, ChatErrorState errors)
{
    public IReadOnlyList<ModelInfo> Models { get; private set; } = [];

    /// <summary>The gateway's stored prompts (the page loads them once, when the settings panel first opens).</summary>
    public IReadOnlyList<PromptRecord> Prompts { get; private set; } = [];

    /// <summary>
    /// Loads the models for the picker. False when they did not come: the picker stays empty, and chatting still
    /// works with the gateway's default model.
    /// </summary>
    public async Task<bool> LoadModelsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            Models = await client.GetModelsAsync(cancellationToken);
            return true;
        }
        catch (ChatQnAException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Loads the gateway's prompts for the settings panel; keeps the last list if the gateway cannot answer.</summary>
    public async Task LoadPromptsAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            Prompts = await client.GetPromptsAsync(cancellationToken);
        }
        catch (ChatQnAException exception)
        {
            errors.Log(exception);
        }
    }
}
