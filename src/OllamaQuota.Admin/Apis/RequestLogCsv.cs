using System.Globalization;
using System.Text;

namespace OllamaQuota.Admin.Apis;

/// <summary>
/// The request log as CSV (RFC 4180, comma-separated, CRLF). Safe to open in a spreadsheet: a text cell that begins with
/// a character a spreadsheet reads as a formula (= + - @, tab, carriage return) is prefixed with an apostrophe, since
/// model names come from API clients and key names from admins.
/// </summary>
public static class RequestLogCsv
{
    public const string Header =
        "created_at,key_id,key_name,key_prefix,model,endpoint,status,refused,prompt_tokens,completion_tokens,duration_ms,gpu_seconds\r\n";

    public static string Line(RequestLogItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var line = new StringBuilder(160);
        line.Append(item.CreatedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)).Append(',')
            .Append(item.KeyId.ToString("D")).Append(',')
            .Append(Text(item.KeyName)).Append(',')
            .Append(Text(item.KeyPrefix)).Append(',')
            .Append(Text(item.Model)).Append(',')
            .Append(Text(item.Endpoint)).Append(',')
            .Append(item.Status.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(item.Refused ? "true" : "false").Append(',')
            .Append(item.PromptTokens.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(item.CompletionTokens.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(item.DurationMs.ToString(CultureInfo.InvariantCulture)).Append(',')
            .Append(item.GpuSeconds?.ToString("0.######", CultureInfo.InvariantCulture)).Append("\r\n");
        return line.ToString();
    }

    /// <summary>A text cell: defused against formulas, then quoted when it holds a comma, a quote or a line break.</summary>
    public static string Text(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
