using System.Globalization;
using Microsoft.AspNetCore.Components;
using OpeaChat.Contracts.ModelPulls;
using OpeaChat.Web.Gateway;

namespace OpeaChat.Web.Components.Models;

/// <summary>One pull as it goes: its stage, the bytes fetched of the total, the speed, a bar, and Cancel (or, once it failed or was cancelled, why and Dismiss).</summary>
public sealed partial class PullProgress
{
    private bool _cancelling;

    [Parameter, EditorRequired]
    public ModelPullStatus Pull { get; set; } = default!;

    [Parameter]
    public EventCallback<string> OnCancel { get; set; }

    [Parameter]
    public EventCallback<string> OnDismiss { get; set; }

    private bool IsFinal => ModelPullStages.IsFinal(Pull.Stage);

    /// <summary>Thousandths of the total, so a large file's bar still moves; null (a moving bar) while the size is not known.</summary>
    private int? Permille => Pull switch
    {
        { Stage: ModelPullStages.Verifying } => 1000,
        { BytesTotal: > 0 and var total } => (int)Math.Clamp(Pull.BytesDone * 1000 / total, 0, 1000),
        _ => null,
    };

    private string StageText => Pull.Stage switch
    {
        ModelPullStages.Resolving => "Finding the files…",
        ModelPullStages.Downloading => Pull.BytesTotal is > 0 and var total
            ? string.Create(CultureInfo.InvariantCulture, $"Downloading {Math.Clamp(Pull.BytesDone * 100 / total, 0, 100)} %")
            : "Downloading",
        ModelPullStages.Verifying => "Checking the download…",
        ModelPullStages.Ready => "Ready",
        ModelPullStages.Failed => "Failed",
        ModelPullStages.Cancelled => "Cancelled",
        _ => Pull.Stage,
    };

    private string BytesText => Pull.BytesTotal is { } total
        ? $"{FormatSize(Pull.BytesDone)} of {FormatSize(total)}"
        : FormatSize(Pull.BytesDone);

    internal static string SpeedText(double bytesPerSecond) => FormatSize((long)bytesPerSecond) + "/s";

    /// <summary>Sizes up to gigabytes (model files are): 512 B, 3.4 KB, 12 MB, 2.1 GB.</summary>
    internal static string FormatSize(long bytes) => bytes >= 1024L * 1024 * 1024
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.#} GB")
        : DataprepClient.FormatBytes(bytes);

    private async Task CancelAsync()
    {
        _cancelling = true;
        try
        {
            await OnCancel.InvokeAsync(Pull.Id);
        }
        finally
        {
            _cancelling = false;
        }
    }
}
