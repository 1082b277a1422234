using OpeaChat.ChatQnA.Dataprep.Chunking;
using OpeaChat.ChatQnA.Dataprep.Parsing;

namespace OpeaChat.Tests.ChatQnA.Dataprep;

public sealed class RecursiveChunkerTests
{
    [Fact]
    public void Chunks_fit_the_size_overlap_and_cover_the_whole_text()
    {
        var sentences = Enumerable.Range(1, 60).Select(i => $"Sentence number {i} says something of its own.");
        var text = string.Join(" ", sentences);

        var chunks = RecursiveChunker.Chunk([new DocumentSection(text, "Intro", 4)], chunkSize: 300, chunkOverlap: 60);

        Assert.True(chunks.Count > 5);
        Assert.All(chunks, chunk => Assert.InRange(chunk.Text.Length, 1, 300));
        Assert.All(chunks, chunk => Assert.Equal(("Intro", 4), (chunk.Heading, chunk.Page)));
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(chunk => chunk.Index));
        foreach (var sentence in sentences)
        {
            Assert.Contains(chunks, chunk => chunk.Text.Contains(sentence, StringComparison.Ordinal));
        }

        // Each chunk after the first starts with words the one before ended with.
        for (var i = 1; i < chunks.Count; i++)
        {
            var start = chunks[i].Text.Split(' ')[0..3];
            Assert.Contains(string.Join(' ', start), chunks[i - 1].Text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Paragraphs_are_cut_before_sentences_and_words_before_characters()
    {
        var chunks = RecursiveChunker.Chunk([new DocumentSection("First paragraph here.\n\nSecond paragraph here.", null, null)], chunkSize: 30, chunkOverlap: 0);
        var word = RecursiveChunker.Chunk([new DocumentSection(new string('x', 25), null, null)], chunkSize: 10, chunkOverlap: 2);

        Assert.Equal(["First paragraph here.", "Second paragraph here."], chunks.Select(chunk => chunk.Text));
        Assert.Equal(["xxxxxxxxxx", "xxxxxxxxxx", "xxxxxxxxx"], word.Select(chunk => chunk.Text));
    }

    [Fact]
    public void Sections_are_chunked_apart_and_keep_their_heading_and_page()
    {
        var chunks = RecursiveChunker.Chunk([new DocumentSection("Page one text.", null, 1), new DocumentSection("Page two text.", "Results", 2)], 1500, 100);

        Assert.Equal([(0, "Page one text.", (string?)null, (int?)1), (1, "Page two text.", "Results", 2)], chunks.Select(c => (c.Index, c.Text, c.Heading, c.Page)));
    }
}
