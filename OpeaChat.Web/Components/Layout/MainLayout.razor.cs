namespace OpeaChat.Web.Components.Layout;

public partial class MainLayout
{
    /// <summary>Pages put their toolbar buttons into the header through this section.</summary>
    public const string HeaderActionsSection = "header-actions";
}
