// Unit tests run in parallel, one collection per class. Collections whose tests start servers, processes or the model
// are marked DisableParallelization: they run after the parallel ones, one at a time (Infrastructure/TestCollections.cs).
[assembly: CollectionBehavior(CollectionBehavior.CollectionPerClass)]
