using System.Text;
using OpeaChat.Inference.Models;

namespace OpeaChat.Benchmarks.Synth;

/// <summary>ggml's tensor types that the synthetic model uses (ggml_type).</summary>
public enum GgmlType : uint
{
    F32 = 0,
    Q8_0 = 8,
}

/// <summary>
/// Writes a GGUF version 3 file: header (magic, version, tensor count, metadata count), metadata, tensor infos with
/// offsets aligned to <see cref="Alignment"/> bytes, padding, then each tensor's data padded to the alignment.
/// Tensor data is produced on demand while writing, so a large model never sits in memory. Metadata values are the
/// inference service's <see cref="GgufValue"/>s, so what <see cref="GgufFile"/> reads (arrays with their items) writes back unchanged.
/// </summary>
public sealed class GgufWriter
{
    public const int Alignment = 32;
    public const int Q8BlockSize = 32;
    public const int Q8BlockBytes = 2 + Q8BlockSize; // f16 scale + 32 int8

    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<TensorSpec> _tensors = [];

    /// <summary>Writes exactly the tensor's bytes to the stream.</summary>
    public delegate void TensorDataWriter(Stream destination, CancellationToken cancellationToken);

    public IReadOnlyList<KeyValuePair<string, GgufValue>> Metadata => _metadata;

    public long ParameterCount => _tensors.Sum(tensor => tensor.Elements);

    public void Add(string key, GgufValue value)
    {
        if (_metadata.Any(entry => entry.Key == key))
        {
            throw new ArgumentException($"The metadata key {key} is already set.", nameof(key));
        }

        _metadata.Add(new(key, value));
    }

    /// <summary>Adds a tensor; <paramref name="shape"/> is in ggml order (ne0 = the contiguous row length first).</summary>
    public void AddTensor(string name, IReadOnlyList<long> shape, GgmlType type, TensorDataWriter data)
    {
        if (type == GgmlType.Q8_0 && shape[0] % Q8BlockSize != 0)
        {
            throw new ArgumentException($"{name}: Q8_0 rows must be a multiple of {Q8BlockSize} long, not {shape[0]}.", nameof(shape));
        }

        _tensors.Add(new TensorSpec(name, [.. shape], type, data));
    }

    public static long ByteSize(GgmlType type, long elements) => type switch
    {
        GgmlType.F32 => elements * sizeof(float),
        GgmlType.Q8_0 => elements / Q8BlockSize * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unsupported tensor type."),
    };

    /// <summary>Writes the file (to a temporary name first, so a cancelled run leaves no half model behind); returns its size.</summary>
    public long Write(string path, IProgress<double>? progress, CancellationToken cancellationToken)
    {
        var partial = path + ".part";
        long length;
        using (var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            using var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true);
            writer.Write(GgufFile.Magic);
            writer.Write(3u);
            writer.Write((ulong)_tensors.Count);
            writer.Write((ulong)_metadata.Count);
            foreach (var (key, value) in _metadata)
            {
                WriteString(writer, key);
                writer.Write((uint)value.Type);
                WriteValue(writer, value);
            }

            long offset = 0;
            foreach (var tensor in _tensors)
            {
                WriteString(writer, tensor.Name);
                writer.Write((uint)tensor.Shape.Length);
                foreach (var dimension in tensor.Shape)
                {
                    writer.Write((ulong)dimension);
                }

                writer.Write((uint)tensor.Type);
                writer.Write((ulong)offset);
                offset = Align(offset + ByteSize(tensor.Type, tensor.Elements));
            }

            writer.Flush();
            Pad(file);
            var total = (double)offset;
            long written = 0;
            foreach (var tensor in _tensors)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var start = file.Position;
                tensor.Data(file, cancellationToken);
                var expected = ByteSize(tensor.Type, tensor.Elements);
                if (file.Position - start != expected)
                {
                    throw new InvalidOperationException($"{tensor.Name}: wrote {file.Position - start} bytes, expected {expected}.");
                }

                Pad(file);
                written += Align(expected);
                progress?.Report(written / total);
            }

            length = file.Length;
        }

        File.Move(partial, path, overwrite: true);
        return length;
    }

    private static long Align(long value) => (value + Alignment - 1) / Alignment * Alignment;

    private static void Pad(Stream stream)
    {
        var padding = (int)(Align(stream.Position) - stream.Position);
        for (var i = 0; i < padding; i++)
        {
            stream.WriteByte(0);
        }
    }

    private static void WriteString(BinaryWriter writer, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        writer.Write((ulong)bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteValue(BinaryWriter writer, GgufValue value) => WriteItem(writer, value.Type, value.Value);

    private static void WriteItem(BinaryWriter writer, GgufType type, object value)
    {
        switch (type)
        {
            case GgufType.UInt8: writer.Write((byte)value); break;
            case GgufType.Int8: writer.Write((sbyte)value); break;
            case GgufType.UInt16: writer.Write((ushort)value); break;
            case GgufType.Int16: writer.Write((short)value); break;
            case GgufType.UInt32: writer.Write((uint)value); break;
            case GgufType.Int32: writer.Write((int)value); break;
            case GgufType.Float32: writer.Write((float)value); break;
            case GgufType.Bool: writer.Write((bool)value ? (byte)1 : (byte)0); break;
            case GgufType.String: WriteString(writer, (string)value); break;
            case GgufType.UInt64: writer.Write((ulong)value); break;
            case GgufType.Int64: writer.Write((long)value); break;
            case GgufType.Float64: writer.Write((double)value); break;
            case GgufType.Array: WriteArray(writer, (GgufArray)value); break;
            default: throw new InvalidDataException($"Cannot write GGUF type {type}.");
        }
    }

    private static void WriteArray(BinaryWriter writer, GgufArray array)
    {
        var items = array.Items ?? throw new InvalidOperationException(
            "A GGUF array read without its items cannot be written back: read the source with GgufFile.Read(path, readArrayItems: true).");
        writer.Write((uint)array.ItemType);
        writer.Write((ulong)items.Count);
        foreach (var item in items)
        {
            WriteItem(writer, array.ItemType, item);
        }
    }

    private sealed record TensorSpec(string Name, long[] Shape, GgmlType Type, TensorDataWriter Data)
    {
        public long Elements => Shape.Aggregate(1L, (product, dimension) => product * dimension);
    }
}
