namespace OpeaChat.AppHost.Deployment;

/// <summary>One <c>${NAME}</c> that docker-compose.yaml uses; every one is listed in .env.example.</summary>
internal sealed record ComposeVariable(string Name, string? DefaultValue, bool Required, bool Secret, string Description);

/// <summary>The variables of the generated file, in the order the file first uses them.</summary>
internal sealed class ComposeVariables
{
    private readonly Dictionary<string, ComposeVariable> _variables = new(StringComparer.Ordinal);
    private readonly List<ComposeVariable> _ordered = [];

    public IReadOnlyList<ComposeVariable> All => _ordered;

    /// <summary><c>${NAME:-default}</c>: the default applies when .env leaves the variable unset or empty.</summary>
    public string Optional(string name, string defaultValue, string description)
    {
        if (defaultValue.Contains('$', StringComparison.Ordinal) || defaultValue.Contains('}', StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The default of {name} ('{defaultValue}') may not contain '$' or '}}'.");
        }

        Add(new ComposeVariable(name, defaultValue, Required: false, Secret: false, description));
        return $"${{{name}:-{defaultValue}}}";
    }

    /// <summary><c>${NAME:-}</c> for a secret that may stay empty: no default is written, and .env.example leaves it blank.</summary>
    public string OptionalSecret(string name, string description)
    {
        Add(new ComposeVariable(name, DefaultValue: string.Empty, Required: false, Secret: true, description));
        return $"${{{name}:-}}";
    }

    /// <summary><c>${NAME:?…}</c>: docker compose refuses to start while the variable is unset or empty.</summary>
    public string Required(string name, bool secret, string description)
    {
        Add(new ComposeVariable(name, DefaultValue: null, Required: true, secret, description));
        return $"${{{name}:?{name} is not set: copy .env.example to .env and fill it in}}";
    }

    /// <summary>The variable name for an AppHost parameter: <c>model-file</c> becomes <c>MODEL_FILE</c>.</summary>
    public static string NameOf(string parameterName) => parameterName.ToUpperInvariant().Replace('-', '_');

    private void Add(ComposeVariable variable)
    {
        if (_variables.TryGetValue(variable.Name, out var existing))
        {
            if (existing != variable)
            {
                throw new InvalidOperationException($"The variable {variable.Name} is used twice with different meanings.");
            }

            return;
        }

        _variables.Add(variable.Name, variable);
        _ordered.Add(variable);
    }
}
