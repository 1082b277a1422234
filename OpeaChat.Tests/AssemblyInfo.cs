// Test classes start real servers (WebApplicationFactory hosts and whole Aspire apps). Built at the same time in one
// process, WebApplicationFactory's host capture can hand one factory another's host, so collections run one by one.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
