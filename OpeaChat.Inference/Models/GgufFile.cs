using System.Text;

namespace OpeaChat.Inference.Models;

/// <summary>
/// What a GGUF file says about itself, read from its header without loading the model: metadata (scalars and array
/// lengths, or whole arrays when asked) and tensor shapes. Lets <c>/v1/models</c> describe models that are not loaded,
/// the KV-cache check size a model before loading it, and the benchmarks' synthetic-model writer copy a tokenizer.
/// </summary>
public sealed class GgufFile
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    private GgufFile(uint version, IReadOnlyList<KeyValuePair<string, GgufValue>> entries, IReadOnlyList<GgufTensor> tensors)
    {
        Version = version;
        Entries = entries;
        var metadata = new Dictionary<string, object>(entries.Count, StringComparer.Ordinal);
        foreach (var (key, value) in entries)
        {
            metadata[key] = value.Value; // a repeated key: the last one counts, as for llama.cpp
        }

        Metadata = metadata;
        Tensors = tensors;
    }

    public uint Version { get; }

    /// <summary>The metadata in file order, each value with its GGUF type (as written back by a GGUF writer).</summary>
    public IReadOnlyList<KeyValuePair<string, GgufValue>> Entries { get; }

    /// <summary>
    /// Scalar values as .NET values; arrays as <see cref="GgufArray"/> (type and length, and the items when read with
    /// <c>readArrayItems</c>).
    /// </summary>
    public IReadOnlyDictionary<string, object> Metadata { get; }

    public IReadOnlyList<GgufTensor> Tensors { get; }

    public long ParameterCount => Tensors.Sum(tensor => tensor.ElementCount);

    public string? Architecture => GetString("general.architecture");

    public string? GetString(string key) => Metadata.TryGetValue(key, out var value) ? value as string : null;

    public long? GetInteger(string key) => Metadata.TryGetValue(key, out var value) ? value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        ulong v => (long)v,
        long v => v,
        _ => null,
    } : null;

    public long? GetArchitectureInteger(string suffix) => Architecture is { } architecture ? GetInteger($"{architecture}.{suffix}") : null;

    /// <summary>The header of <paramref name="path"/>, or null when it cannot be read (missing, truncated, not GGUF).</summary>
    public static GgufFile? TryRead(string path)
    {
        try
        {
            return Read(path);
        }
        catch (Exception exception) when (exception is IOException or InvalidDataException or EndOfStreamException or OverflowException)
        {
            return null;
        }
    }

    /// <param name="path">The GGUF file.</param>
    /// <param name="readArrayItems">
    /// Keep the items of array values (tokenizer vocabularies: large, and only needed to copy them); otherwise arrays
    /// are skipped and only their type and length kept.
    /// </param>
    public static GgufFile Read(string path, bool readArrayItems = false)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        if (reader.ReadUInt32() != Magic)
        {
            throw new InvalidDataException($"{path} is not a GGUF file (wrong magic number).");
        }

        var version = reader.ReadUInt32();
        if (version is < 2 or > 3)
        {
            throw new InvalidDataException($"{path} is GGUF version {version}; versions 2 and 3 are supported.");
        }

        var tensorCount = checked((int)reader.ReadUInt64());
        var metadataCount = checked((int)reader.ReadUInt64());
        var entries = new List<KeyValuePair<string, GgufValue>>(metadataCount);
        for (var i = 0; i < metadataCount; i++)
        {
            var key = ReadString(reader);
            var type = (GgufType)reader.ReadUInt32();
            entries.Add(new(key, new GgufValue(type, ReadValue(reader, type, readArrayItems))));
        }

        var tensors = new List<GgufTensor>(tensorCount);
        for (var i = 0; i < tensorCount; i++)
        {
            var name = ReadString(reader);
            var dimensions = reader.ReadUInt32();
            var shape = new long[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                shape[d] = checked((long)reader.ReadUInt64());
            }

            var tensorType = reader.ReadUInt32();
            _ = reader.ReadUInt64(); // offset into the data section
            tensors.Add(new GgufTensor(name, shape, tensorType));
        }

        return new GgufFile(version, entries, tensors);
    }

    private static object ReadValue(BinaryReader reader, GgufType type, bool readArrayItems) => type switch
    {
        GgufType.UInt8 => reader.ReadByte(),
        GgufType.Int8 => reader.ReadSByte(),
        GgufType.UInt16 => reader.ReadUInt16(),
        GgufType.Int16 => reader.ReadInt16(),
        GgufType.UInt32 => reader.ReadUInt32(),
        GgufType.Int32 => reader.ReadInt32(),
        GgufType.Float32 => reader.ReadSingle(),
        GgufType.Bool => reader.ReadByte() != 0,
        GgufType.String => ReadString(reader),
        GgufType.UInt64 => reader.ReadUInt64(),
        GgufType.Int64 => reader.ReadInt64(),
        GgufType.Float64 => reader.ReadDouble(),
        GgufType.Array => ReadArray(reader, readArrayItems),
        _ => throw new InvalidDataException($"Unknown GGUF metadata type {(uint)type}."),
    };

    private static GgufArray ReadArray(BinaryReader reader, bool readArrayItems)
    {
        var itemType = (GgufType)reader.ReadUInt32();
        var length = checked((long)reader.ReadUInt64());
        if (!readArrayItems)
        {
            for (long i = 0; i < length; i++)
            {
                _ = ReadValue(reader, itemType, readArrayItems); // skipped: tokenizer vocabularies are large and not needed here
            }

            return new GgufArray(itemType, length);
        }

        var items = new object[checked((int)length)];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ReadValue(reader, itemType, readArrayItems);
        }

        return new GgufArray(itemType, length) { Items = items };
    }

    private static string ReadString(BinaryReader reader)
    {
        var length = checked((int)reader.ReadUInt64());
        return Encoding.UTF8.GetString(reader.ReadBytes(length));
    }
}

