using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.AspNetCore.Http;
using OllamaQuota.Admin.Apis;
using OllamaQuota.Core.Data;
using OllamaQuota.Core.Keys;
using OllamaQuota.Core.Models;
using OllamaQuota.Core.Settings;
using Xunit.Abstractions;

namespace OllamaQuota.Tests.Fuzzing;

/// <summary>
/// The admin body reader and the field rules against generated bodies: a value or a 4xx problem, never an
/// exception; and whatever the rules accept, storage can hold.
/// </summary>
public sealed class AdminBodyFuzzTests(ITestOutputHelper output)
{
    private const int MaxBodyBytes = 64 * 1024;

    private static readonly string[] Known = ["name", "expires_at", "ollama_url", "default_model", "allowed_models", "num_ctx", "model_slots", "contact", .. ApiKeyRules.LimitFields];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Fact]
    public void ReadFields_ArbitraryBytes_ValuesOrA4xxProblem() =>
        Fuzz.Check(Gen.Byte.Array[0, 256], body => ReadAndCheck(body), output, 300, body => Fuzz.Show(body));

    [Fact]
    public void ReadFields_GeneratedBodies_ValuesOrA4xxProblemAndAcceptedValuesFitStorage() =>
        Fuzz.Check(JsonGen.Mutated(JsonGen.AdminBody), body => ReadAndCheck(body), output, 600, body => Fuzz.Show(body));

    private static void ReadAndCheck(byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = body.Length;
        var (fields, problem) = JsonBody.ReadFieldsAsync(context.Request, MaxBodyBytes, Known, CancellationToken.None).GetAwaiter().GetResult();
        if (fields is null)
        {
            Assert.InRange(problem!.StatusCode, 400, 499);
            return;
        }

        fields.TryGetString("name", out var name);
        fields.TryGetString("ollama_url", out var url);
        fields.TryGetString("default_model", out var model);
        fields.TryGetString("contact", out var contact);
        fields.TryGetInstant("expires_at", out _);
        foreach (var limit in ApiKeyRules.LimitFields)
        {
            fields.TryGetLimit(limit, out var value);
            Assert.True(value is null or >= 0);
        }

        if (name is not null && ApiKeyRules.CheckName(name) is null)
        {
            AssertStorable(name.Trim(), ColumnLengths.KeyName);
        }

        if (name is not null && OwnerRules.CheckName(name) is null)
        {
            AssertStorable(name.Trim(), ColumnLengths.OwnerName);
        }

        if (OwnerRules.CheckContact(contact) is null && OwnerRules.StoredContact(contact) is { } storedContact)
        {
            AssertStorable(storedContact, ColumnLengths.OwnerContact);
        }

        if (url is not null && SettingsValidation.CheckOllamaUrl(url) is null)
        {
            AssertStorable(SettingsValidation.NormalizeOllamaUrl(url), ColumnLengths.OllamaUrl);
        }

        if (model is not null && SettingsValidation.CheckDefaultModel(model) is null)
        {
            AssertStorable(model.Trim(), ColumnLengths.Model);
        }

        if (fields.TryGetStringList("allowed_models", out var entries) && ModelAccess.Check(entries) is ({ } kept, null))
        {
            Assert.All(kept, entry => AssertStorable(entry, ColumnLengths.Model));
            Assert.InRange(JsonSerializer.Serialize(kept).Length, 2, ColumnLengths.AllowedModels);
        }

        if (fields.TryGetElement("num_ctx", out var numCtx) && NumCtxRules.Parse(numCtx, "num_ctx") is ({ } rules, null)
            && rules.CheckStoredLength("num_ctx") is null && rules.ToStored() is { } stored)
        {
            AssertStorable(stored, ColumnLengths.NumCtxRules);
            Assert.Equal(stored, NumCtxRules.FromStored(stored).ToStored());
        }

        if (fields.TryGetElement("model_slots", out var slots) && ModelSlotRules.Parse(slots, "model_slots") is ({ } slotRules, null)
            && slotRules.CheckStoredLength("model_slots") is null && slotRules.ToStored() is { } storedSlots)
        {
            AssertStorable(storedSlots, ColumnLengths.ModelSlots);
            Assert.Equal(storedSlots, ModelSlotRules.FromStored(storedSlots).ToStored());
        }
    }

    /// <summary>Fits its column, and is plain text PostgreSQL takes: UTF-8 encodable, no NUL nor other control.</summary>
    private static void AssertStorable(string value, int column)
    {
        Assert.InRange(value.Length, 1, column);
        StrictUtf8.GetByteCount(value);
        Assert.DoesNotContain(value, char.IsControl);
    }
}
