using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using OpeaChat.ChatQnA.Accounts;
using OpeaChat.ChatQnA.Conversations;
using OpeaChat.ChatQnA.Dataprep.Ingestion;
using OpeaChat.ChatQnA.Dataprep.Parsing;
using OpeaChat.ChatQnA.Opea;
using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Dataprep;
using OpeaChat.Contracts.Retrieval;

namespace OpeaChat.ChatQnA.Dataprep;

/// <summary>
/// OPEA's dataprep service on the gateway (GenAIComps <c>comps/dataprep</c>): ingest files and links, list them,
/// delete them, with OPEA's bodies and errors (FastAPI's <c>{"detail": …}</c>). A request is checked whole (every
/// file parsed, every link checked) before anything is stored: a refused request stores nothing.
/// </summary>
public static partial class DataprepEndpoints
{
    public const string IngestPath = "/v1/dataprep/ingest";

    public static IEndpointRouteBuilder MapDataprepEndpoints(this IEndpointRouteBuilder app)
    {
        var dataprep = app.MapGroup("/v1/dataprep").WithTags("Dataprep");
        dataprep.MapPost("/ingest", IngestAsync)
            .WithName("DataprepIngest")
            .WithSummary("OPEA dataprep: ingest files (multipart 'files') and/or links ('link_list', a JSON array) into a collection.")
            .DisableAntiforgery();
        dataprep.MapPost("/get", GetAsync)
            .WithName("DataprepGet")
            .WithSummary("OPEA dataprep: the ingested files and links with their progress; the body may be empty.");
        dataprep.MapPost("/delete", DeleteAsync)
            .WithName("DataprepDelete")
            .WithSummary("OPEA dataprep: delete a file or link by id or name, or 'all'.");
        dataprep.MapPost("/share", ShareAsync)
            .WithName("DataprepShare")
            .WithSummary("OpeaChat: an admin shares one of their own collections with everyone (it becomes the shared collection of that name).");
        return app;
    }

    private static async Task<IResult> IngestAsync(
        HttpRequest request, IDocumentStore store, DocumentParser parser, IngestionQueue queue, IOptions<DataprepOptions> options, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            return Detail(StatusCodes.Status400BadRequest, "Send the files and links as multipart/form-data: 'files' (repeatable) and/or 'link_list'.");
        }

