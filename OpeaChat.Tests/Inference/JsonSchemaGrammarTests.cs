using System.Text.Json;
using OpeaChat.Contracts.OpenAi;
using OpeaChat.Inference.Chat;

namespace OpeaChat.Tests.Inference;

public sealed class JsonSchemaGrammarTests
{
    private static JsonSchemaGrammarResult Convert(string schema) => JsonSchemaGrammar.Convert(JsonDocument.Parse(schema).RootElement);

    private static string Gbnf(string schema)
    {
        var result = Convert(schema);
        Assert.Null(result.Error);
        return result.Gbnf!;
    }

    [Fact]
    public void A_flat_object_keeps_required_members_in_order_with_enum_and_integer()
    {
        var gbnf = Gbnf("""
            {"type":"object","properties":{"name":{"type":"string","maxLength":8},"mood":{"enum":["happy","sad"]},"age":{"type":"integer"}},
             "required":["name","mood","age"],"additionalProperties":false}
            """);

        Assert.Equal("""
            root ::= r-root
            r-string-0-8 ::= "\"" char{0,8} "\"" space
            r-root-m2n ::= "," space "\"age\"" space ":" space integer
            r-root-m1n ::= "," space "\"mood\"" space ":" space ( "\"happy\"" | "\"sad\"" ) space r-root-m2n
            r-root-m0f ::= "\"name\"" space ":" space r-string-0-8 r-root-m1n
            r-root ::= "{" space r-root-m0f "}" space
            char ::= [^"\\\x00-\x1F\x7F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )
            integer ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) space
            space ::= ( " " | "\n" [ \t]{0,8} )?

            """.ReplaceLineEndings("\n"), gbnf);
    }

    [Fact]
    public void Optional_members_may_be_left_out_and_commas_follow_what_is_written()
    {
        var gbnf = Gbnf("""{"properties":{"a":{"type":"boolean"},"b":{"type":"null"}},"required":["b"]}""");

        Assert.Contains("r-root-m1f ::= \"\\\"b\\\"\" space \":\" space null", gbnf, StringComparison.Ordinal);
        Assert.Contains("r-root-m1n ::= \",\" space \"\\\"b\\\"\" space \":\" space null", gbnf, StringComparison.Ordinal);
        Assert.Contains("r-root-m0f ::= ( \"\\\"a\\\"\" space \":\" space boolean r-root-m1n ) | r-root-m1f", gbnf, StringComparison.Ordinal);
    }

    [Fact]
    public void Arrays_bound_their_items_and_refs_become_shared_rules()
    {
        var gbnf = Gbnf("""
            {"type":"object","$defs":{"point":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
             "properties":{"path":{"type":"array","items":{"$ref":"#/$defs/point"},"minItems":1,"maxItems":3},"start":{"$ref":"#/$defs/point"}},
             "required":["path","start"]}
            """);

        Assert.Contains("r-root-path ::= \"[\" space r-def-point ( \",\" space r-def-point ){0,2} \"]\" space", gbnf, StringComparison.Ordinal);
        Assert.Contains("\"\\\"start\\\"\" space \":\" space r-def-point", gbnf, StringComparison.Ordinal);
        Assert.Single(gbnf.Split('\n'), line => line.StartsWith("r-def-point ::=", StringComparison.Ordinal));
    }

