namespace OpeaChat.AppHost.Deployment;

/// <summary>The generated compose file as plain data (ordered maps and lists), and the variables it uses.</summary>
internal sealed record ComposeDocument(Dictionary<string, object?> Root, ComposeVariables Variables, IReadOnlyList<string> ShapeLines);
