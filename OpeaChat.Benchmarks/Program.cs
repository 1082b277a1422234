using OpeaChat.Benchmarks.Cli;

return await BenchmarkCli.RunAsync(args);
