namespace OllamaQuota.Core.Data;

/// <summary>The database is reachable but not (fully) migrated; the message says how to initialise it.</summary>
public sealed class DatabaseNotReadyException(string message) : Exception(message);
