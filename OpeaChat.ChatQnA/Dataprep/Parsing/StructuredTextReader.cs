using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OpeaChat.ChatQnA.Dataprep.Parsing;

/// <summary>
/// CSV, JSON and JSON Lines as text a model and BM25 can read: each record on its own line as <c>field: value</c>
/// pairs (a CSV row with its column names, a JSON object's paths), so a chunk keeps what each value means.
/// </summary>
internal static class StructuredTextReader
{
    public static ParsedDocument ReadCsv(string text)
    {
        var rows = CsvRows(text).ToList();
        if (rows.Count == 0)
        {
            return new ParsedDocument(DocumentFormats.Csv, [], null);
        }

        var header = rows[0];
        var lines = new StringBuilder();
        foreach (var row in rows.Skip(1))
        {
            lines.AppendLine(string.Join("; ", row.Select((value, i) => $"{(i < header.Count ? header[i] : $"column {i + 1}")}: {value}")));
        }

        return new ParsedDocument(DocumentFormats.Csv, [new DocumentSection(rows.Count == 1 ? string.Join(", ", header) : lines.ToString(), null, null)], null);
    }

    public static ParsedDocument ReadJson(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            var lines = new StringBuilder();
            if (document.RootElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in document.RootElement.EnumerateArray())
                {
                    lines.AppendLine(Flatten(item));
                }
            }
            else
            {
                Flatten(document.RootElement, string.Empty, lines, "\n");
            }

            return new ParsedDocument(DocumentFormats.Json, [new DocumentSection(lines.ToString(), null, null)], null);
        }
        catch (JsonException exception)
        {
            throw new DocumentParseException($"the JSON is not valid: {exception.Message}", exception);
        }
    }

    public static ParsedDocument ReadJsonLines(string text)
    {
        var lines = new StringBuilder();
        var number = 0;
        foreach (var line in text.Split('\n'))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var document = JsonDocument.Parse(line);
                lines.AppendLine(Flatten(document.RootElement));
            }
            catch (JsonException exception)
            {
                throw new DocumentParseException(string.Create(CultureInfo.InvariantCulture, $"line {number} is not valid JSON: {exception.Message}"), exception);
            }
        }

        return new ParsedDocument(DocumentFormats.JsonLines, [new DocumentSection(lines.ToString(), null, null)], null);
    }

    private static string Flatten(JsonElement element)
    {
        var text = new StringBuilder();
        Flatten(element, string.Empty, text, "; ");
        return text.ToString().TrimEnd(' ', ';');
    }

    private static void Flatten(JsonElement element, string path, StringBuilder text, string separator)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}", text, separator);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, string.Create(CultureInfo.InvariantCulture, $"{path}[{index++}]"), text, separator);
                }

                break;
            default:
                var value = element.ValueKind == JsonValueKind.String ? element.GetString() : element.GetRawText();
                text.Append(path.Length == 0 ? value : $"{path}: {value}").Append(separator);
                break;
        }
    }

    /// <summary>RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks.</summary>
    private static IEnumerable<List<string>> CsvRows(string text)
    {
        var row = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(field.ToString().Trim());
                field.Clear();
            }
            else if (c == '\n')
            {
                row.Add(field.ToString().Trim());
                field.Clear();
                if (row.Any(value => value.Length > 0))
                {
                    yield return row;
                }

                row = [];
            }
            else if (c != '\r')
            {
                field.Append(c);
            }
        }

        row.Add(field.ToString().Trim());
        if (row.Any(value => value.Length > 0))
        {
            yield return row;
        }
    }
}
