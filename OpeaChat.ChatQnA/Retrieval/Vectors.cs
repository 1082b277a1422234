using System.Numerics.Tensors;

namespace OpeaChat.ChatQnA.Retrieval;

/// <summary>Vectors as retrieval compares them: L2-normalised, so that a dot product is their cosine.</summary>
public static class Vectors
{
    /// <summary>Scales <paramref name="vector"/> in place to length 1 (a zero vector stays as it is) and returns it.</summary>
    public static float[] Normalized(float[] vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        return vector;
    }
}
