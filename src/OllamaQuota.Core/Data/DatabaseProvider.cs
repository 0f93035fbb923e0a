namespace OllamaQuota.Core.Data;

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}
