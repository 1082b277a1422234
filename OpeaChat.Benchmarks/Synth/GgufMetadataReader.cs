using System.Text;

namespace OpeaChat.Benchmarks.Synth;

/// <summary>
/// Reads a GGUF file's header metadata with every value whole, tokenizer vocabularies included (the inference
/// service's reader skips array items; copying a tokenizer needs them).
/// </summary>
public static class GgufMetadataReader
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32

    public static GgufMetadata Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        if (stream.Length < 24 || reader.ReadUInt32() != Magic)
        {
            throw new InvalidDataException($"{path} is not a GGUF file (wrong magic number).");
        }

        var version = reader.ReadUInt32();
        if (version is < 2 or > 3)
        {
            throw new InvalidDataException($"{path} is GGUF version {version}; versions 2 and 3 are supported.");
        }

        _ = reader.ReadUInt64(); // tensor count: the tensors are not needed
        var count = checked((int)reader.ReadUInt64());
        var entries = new List<KeyValuePair<string, GgufValue>>(count);
        for (var i = 0; i < count; i++)
        {
            var key = ReadString(reader);
            var type = (GgufValueType)reader.ReadUInt32();
            entries.Add(new(key, ReadValue(reader, type)));
        }

        return new GgufMetadata(version, entries);
    }

    private static GgufValue ReadValue(BinaryReader reader, GgufValueType type)
    {
        if (type != GgufValueType.Array)
        {
            return new GgufValue(type, ReadScalar(reader, type));
        }

        var itemType = (GgufValueType)reader.ReadUInt32();
        if (itemType == GgufValueType.Array)
        {
            throw new InvalidDataException("Nested GGUF arrays are not supported.");
        }

        var length = checked((int)reader.ReadUInt64());
        var items = new object[length];
        for (var i = 0; i < length; i++)
        {
            items[i] = ReadScalar(reader, itemType);
        }

        return new GgufValue(GgufValueType.Array, items, itemType);
    }

    private static object ReadScalar(BinaryReader reader, GgufValueType type) => type switch
    {
        GgufValueType.UInt8 => reader.ReadByte(),
        GgufValueType.Int8 => reader.ReadSByte(),
        GgufValueType.UInt16 => reader.ReadUInt16(),
        GgufValueType.Int16 => reader.ReadInt16(),
        GgufValueType.UInt32 => reader.ReadUInt32(),
        GgufValueType.Int32 => reader.ReadInt32(),
        GgufValueType.Float32 => reader.ReadSingle(),
        GgufValueType.Bool => reader.ReadByte() != 0,
        GgufValueType.String => ReadString(reader),
        GgufValueType.UInt64 => reader.ReadUInt64(),
        GgufValueType.Int64 => reader.ReadInt64(),
        GgufValueType.Float64 => reader.ReadDouble(),
        _ => throw new InvalidDataException($"Unknown GGUF metadata type {(uint)type}."),
    };

    private static string ReadString(BinaryReader reader)
    {
        var length = checked((int)reader.ReadUInt64());
        return Encoding.UTF8.GetString(reader.ReadBytes(length));
    }
}
