namespace OpeaChat.Benchmarks.Synth;

/// <summary>GGUF's metadata value types (gguf_type), as stored in the file.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
}

/// <summary>ggml's tensor types that the synthetic model uses (ggml_type).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    Q8_0 = 8,
}

/// <summary>
/// One metadata value, kept whole (arrays with all their items) so that it can be written back unchanged. For arrays
/// <see cref="Value"/> is an <see cref="IReadOnlyList{T}"/> of boxed items of <see cref="ItemType"/>.
/// </summary>
public sealed record GgufValue(GgufValueType Type, object Value, GgufValueType ItemType = GgufValueType.UInt8)
{
    public static GgufValue String(string value) => new(GgufValueType.String, value);

    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, value);

    public static GgufValue Float32(float value) => new(GgufValueType.Float32, value);

    public int ArrayLength => Type == GgufValueType.Array ? ((IReadOnlyList<object>)Value).Count : 0;
}

/// <summary>A GGUF file's metadata in file order.</summary>
public sealed record GgufMetadata(uint Version, IReadOnlyList<KeyValuePair<string, GgufValue>> Entries)
{
    public GgufValue? this[string key] => Entries.FirstOrDefault(entry => entry.Key == key).Value;
}
