using System.Text;

namespace OllamaQuota.Core.Data;

internal static class SnakeCase
{
    /// <summary><c>DailyTokens</c> → <c>daily_tokens</c>.</summary>
    public static string From(string pascalCase)
    {
        var builder = new StringBuilder(pascalCase.Length + 4);
        for (var i = 0; i < pascalCase.Length; i++)
        {
            var c = pascalCase[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
