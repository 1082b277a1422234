using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Writes health reports as JSON in llama-server's spirit: <c>{"status":"ok"}</c> when healthy, otherwise the
/// failing check's own status word (for example "loading") with its description and data, so a person or a
/// probe can tell "still loading" from "no model" from "broken".
/// </summary>
public static class HealthResponseWriter
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            var worst = report.Entries
                .Where(entry => entry.Value.Status != HealthStatus.Healthy)
                .OrderBy(entry => entry.Value.Status)
                .Select(entry => entry.Value)
                .Cast<HealthReportEntry?>()
                .FirstOrDefault();

            if (worst is null)
            {
                json.WriteString("status", "ok");
                var written = new HashSet<string>(StringComparer.Ordinal) { "status" };
                foreach (var (key, value) in report.Entries.Values.SelectMany(entry => entry.Data))
                {
                    if (written.Add(key))
                    {
                        WriteValue(json, key, value);
                    }
                }
            }
            else
            {
                var status = worst.Value.Data.TryGetValue("status", out var word) && word is string text
                    ? text
                    : worst.Value.Status.ToString().ToLowerInvariant();
                json.WriteString("status", status);
                if (worst.Value.Description is { } description)
                {
                    json.WriteString("message", description);
                }

                foreach (var (key, value) in worst.Value.Data)
                {
                    if (key == "status")
                    {
                        continue;
                    }

                    WriteValue(json, key, value);
                }
            }

            json.WriteEndObject();
        }

        return context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted).AsTask();
    }

    private static void WriteValue(Utf8JsonWriter json, string key, object value)
    {
        switch (value)
        {
            case double number:
                json.WriteNumber(key, Math.Round(number, 4));
                break;
            case float number:
                json.WriteNumber(key, Math.Round(number, 4));
                break;
            case int number:
                json.WriteNumber(key, number);
                break;
            case long number:
                json.WriteNumber(key, number);
                break;
            case bool flag:
                json.WriteBoolean(key, flag);
                break;
            default:
                json.WriteString(key, value.ToString());
                break;
        }
    }
}
