namespace OllamaQuota.Core.Redis;

/// <summary>The RESP2 reply kinds. A null bulk string and a null array both read as <see cref="Null"/>, as RESP3 merges them.</summary>
public enum RespType
{
    Null = 0,
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
}
