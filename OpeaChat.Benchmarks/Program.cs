using OpeaChat.Benchmarks;

return await BenchmarkCommand.RunAsync(args);
