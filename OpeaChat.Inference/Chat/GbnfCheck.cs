using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using LLama;
using LLama.Native;

namespace OpeaChat.Inference.Chat;

/// <summary>
/// Whether llama.cpp parses a GBNF grammar, asked before generation starts. LLamaSharp adds whatever
/// <c>llama_sampler_init_grammar</c> returns to the sampler chain, and on a parse error that is a null sampler, which
/// crashes the decode loop; so a grammar is parsed here once, with the same native parser, and refused when it fails.
/// </summary>
public static class GbnfCheck
{
    private const int CacheCapacity = 256;
    private static readonly ConcurrentDictionary<string, bool> s_parsed = new(StringComparer.Ordinal);
    private static readonly Lazy<NativeGrammar> s_native = new(NativeGrammar.Bind);

    /// <summary>True when the grammar parses with <c>root</c> as its start rule.</summary>
    public static bool Parses(LLamaWeights weights, string gbnf)
    {
        if (s_parsed.TryGetValue(gbnf, out var known))
        {
            return known;
        }

        var parses = s_native.Value.Parses(weights.NativeHandle, gbnf);
        if (s_parsed.Count >= CacheCapacity)
        {
            s_parsed.Clear(); // Bounded: ever-new grammars cannot grow the cache without limit.
        }

        s_parsed.TryAdd(gbnf, parses);
        return parses;
    }

    private sealed class NativeGrammar(NativeGrammar.GetVocab getVocab, NativeGrammar.InitGrammar initGrammar, NativeGrammar.FreeSampler freeSampler)
    {
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr GetVocab(IntPtr model);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate IntPtr InitGrammar(IntPtr vocab, IntPtr grammar, IntPtr root);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        public delegate void FreeSampler(IntPtr sampler);

        /// <summary>The library LLamaSharp already loaded: its resolver answers for its own assembly.</summary>
        public static NativeGrammar Bind()
        {
            var library = NativeLibrary.Load("llama", typeof(NativeApi).Assembly, null);
            return new NativeGrammar(
                Marshal.GetDelegateForFunctionPointer<GetVocab>(NativeLibrary.GetExport(library, "llama_model_get_vocab")),
                Marshal.GetDelegateForFunctionPointer<InitGrammar>(NativeLibrary.GetExport(library, "llama_sampler_init_grammar")),
                Marshal.GetDelegateForFunctionPointer<FreeSampler>(NativeLibrary.GetExport(library, "llama_sampler_free")));
        }

        public bool Parses(SafeLlamaModelHandle model, string gbnf)
        {
            var added = false;
            var grammar = Marshal.StringToCoTaskMemUTF8(gbnf);
            var root = Marshal.StringToCoTaskMemUTF8("root");
            try
            {
                model.DangerousAddRef(ref added);
                var sampler = initGrammar(getVocab(model.DangerousGetHandle()), grammar, root);
                if (sampler == IntPtr.Zero)
                {
                    return false;
                }

                freeSampler(sampler);
                return true;
            }
            finally
            {
                if (added)
                {
                    model.DangerousRelease();
                }

                Marshal.FreeCoTaskMem(grammar);
                Marshal.FreeCoTaskMem(root);
            }
        }
    }
}