    [Fact]
    public void Type_arrays_anyof_and_const_become_alternatives()
    {
        var gbnf = Gbnf("""
            {"type":"object","properties":{"t":{"type":["string","null"]},"u":{"anyOf":[{"type":"integer"},{"const":"none"}]},"d":{"$ref":"#/definitions/d"}},
             "required":["t","u","d"],"definitions":{"d":{"oneOf":[{"type":"boolean"},{"type":"array","maxItems":0}]}}}
            """);

        Assert.Contains("r-root-t ::= string | null", gbnf, StringComparison.Ordinal);
        Assert.Contains("r-root-u ::= integer | \"\\\"none\\\"\" space", gbnf, StringComparison.Ordinal);
        Assert.Contains("r-def-d-v ::= boolean | r-def-d-v-1", gbnf, StringComparison.Ordinal);
        Assert.Contains("r-def-d-v-1 ::= \"[\" space \"]\" space", gbnf, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recursive_ref_is_a_recursive_rule()
    {
        var gbnf = Gbnf("""
            {"$ref":"#/$defs/node","$defs":{"node":{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}},"required":["next"]}}}
            """);

        Assert.StartsWith("root ::= r-def-node\n", gbnf, StringComparison.Ordinal);
        Assert.Contains("r-def-node-v-next ::= r-def-node | null", gbnf, StringComparison.Ordinal);
    }

    [Fact]
    public void Strings_with_the_same_bounds_share_one_rule()
    {
        var gbnf = Gbnf("""{"properties":{"a":{"type":"string","maxLength":4},"b":{"type":"string","maxLength":4},"c":{"type":"string","minLength":2}}}""");

        Assert.Single(gbnf.Split('\n'), line => line.StartsWith("r-string-0-4 ::=", StringComparison.Ordinal));
        Assert.Contains("r-string-2-more ::= \"\\\"\" char{2,} \"\\\"\" space", gbnf, StringComparison.Ordinal);
        Assert.DoesNotContain("r-string-0-4-2", gbnf, StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_strings_are_escaped_for_gbnf()
    {
        var gbnf = Gbnf("""{"enum":["a\"b","c\\d","line\nbreak",1.5,null]}""");

        Assert.Contains("""( "\"a\\\"b\"" | "\"c\\\\d\"" | "\"line\\nbreak\"" | "1.5" | "null" ) space""", gbnf, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a$"}""", "#/pattern", "'pattern'")]
    [InlineData("""{"type":"string","format":"date-time"}""", "#/format", "'format'")]
    [InlineData("""{"type":"object","properties":{"n":{"type":"integer","minimum":1}}}""", "#/properties/n/minimum", "'minimum'")]
    [InlineData("""{"type":"array","items":{"type":"string"},"uniqueItems":true}""", "#/uniqueItems", "'uniqueItems'")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "#/allOf", "'allOf'")]
    [InlineData("""{"type":"array","maxItems":1000}""", "#/maxItems", "over the supported limit")]
    [InlineData("""{"type":"array","minItems":3,"maxItems":2}""", "#/maxItems", "below")]
    [InlineData("""{"type":"object","required":["x"]}""", "#/required", "'x' is required but not declared")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "#/$ref", "must point at a definition")]
    [InlineData("""{"$ref":"#/$defs/missing"}""", "#/$ref", "must point at a definition")]
    [InlineData("""{"type":"tuple"}""", "#/type", "unknown type 'tuple'")]
    [InlineData("""{"type":"string","enum":["a"]}""", "#/type", "beside 'enum'")]
    [InlineData("""{"properties":{"a":false}}""", "#/properties/a", "admits no value")]
    [InlineData("""{"type":"object","properties":{"a":{"items":[{"type":"string"}]}}}""", "#/properties/a/items", "must be an object or a boolean")]
    public void Keywords_it_cannot_enforce_are_refused_with_their_path(string schema, string path, string reason)
    {
        var result = Convert(schema);

        Assert.Null(result.Gbnf);
        Assert.StartsWith($"{path}: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_that_is_not_an_object_is_refused() =>
        Assert.Contains("must be a JSON object", Convert("[1]").Error, StringComparison.Ordinal);

    [Fact]
    public void The_same_schema_text_is_converted_once()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"cached":{"type":"boolean"}}}""").RootElement;

        Assert.Same(JsonSchemaGrammar.FromSchema(schema), JsonSchemaGrammar.FromSchema(schema.Clone()));
    }

    [Theory]
    [InlineData("""{"type":"json_schema"}""", "response_format.json_schema")]
    [InlineData("""{"type":"json_schema","json_schema":{"schema":{"type":"object"}}}""", "response_format.json_schema.name")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"a b","schema":{"type":"object"}}}""", "response_format.json_schema.name")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x"}}""", "response_format.json_schema.schema")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x","schema":"object"}}""", "response_format.json_schema.schema")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"string","pattern":"a"}}}""", "response_format.json_schema.schema")]
    public void Invalid_json_schema_formats_name_the_field(string format, string param)
    {
        var request = JsonSerializer.Deserialize($$"""{"messages":[{"role":"user","content":"hi"}],"response_format":{{format}}}""", OpenAiJsonContext.Default.ChatCompletionRequest)!;

        var error = ChatCompletionValidator.Validate(request);

        Assert.NotNull(error);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(param, error.Error.Param);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"grammar":"root ::= \"a\"","response_format":{"type":"json_object"}}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"grammar":"  "}""")]
    public void A_grammar_with_a_json_format_or_empty_is_refused(string json)
    {
        var error = ChatCompletionValidator.Validate(JsonSerializer.Deserialize(json, OpenAiJsonContext.Default.ChatCompletionRequest)!);

        Assert.NotNull(error);
        Assert.Equal("grammar", error.Error.Param);
    }

    [Fact]
    public void A_valid_json_schema_request_passes_with_its_schema_read_as_json()
    {
        var request = JsonSerializer.Deserialize("""
            {"messages":[{"role":"user","content":"hi"}],
             "response_format":{"type":"json_schema","json_schema":{"name":"pet","description":"A pet.","strict":true,"schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}}
            """, OpenAiJsonContext.Default.ChatCompletionRequest)!;

        Assert.Null(ChatCompletionValidator.Validate(request));
        Assert.True(request.ResponseFormat!.JsonSchema!.Strict);
        Assert.Equal("A pet.", request.ResponseFormat.JsonSchema.Description);
        Assert.Contains("r-root", ChatCompletionValidator.GrammarFor(request), StringComparison.Ordinal);
    }
}
