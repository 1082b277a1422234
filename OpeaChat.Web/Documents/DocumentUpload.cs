namespace OpeaChat.Web.Documents;

/// <summary>One file on its way into the collection, until the gateway lists it: read from the browser, then sent.</summary>
public sealed class DocumentUpload(string name, long bytes)
{
    public string Name { get; } = name;

    public long Bytes { get; } = bytes;

    /// <summary>How much of the file has reached this app from the browser, 0 to 100.</summary>
    public int Percent { get; internal set; }

    /// <summary>True once the file is read and posted to the gateway, waiting for its answer.</summary>
    public bool Sending { get; internal set; }

    /// <summary>The gateway's id for it, once the ingest answered (then its listed status takes over).</summary>
    public string? DocumentId { get; internal set; }

    /// <summary>Why the upload failed; null while it goes well.</summary>
    public string? Error { get; internal set; }
}
