using OpeaChat.Contracts.OpenAi;
using OpeaChat.ServiceDefaults.OpenAi;

namespace OpeaChat.ChatQnA.Accounts;

/// <summary>
/// Pulling and deleting models changes the server for everyone; members still see the models, the pulls and the
/// recommendations.
/// </summary>
public sealed class ModelAdminFilter : AdminOnlyFilter
{
    protected override IResult Refusal { get; } = new OpenAiErrorResult(StatusCodes.Status403Forbidden, new ErrorBody
    {
        Message = "Only an admin pulls or deletes models on this server.",
        Type = "invalid_request_error",
        Code = "admin_only",
    });
}
