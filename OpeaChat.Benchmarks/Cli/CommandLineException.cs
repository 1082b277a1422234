namespace OpeaChat.Benchmarks.Cli;

/// <summary>A command line the user got wrong; the message says what and how to fix it.</summary>
public sealed class CommandLineException(string message) : Exception(message);
