namespace OpeaChat.Web.Components.Chat;

/// <summary>
/// Coalesces redraw requests: the first runs at once, later ones within <c>interval</c> collapse into a single
/// redraw at the end of the interval, so a fast token stream costs at most one render per interval and the
/// last piece is never left undrawn.
/// </summary>
internal sealed class RenderThrottle(Func<Task> render, TimeSpan interval, TimeProvider clock) : IDisposable
{
    private readonly Lock _gate = new();
    private long _lastRender = long.MinValue;
    private ITimer? _pending;
    private bool _disposed;

    public void Request()
    {
        lock (_gate)
        {
            if (_disposed || _pending is not null)
            {
                return; // A redraw is already scheduled; it will show this change too.
            }

            var now = clock.GetTimestamp();
            var elapsed = _lastRender == long.MinValue ? interval : clock.GetElapsedTime(_lastRender, now);
            if (elapsed >= interval)
            {
                _lastRender = now;
                _ = render();
                return;
            }

            _pending = clock.CreateTimer(_ => Fire(), null, interval - elapsed, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Draws now, dropping any scheduled redraw.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _pending?.Dispose();
            _pending = null;
            _lastRender = clock.GetTimestamp();
        }

        _ = render();
    }

    private void Fire()
    {
        lock (_gate)
        {
            if (_disposed || _pending is null)
            {
                return;
            }

            _pending.Dispose();
            _pending = null;
            _lastRender = clock.GetTimestamp();
        }

        _ = render();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _pending?.Dispose();
            _pending = null;
        }
    }
}
