using System.Buffers.Binary;

namespace OpeaChat.Benchmarks.Synth;

/// <summary>
/// Tensor data for a random-weight model: Q8_0 matrices of normal(0, std) values, quantised as ggml's reference
/// quantiser does (scale = max |x| / 127 stored as f16, then round(x / scale) as int8), and constant F32 vectors.
/// </summary>
public static class RandomWeights
{
    public static GgufWriter.TensorDataWriter Q8_0(long elements, int seed, float standardDeviation) => (destination, cancellationToken) =>
    {
        const int blocksPerChunk = 4096;
        var random = new Random(seed);
        var values = new float[GgufWriter.Q8BlockSize];
        var chunk = new byte[blocksPerChunk * GgufWriter.Q8BlockBytes];
        var blocks = elements / GgufWriter.Q8BlockSize;
        for (long done = 0; done < blocks;)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var count = (int)Math.Min(blocksPerChunk, blocks - done);
            for (var b = 0; b < count; b++)
            {
                FillNormal(random, values, standardDeviation);
                EncodeBlock(values, chunk.AsSpan(b * GgufWriter.Q8BlockBytes, GgufWriter.Q8BlockBytes));
            }

            destination.Write(chunk, 0, count * GgufWriter.Q8BlockBytes);
            done += count;
        }
    };

    public static GgufWriter.TensorDataWriter Constant(long elements, float value) => (destination, cancellationToken) =>
    {
        var bytes = new byte[elements * sizeof(float)];
        for (long i = 0; i < elements; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)(i * sizeof(float))), value);
        }

        destination.Write(bytes);
    };

    /// <summary>F32 values of normal(0, std), one Box-Muller pair of uniforms per value (small tensors only: built in memory).</summary>
    public static GgufWriter.TensorDataWriter F32(long elements, int seed, float standardDeviation) => (destination, cancellationToken) =>
    {
        var random = new Random(seed);
        var bytes = new byte[checked((int)(elements * sizeof(float)))];
        for (var i = 0; i < elements; i++)
        {
            var value = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()) * standardDeviation;
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), (float)value);
        }

        cancellationToken.ThrowIfCancellationRequested();
        destination.Write(bytes);
    };

    /// <summary>ggml's quantize_row_q8_0_ref for one block of 32 values.</summary>
    public static void EncodeBlock(ReadOnlySpan<float> values, Span<byte> block)
    {
        var max = 0f;
        foreach (var value in values)
        {
            max = Math.Max(max, Math.Abs(value));
        }

        var scale = max / 127f;
        var inverse = scale != 0 ? 1f / scale : 0f;
        BinaryPrimitives.WriteHalfLittleEndian(block, (Half)scale);
        for (var i = 0; i < values.Length; i++)
        {
            block[2 + i] = unchecked((byte)(sbyte)Math.Clamp(MathF.Round(values[i] * inverse, MidpointRounding.AwayFromZero), -127f, 127f));
        }
    }

    /// <summary>Box-Muller: pairs of independent normal values from pairs of uniform ones.</summary>
    private static void FillNormal(Random random, Span<float> values, float standardDeviation)
    {
        for (var i = 0; i < values.Length; i += 2)
        {
            var u1 = 1.0 - random.NextDouble(); // (0, 1]: the logarithm stays finite
            var u2 = random.NextDouble();
            var radius = Math.Sqrt(-2.0 * Math.Log(u1)) * standardDeviation;
            var angle = 2.0 * Math.PI * u2;
            values[i] = (float)(radius * Math.Cos(angle));
            values[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }
}