        var limits = options.Value;
        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = limits.MaxRequestBytes }, cancellationToken);
        }
        catch (InvalidDataException exception)
        {
            return Detail(StatusCodes.Status400BadRequest, $"The multipart body cannot be read: {exception.Message}");
        }

        var (fields, problem) = IngestFields.Read(form);
        if (problem is { } invalid)
        {
            return OpeaErrors.Validation(invalid.Field, invalid.Message);
        }

        var files = form.Files.GetFiles("files");
        if (files.Count == 0 && fields!.Links.Count == 0)
        {
            return Detail(StatusCodes.Status400BadRequest, "Must provide either a file or a string list.");
        }

        if (files.Count + fields!.Links.Count > limits.MaxItemsPerRequest)
        {
            return Detail(StatusCodes.Status400BadRequest, $"At most {limits.MaxItemsPerRequest} files and links per request (ChatQnA:Dataprep:MaxItemsPerRequest).");
        }

        var caller = OwnerScope.Current;
        var collection = DocumentCollections.StorageName(fields.IndexName, caller, fields.Shared);
        if (!DocumentCollections.Writable(collection, caller))
        {
            return Detail(StatusCodes.Status403Forbidden, SharedRefusal);
        }

        var existing = (await store.ListAsync(collection, cancellationToken))
            .Where(document => document.Status != DocumentStatuses.Failed).Select(document => document.Name).ToHashSet(StringComparer.Ordinal);
        var parsedFiles = new List<(string Name, long Bytes, ParsedDocument Parsed)>();
        foreach (var file in files)
        {
            var name = Path.GetFileName(file.FileName.Replace('\\', '/'));
            if (string.IsNullOrWhiteSpace(name))
            {
                return OpeaErrors.Validation("files", "Every file needs a file name.");
            }

            if (!existing.Add(name))
            {
                return Detail(StatusCodes.Status400BadRequest, $"Uploaded file {name} already exists. Please change file name.");
            }

            if (file.Length > limits.MaxFileBytes)
            {
                return Detail(StatusCodes.Status413PayloadTooLarge, $"{name} has {file.Length} bytes; at most {limits.MaxFileBytes} are accepted (ChatQnA:Dataprep:MaxFileBytes).");
            }

            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancellationToken);
            try
            {
                parsedFiles.Add((name, file.Length, parser.Parse(name, buffer.GetBuffer().AsMemory(0, (int)buffer.Length), file.ContentType)));
            }
            catch (DocumentParseException exception)
            {
                return Detail(StatusCodes.Status422UnprocessableEntity, $"{name} cannot be ingested: {exception.Message}");
            }
        }

        foreach (var link in fields.Links)
        {
            if (!existing.Add(link.ToString()))
            {
                return Detail(StatusCodes.Status400BadRequest, $"Uploaded file {link} already exists. Please change file name.");
            }
        }

        if (!queue.HasRoomFor(parsedFiles.Count + fields.Links.Count))
        {
            return Detail(StatusCodes.Status503ServiceUnavailable, "Too many documents are waiting to be ingested; try again later.", TimeSpan.FromSeconds(10));
        }

        var queued = new List<DataprepFile>();
        try
        {
            foreach (var (name, bytes, parsed) in parsedFiles)
            {
                var document = await store.AddAsync(new NewDocument(name, DocumentTypes.File, collection, bytes, parsed.Format), cancellationToken);
                await store.SetStatusAsync(document.Id, DocumentStatuses.Parsed, null, new DocumentFacts(parsed.Format, parsed.Pages, parsed.Characters), cancellationToken);
                queue.TryEnqueue(new IngestionJob(document.Id, name, collection, fields.ChunkSize, fields.ChunkOverlap, parsed, null));
                queued.Add(ToFile(document with { Status = DocumentStatuses.Parsed, Pages = parsed.Pages }));
            }

            foreach (var link in fields.Links)
            {
                var document = await store.AddAsync(new NewDocument(link.ToString(), DocumentTypes.Link, collection, 0, null), cancellationToken);
                queue.TryEnqueue(new IngestionJob(document.Id, link.ToString(), collection, fields.ChunkSize, fields.ChunkOverlap, null, link));
                queued.Add(ToFile(document));
            }
        }
        catch (DocumentExistsException exception)
        {
            // Another request took the name a moment ago.
            return Detail(StatusCodes.Status400BadRequest, exception.Message);
        }

        return TypedResults.Json(new DataprepResult(StatusCodes.Status200OK, DataprepResult.SucceededMessage) { Files = queued },
            DataprepJsonContext.Default.DataprepResult);
    }

    private static async Task<IResult> GetAsync(HttpRequest request, IDocumentStore store, CancellationToken cancellationToken)
    {
        // OPEA's UI posts no body at all (with a JSON content type): that lists every collection.
        var (body, error) = await ReadOptionalBodyAsync(request, DataprepJsonContext.Default.DataprepGetRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var index = body?.IndexName;
        if (index is not null && !string.Equals(index, RetrievalDefaults.AllIndexes, StringComparison.OrdinalIgnoreCase) && IndexNames.Problem(index) is { } problem)
        {
            return OpeaErrors.Validation("index_name", problem);
        }

        var documents = await VisibleAsync(store, index is null || IsAll(index) ? null : IndexNames.OrDefault(index), cancellationToken);
        return TypedResults.Json(documents.Select(ToFile).ToList(), DataprepJsonContext.Default.IReadOnlyListDataprepFile);
    }

    private static async Task<IResult> DeleteAsync(HttpRequest request, IDocumentStore store, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadOptionalBodyAsync(request, DataprepJsonContext.Default.DataprepDeleteRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(body?.FilePath))
        {
            return OpeaErrors.Validation("file_path", "Field required: a file's id or name, or \"all\".", "missing");
        }

        var index = body.IndexName;
        if (!IsAll(index) && IndexNames.Problem(index) is { } problem)
        {
            return OpeaErrors.Validation("index_name", problem);
        }

        var caller = OwnerScope.Current;
        var publicIndex = IsAll(index) ? null : IndexNames.OrDefault(index);
        // Which kind of collection a name or "all" means: a person's own unless they say shared; a service's the shared.
        var shared = body.Shared ?? caller is not { IsPerson: true };
        if (IsAll(body.FilePath))
        {
            if (caller is null)
            {
                await store.DeleteAllAsync(publicIndex, cancellationToken);
                return Deleted();
            }

            var collections = publicIndex is null
                ? (await VisibleAsync(store, null, cancellationToken)).Select(document => document.IndexName)
                    .Where(collection => DocumentCollections.IsShared(collection) == shared).Distinct(StringComparer.Ordinal).ToList()
                : [DocumentCollections.StorageName(publicIndex, caller, shared)];
            if (collections.Any(collection => !DocumentCollections.Writable(collection, caller)))
            {
                return Detail(StatusCodes.Status403Forbidden, SharedRefusal);
            }

            foreach (var collection in collections)
            {
                await store.DeleteAllAsync(collection, cancellationToken);
            }

            return Deleted();
        }

        var notFound = Detail(StatusCodes.Status404NotFound,
            $"File {body.FilePath} not found in collection {publicIndex ?? RetrievalDefaults.AllIndexes}. Please check file_path and index_name.");
        if (caller is null)
        {
            return await store.DeleteAsync(body.FilePath, publicIndex, cancellationToken) ? Deleted() : notFound;
        }

        // By id in any collection the caller sees, else by name in the collections of the kind asked for.
        var targets = Guid.TryParse(body.FilePath, out var id) && await store.FindAsync(id, cancellationToken) is { } byId
                && DocumentCollections.Visible(byId.IndexName, caller)
            ? [byId]
            : (await VisibleAsync(store, publicIndex, cancellationToken))
                .Where(document => document.Name == body.FilePath && DocumentCollections.IsShared(document.IndexName) == shared).ToList();
        if (targets.Count == 0)
        {
            return notFound;
        }

        if (targets.Any(document => !DocumentCollections.Writable(document.IndexName, caller)))
        {
            return Detail(StatusCodes.Status403Forbidden, SharedRefusal);
        }

        foreach (var document in targets)
        {
            await store.DeleteAsync(document.Id.ToString(), document.IndexName, cancellationToken);
        }

        return Deleted();
    }

    private static async Task<IResult> ShareAsync(HttpRequest request, IDocumentStore store, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadOptionalBodyAsync(request, DataprepJsonContext.Default.DataprepShareRequest, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (string.IsNullOrWhiteSpace(body?.IndexName))
        {
            return OpeaErrors.Validation("index_name", "Field required: the name of your collection to share.", "missing");
        }

        if (IndexNames.Problem(body.IndexName) is { } problem)
        {
            return OpeaErrors.Validation("index_name", problem);
        }

        var caller = OwnerScope.Current;
        if (caller is not { IsPerson: true })
        {
            return Detail(StatusCodes.Status400BadRequest, caller is null
                ? "Accounts are off: every collection is everyone's already."
                : "A service key writes the shared collections directly; sharing is for a signed-in admin's own collection.");
        }

        if (!caller.IsAdmin)
        {
            return Detail(StatusCodes.Status403Forbidden, "Only an admin can share a collection with everyone.");
        }

        var name = IndexNames.OrDefault(body.IndexName);
        var own = DocumentCollections.OwnedName(name, caller.OwnerId);
        var move = await store.MoveAllAsync(own, name, cancellationToken);
        if (move.Clashes.Count > 0)
        {
            return Detail(StatusCodes.Status409Conflict,
                $"The shared collection {name} already has {string.Join(", ", move.Clashes)}: delete or rename those first. Nothing was moved.");
        }

        if (move.Unfinished > 0)
        {
            return Detail(StatusCodes.Status409Conflict,
                $"{move.Unfinished} document(s) of {name} are still being ingested: share the collection once they are done. Nothing was moved.");
        }

        if (move.Moved == 0)
        {
            return Detail(StatusCodes.Status404NotFound, $"You have no collection {name}. Please check index_name.");
        }

        LogShared(loggers.CreateLogger(typeof(DataprepEndpoints).FullName!), caller.OwnerId, move.Moved);
        return TypedResults.Json(new DataprepShareResult(true, move.Moved), DataprepJsonContext.Default.DataprepShareResult);
    }

    private const string SharedRefusal =
        "Shared collections are changed by admins only: add to and delete from your own collection (send shared=false).";

    private static JsonHttpResult<DataprepDeleteResult> Deleted() =>
        TypedResults.Json(new DataprepDeleteResult(true), DataprepJsonContext.Default.DataprepDeleteResult);

    /// <summary>The documents of one collection name (null: of every one) that the caller sees: their own and the shared.</summary>
    private static async Task<IReadOnlyList<StoredDocument>> VisibleAsync(IDocumentStore store, string? publicIndex, CancellationToken cancellationToken)
    {
        var caller = OwnerScope.Current;
        if (caller is null)
        {
            return await store.ListAsync(publicIndex, cancellationToken);
        }

        return (await store.ListAsync(null, cancellationToken))
            .Where(document => DocumentCollections.Visible(document.IndexName, caller)
                && (publicIndex is null || DocumentCollections.PublicName(document.IndexName) == publicIndex))
            .ToList();
    }

    private static bool IsAll(string? value) => string.Equals(value, RetrievalDefaults.AllIndexes, StringComparison.OrdinalIgnoreCase);

    private static async Task<(T? Body, IResult? Error)> ReadOptionalBodyAsync<T>(
        HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
        {
            return (default, null);
        }

        try
        {
            return (JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type), null);
        }
        catch (JsonException exception)
        {
            return (default, ConversationErrors.FromJsonException(exception));
        }
    }

    internal static DataprepFile ToFile(StoredDocument document) => new()
    {
        Name = document.Name,
        Id = document.Id.ToString(),
        Type = document.Type,
        IndexName = DocumentCollections.PublicName(document.IndexName),
        Shared = DocumentCollections.IsShared(document.IndexName),
        Status = document.Status,
        Error = document.Error,
        Format = document.Format,
        Chunks = document.Chunks,
        Bytes = document.Bytes,
        Pages = document.Pages,
        CreatedAt = document.CreatedAt,
        IngestedAt = document.IngestedAt,
    };

    private static OpeaErrorResult Detail(int status, string detail, TimeSpan? retryAfter = null) => new(status, detail, retryAfter);

    [LoggerMessage(Level = LogLevel.Information, Message = "Account {AccountId} shared a collection of {Count} documents with everyone")]
    private static partial void LogShared(ILogger logger, string accountId, int count);
}

