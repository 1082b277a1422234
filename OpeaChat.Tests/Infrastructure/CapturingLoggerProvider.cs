using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace OpeaChat.Tests.Infrastructure;

/// <summary>Every log line of a host, at every level, with its structured values and exception: for tests that look for secrets.</summary>
public sealed class CapturingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new CapturingLogger(categoryName, lines);

    public void Dispose()
    {
    }
}

internal sealed class CapturingLogger(string category, ConcurrentQueue<string> lines) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        // The message, its structured values and any exception: a secret in any of them counts.
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : string.Empty;
        lines.Enqueue($"{category} {formatter(state, exception)} {values} {exception}");
    }
}
