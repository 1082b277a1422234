using Microsoft.AspNetCore.Components;
using Microsoft.FluentUI.AspNetCore.Components;
using Microsoft.JSInterop;

namespace OpeaChat.Web.Components.Chat;

/// <summary>Light, dark or follow the system; Fluent's theme service remembers the choice in the browser.</summary>
public sealed partial class ThemeSwitch
{
    private const string StorageKey = "opeachat-theme";
    private string _mode = nameof(ThemeMode.System);

    [Inject]
    private IJSRuntime JS { get; set; } = default!;

    [Inject]
    private IThemeService Themes { get; set; } = default!;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            // Fluent's service applies the stored theme itself; the choice as the user made it is kept beside it.
            if (Enum.TryParse<ThemeMode>(await JS.InvokeAsync<string?>("localStorage.getItem", StorageKey), out var mode))
            {
                _mode = mode.ToString();
                StateHasChanged();
            }
        }
        catch (JSException)
        {
            // No stored choice yet: System.
        }
        catch (JSDisconnectedException)
        {
        }
    }

    private async Task ChangedAsync(ChangeEventArgs e)
    {
        if (Enum.TryParse<ThemeMode>(e.Value?.ToString(), out var mode))
        {
            _mode = mode.ToString();
            await Themes.SetThemeAsync(mode);
            await JS.InvokeVoidAsync("localStorage.setItem", StorageKey, _mode);
        }
    }
}
