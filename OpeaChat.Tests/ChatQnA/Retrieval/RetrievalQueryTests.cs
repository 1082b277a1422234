using OpeaChat.ChatQnA.Retrieval;
using OpeaChat.Contracts.Opea;

namespace OpeaChat.Tests.ChatQnA.Retrieval;

public sealed class RetrievalQueryTests
{
    [Fact]
    public void Missing_fields_take_opeas_defaults()
    {
        var (query, problem) = RetrievalQuery.From(new OpeaChatRequest(), null, 100);

        Assert.Null(problem);
        Assert.Equal(new RetrievalQuery(), query);
        Assert.Equal(("default", 4, 20, "similarity", 0.2, 0.5, 1), (query!.IndexName, query.K, query.FetchK, query.SearchType, query.ScoreThreshold, query.LambdaMult, query.TopN));
    }

    [Fact]
    public void Fetch_k_is_never_below_k()
    {
        var (query, _) = RetrievalQuery.From(new OpeaChatRequest { K = 8, FetchK = 3 }, "handbook", 100);

        Assert.Equal((8, 8, "handbook"), (query!.K, query.FetchK, query.IndexName));
    }

    public static TheoryData<OpeaChatRequest, string, string> BadFields => new()
    {
        { new OpeaChatRequest { K = 0 }, "k", "from 1 to 100" },
        { new OpeaChatRequest { FetchK = 101 }, "fetch_k", "from 1 to 100" },
        { new OpeaChatRequest { TopN = -1 }, "top_n", "from 1 to 100" },
        { new OpeaChatRequest { SearchType = "fuzzy" }, "search_type", "similarity, similarity_distance_threshold, similarity_score_threshold, mmr" },
        { new OpeaChatRequest { ScoreThreshold = 1.5 }, "score_threshold", "from 0 to 1" },
        { new OpeaChatRequest { LambdaMult = double.NaN }, "lambda_mult", "from 0 to 1" },
        { new OpeaChatRequest { DistanceThreshold = -0.1 }, "distance_threshold", "from 0 to 2" },
        { new OpeaChatRequest { SearchType = "similarity_distance_threshold" }, "distance_threshold", "needs distance_threshold" },
        { new OpeaChatRequest { ChatTemplate = "Answer: {question}" }, "chat_template", "{context} and {question}" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void A_field_that_does_not_fit_is_named_with_the_reason(OpeaChatRequest request, string field, string reason)
    {
        var (query, problem) = RetrievalQuery.From(request, null, 100);

        Assert.Null(query);
        Assert.Equal(field, problem!.Value.Field);
        Assert.Contains(reason, problem.Value.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("all", "reserved")]
    [InlineData("ALL", "reserved")]
    [InlineData("my docs", "letters, digits")]
    [InlineData("../etc", "letters, digits")]
    public void Index_names_are_checked(string name, string reason)
    {
        var (_, problem) = RetrievalQuery.From(new OpeaChatRequest(), name, 100);

        Assert.Equal("index_name", problem!.Value.Field);
        Assert.Contains(reason, problem.Value.Message, StringComparison.Ordinal);
    }
}