/// <summary>The form fields of an ingest request besides its files, checked.</summary>
internal sealed record IngestFields(string IndexName, bool Shared, int ChunkSize, int ChunkOverlap, IReadOnlyList<Uri> Links)
{
    public static (IngestFields? Fields, (string Field, string Message)? Problem) Read(IFormCollection form)
    {
        var chunkSize = DataprepDefaults.ChunkSize;
        if (form["chunk_size"] is { Count: > 0 } sizeText && !(int.TryParse(sizeText[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out chunkSize)
            && chunkSize is >= DataprepDefaults.MinChunkSize and <= DataprepDefaults.MaxChunkSize))
        {
            return (null, ("chunk_size", $"chunk_size must be an integer from {DataprepDefaults.MinChunkSize} to {DataprepDefaults.MaxChunkSize}."));
        }

        var overlap = DataprepDefaults.ChunkOverlap;
        if (form["chunk_overlap"] is { Count: > 0 } overlapText && !int.TryParse(overlapText[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out overlap))
        {
            return (null, ("chunk_overlap", "chunk_overlap must be an integer."));
        }

        if (overlap < 0 || overlap >= chunkSize)
        {
            return (null, ("chunk_overlap", $"chunk_overlap must be from 0 to less than chunk_size ({chunkSize})."));
        }

        var index = form["index_name"].FirstOrDefault();
        if (IndexNames.Problem(index) is { } indexProblem)
        {
            return (null, ("index_name", indexProblem));
        }

        var shared = false;
        if (form["shared"] is { Count: > 0 } sharedText && !bool.TryParse(sharedText[0], out shared))
        {
            return (null, ("shared", "shared must be true or false."));
        }

        var links = new List<Uri>();
        if (form["link_list"].FirstOrDefault() is { Length: > 0 } linkList)
        {
            List<string>? parsed;
            try
            {
                parsed = JsonSerializer.Deserialize(linkList, DataprepJsonContext.Default.ListString);
            }
            catch (JsonException)
            {
                parsed = null;
            }

            if (parsed is null)
            {
                return (null, ("link_list", "link_list must be a JSON array of URLs, as a string: [\"https://…\"]."));
            }

            foreach (var link in parsed)
            {
                if (OpeaChat.ChatQnA.Dataprep.Links.LinkFetcher.Problem(link ?? string.Empty) is { } linkProblem)
                {
                    return (null, ("link_list", linkProblem));
                }

                links.Add(new Uri(link!));
            }
        }

        return (new IngestFields(IndexNames.OrDefault(index), shared, chunkSize, overlap, links), null);
    }
}
