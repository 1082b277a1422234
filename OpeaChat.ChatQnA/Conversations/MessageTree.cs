using OpeaChat.ChatQnA.Data;
using OpeaChat.Contracts.Conversations;

namespace OpeaChat.ChatQnA.Conversations;

/// <summary>A conversation's messages in memory, for walking branches and counting siblings.</summary>
internal sealed class MessageTree
{
    private static readonly Guid s_root = Guid.Empty;
    private readonly Dictionary<Guid, Message> _byId;
    private readonly Dictionary<Guid, List<Message>> _children;

    /// <param name="messages">All the conversation's messages, in <see cref="Chronological"/> order.</param>
    public MessageTree(Conversation conversation, List<Message> messages)
    {
        Conversation = conversation;
        Messages = messages;
        _byId = messages.ToDictionary(m => m.Id);
        _children = messages.GroupBy(m => m.ParentId ?? s_root).ToDictionary(g => g.Key, g => g.ToList());
    }

    public Conversation Conversation { get; }

    public List<Message> Messages { get; }

    /// <summary>Oldest first; the id (time-ordered v7 GUIDs) settles ties.</summary>
    public static int Chronological(Message left, Message right)
    {
        var byTime = left.CreatedAt.CompareTo(right.CreatedAt);
        return byTime != 0 ? byTime : left.Id.CompareTo(right.Id);
    }

    public Message? Find(Guid id) => _byId.GetValueOrDefault(id);

    /// <summary>The messages from the root down to <paramref name="leafId"/>; empty when it is null or unknown.</summary>
    public List<Message> PathTo(Guid? leafId)
    {
        var path = new List<Message>();
        for (var current = leafId is { } id ? Find(id) : null; current is not null; current = current.ParentId is { } parent ? Find(parent) : null)
        {
            if (path.Count > _byId.Count)
            {
                throw new InvalidOperationException($"The message tree of conversation {Conversation.Id} has a cycle.");
            }

            path.Add(current);
        }

        path.Reverse();
        return path;
    }

    /// <summary>The newest message below <paramref name="id"/>, following the newest child at each step.</summary>
    public Guid NewestLeafBelow(Guid id)
    {
        var leaf = id;
        for (var steps = 0; _children.TryGetValue(leaf, out var children) && steps <= _byId.Count; steps++)
        {
            leaf = children[^1].Id;
        }

        return leaf;
    }

    public BranchMessage WithSiblings(Message message)
    {
        var siblings = _children[message.ParentId ?? s_root];
        return new BranchMessage(RecordMapping.ToRecord(message))
        {
            SiblingCount = siblings.Count,
            SiblingIndex = siblings.IndexOf(message),
            SiblingIds = siblings.ConvertAll(m => m.Id),
        };
    }
}
