namespace OpeaChat.Inference.Chat;

/// <summary>A GBNF grammar for one JSON object: what <c>response_format: {"type":"json_object"}</c> constrains output to.</summary>
public static class JsonGrammar
{
    public const string Gbnf = """
        root    ::= object
        value   ::= object | array | string | number | ("true" | "false" | "null") space
        object  ::= "{" space ( member ( "," space member )* )? "}" space
        member  ::= string ":" space value
        array   ::= "[" space ( value ( "," space value )* )? "]" space
        string  ::= "\"" ( [^"\\\x00-\x1F\x7F] | "\\" ( ["\\/bfnrt] | "u" hex hex hex hex ) )* "\"" space
        hex     ::= [0-9a-fA-F]
        number  ::= "-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,16} )? ( [eE] [-+]? [0-9]{1,3} )? space
        space   ::= ( " " | "\n" [ \t]{0,16} )?
        """;
}
