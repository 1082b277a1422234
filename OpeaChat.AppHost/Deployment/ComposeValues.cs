using System.Globalization;

namespace OpeaChat.AppHost.Deployment;

/// <summary>
/// Values of the app model as compose text: literals escaped, parameters as <c>${VARIABLE}</c> references (secrets
/// never read), endpoints as addresses on the compose network, expressions with their parts mapped the same way.
/// </summary>
internal sealed class ComposeValues(ComposeVariables variables, IReadOnlyDictionary<string, IResource> services)
{
    /// <summary>A value of the app model as compose text: literals escaped, parameters as variables, endpoints as network addresses.</summary>
    public async Task<string> MapAsync(object? value, CancellationToken cancellationToken)
    {
        switch (value)
        {
            case null:
                return string.Empty;
            case string text:
                return Escape(text);
            case ParameterResource parameter:
                return await VariableAsync(parameter, cancellationToken).ConfigureAwait(false);
            case IResourceBuilder<ParameterResource> parameterBuilder:
                return await VariableAsync(parameterBuilder.Resource, cancellationToken).ConfigureAwait(false);
            case EndpointReference endpoint:
                return Endpoint(endpoint, EndpointProperty.Url);
            case EndpointReferenceExpression expression:
                return Endpoint(expression.Endpoint, expression.Property);
            case ConnectionStringReference connection:
                return await MapAsync(connection.Resource.ConnectionStringExpression, cancellationToken).ConfigureAwait(false);
            case IResourceWithConnectionString connection:
                return await MapAsync(connection.ConnectionStringExpression, cancellationToken).ConfigureAwait(false);
            case ReferenceExpression expression:
                return await ExpressionAsync(expression, cancellationToken).ConfigureAwait(false);
            case bool flag:
                return flag ? "true" : "false";
            case IFormattable formattable:
                return Escape(formattable.ToString(null, CultureInfo.InvariantCulture));
            default:
                throw new InvalidOperationException($"A value of type {value.GetType().Name} has no docker compose form.");
        }
    }

    private async Task<string> ExpressionAsync(ReferenceExpression expression, CancellationToken cancellationToken)
    {
        if (expression.IsConditional)
        {
            // The condition must be known when publishing (for example an endpoint's TLS flag); the chosen branch is written.
            var condition = await MapAsync(expression.Condition, cancellationToken).ConfigureAwait(false);
            if (condition.Contains("${", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The conditional expression '{expression.ValueExpression}' depends on a deployment variable.");
            }

            var branch = string.Equals(condition, expression.MatchValue, StringComparison.OrdinalIgnoreCase) ? expression.WhenTrue : expression.WhenFalse;
            return await MapAsync(branch, cancellationToken).ConfigureAwait(false);
        }

        var arguments = new object?[expression.ValueProviders.Count];
        for (var index = 0; index < arguments.Length; index++)
        {
            var mapped = await MapAsync(expression.ValueProviders[index], cancellationToken).ConfigureAwait(false);
            var format = index < expression.StringFormats.Count ? expression.StringFormats[index] : null;
            arguments[index] = format switch
            {
                null => mapped,
                "uri" when !mapped.Contains("${", StringComparison.Ordinal) => Uri.EscapeDataString(mapped),
                _ => throw new InvalidOperationException($"The format '{format}' in '{expression.ValueExpression}' cannot be applied to a deployment variable."),
            };
        }

        // The format's literal text is the model's own: escape it for compose; the arguments are already compose text.
        return string.Format(CultureInfo.InvariantCulture, Escape(expression.Format), arguments);
    }

    private async Task<string> VariableAsync(ParameterResource parameter, CancellationToken cancellationToken)
    {
        var name = ComposeVariables.NameOf(parameter.Name);
        var description = parameter.Description ?? $"AppHost parameter {parameter.Name}.";
        if (parameter.Secret)
        {
            // A secret's value is never read here, so it cannot reach the file.
            return parameter.Annotations.OfType<OptionalSecretAnnotation>().Any()
                ? variables.OptionalSecret(name, description)
                : variables.Required(name, secret: true, description);
        }

        var value = await parameter.GetValueAsync(cancellationToken).ConfigureAwait(false) ?? string.Empty;
        return variables.Optional(name, value, description);
    }

    /// <summary>An endpoint as another service on the compose network sees it: the service name and the container port.</summary>
    private string Endpoint(EndpointReference endpoint, EndpointProperty property)
    {
        if (!services.ContainsKey(endpoint.Resource.Name))
        {
            throw new InvalidOperationException($"An endpoint of '{endpoint.Resource.Name}' is referenced, but '{endpoint.Resource.Name}' is not a service of the compose file.");
        }

        if (!endpoint.Exists)
        {
            throw new InvalidOperationException($"The endpoint '{endpoint.EndpointName}' of '{endpoint.Resource.Name}' is referenced but does not exist in the published model.");
        }

        var annotation = endpoint.EndpointAnnotation;
        var host = endpoint.Resource.Name;
        var port = ComposePorts.Target(endpoint.Resource, annotation).ToString(CultureInfo.InvariantCulture);
        return property switch
        {
            EndpointProperty.Url => $"{annotation.UriScheme}://{host}:{port}",
            EndpointProperty.Host or EndpointProperty.IPV4Host => host,
            EndpointProperty.Port or EndpointProperty.TargetPort => port,
            EndpointProperty.HostAndPort => $"{host}:{port}",
            EndpointProperty.Scheme => annotation.UriScheme,
            EndpointProperty.TlsEnabled => annotation.TlsEnabled ? "true" : "false",
            _ => throw new InvalidOperationException($"The endpoint property {property} has no docker compose form."),
        };
    }

    /// <summary>Compose reads <c>$</c> as the start of a variable; a literal one is written <c>$$</c>.</summary>
    private static string Escape(string text) => text.Replace("$", "$$", StringComparison.Ordinal);
}
