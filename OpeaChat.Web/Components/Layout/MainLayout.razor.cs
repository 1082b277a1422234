namespace OpeaChat.Web.Components.Layout;

public partial class MainLayout
{
    /// <summary>Pages put their toolbar buttons into the header through this section.</summary>
    public const string HeaderActionsSection = "header-actions";

    /// <summary>Pages put a button before the brand (the drawer toggle on narrow screens) through this section.</summary>
    public const string HeaderStartSection = "header-start";
}