public sealed record GgufTensor(string Name, IReadOnlyList<long> Shape, uint Type)
{
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);
}

/// <summary>An array value: its item type and length, and its items (boxed, of <see cref="ItemType"/>) when they were read.</summary>
public sealed record GgufArray(GgufType ItemType, long Length)
{
    public IReadOnlyList<object>? Items { get; init; }
}

/// <summary>
/// One metadata value with its GGUF type, as stored in the file: scalars as .NET values of that type, arrays as
/// <see cref="GgufArray"/>.
/// </summary>
public sealed record GgufValue(GgufType Type, object Value)
{
    public static GgufValue String(string value) => new(GgufType.String, value);

    public static GgufValue UInt32(uint value) => new(GgufType.UInt32, value);

    public static GgufValue Float32(float value) => new(GgufType.Float32, value);
}

/// <summary>GGUF's metadata value types (gguf_type), as stored in the file.</summary>
public enum GgufType : uint
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

/// <summary>llama.cpp's names for <c>general.file_type</c> (llama_ftype).</summary>
public static class GgufFileTypes
{
    private static readonly Dictionary<long, string> s_names = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [7] = "Q8_0", [8] = "Q5_0", [9] = "Q5_1",
        [10] = "Q2_K", [11] = "Q3_K_S", [12] = "Q3_K_M", [13] = "Q3_K_L", [14] = "Q4_K_S", [15] = "Q4_K_M",
        [16] = "Q5_K_S", [17] = "Q5_K_M", [18] = "Q6_K", [19] = "IQ2_XXS", [20] = "IQ2_XS", [21] = "Q2_K_S",
        [22] = "IQ3_XS", [23] = "IQ3_XXS", [24] = "IQ1_S", [25] = "IQ4_NL", [26] = "IQ3_S", [27] = "IQ3_M",
        [28] = "IQ2_S", [29] = "IQ2_M", [30] = "IQ4_XS", [31] = "IQ1_M", [32] = "BF16", [36] = "TQ1_0", [37] = "TQ2_0",
        [38] = "MXFP4_MOE",
    };

    private static readonly Dictionary<uint, string> s_tensorTypes = new()
    {
        [0] = "F32", [1] = "F16", [2] = "Q4_0", [3] = "Q4_1", [6] = "Q5_0", [7] = "Q5_1", [8] = "Q8_0", [10] = "Q2_K",
        [11] = "Q3_K", [12] = "Q4_K", [13] = "Q5_K", [14] = "Q6_K", [16] = "IQ2_XXS", [17] = "IQ2_XS", [18] = "IQ3_XXS",
        [19] = "IQ1_S", [20] = "IQ4_NL", [21] = "IQ3_S", [22] = "IQ2_S", [23] = "IQ4_XS", [29] = "IQ1_M", [30] = "BF16",
        [34] = "TQ1_0", [35] = "TQ2_0", [39] = "MXFP4",
    };

    /// <summary>The file type's name, or (for files that do not say) the type holding most of the weights.</summary>
    public static string Name(GgufFile file)
    {
        if (file.GetInteger("general.file_type") is { } value)
        {
            return s_names.GetValueOrDefault(value, $"type {value}");
        }

        var dominant = file.Tensors.GroupBy(tensor => tensor.Type)
            .OrderByDescending(group => group.Sum(tensor => tensor.ElementCount))
            .Select(group => (uint?)group.Key)
            .FirstOrDefault();
        return dominant is { } type ? s_tensorTypes.GetValueOrDefault(type, $"type {type}") : "unknown";
    }
}
