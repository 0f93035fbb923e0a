using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace OllamaQuota.Core.Data;

/// <summary>One model for both providers (SQLite and PostgreSQL); table, column and key names are snake_case.</summary>
public sealed class QuotaDbContext(DbContextOptions<QuotaDbContext> options) : DbContext(options)
{
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Owner> Owners => Set<Owner>();
    public DbSet<SettingsRow> Settings => Set<SettingsRow>();
    public DbSet<UsageEvent> UsageEvents => Set<UsageEvent>();
    public DbSet<UsageDaily> UsageDaily => Set<UsageDaily>();
    public DbSet<UsageModelDaily> UsageModelDaily => Set<UsageModelDaily>();
    public DbSet<UsageKeyMonthly> UsageKeyMonthly => Set<UsageKeyMonthly>();
    public DbSet<UsageDeadLetter> UsageDeadLetters => Set<UsageDeadLetter>();
    public DbSet<InFlightRow> InFlight => Set<InFlightRow>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ApiKey>(key =>
        {
            key.ToTable("api_keys");
            key.Property(k => k.Name).HasMaxLength(ColumnLengths.KeyName);
            key.Property(k => k.KeyPrefix).HasMaxLength(ColumnLengths.KeyPrefix);
            key.Property(k => k.KeyHash).HasMaxLength(ColumnLengths.KeyHash);
            key.HasIndex(k => k.KeyHash).IsUnique().HasDatabaseName("ix_api_keys_key_hash");
            key.Property(k => k.PreviousKeyPrefix).HasMaxLength(ColumnLengths.KeyPrefix);
            key.Property(k => k.PreviousKeyHash).HasMaxLength(ColumnLengths.KeyHash);
            key.HasIndex(k => k.PreviousKeyHash).IsUnique().HasDatabaseName("ix_api_keys_previous_key_hash");
            key.Property(k => k.AllowedModels).HasMaxLength(ColumnLengths.AllowedModels).HasConversion(JsonList.Converter, JsonList.Comparer);

            // Restrict: an owner with keys is deleted only after its keys are detached (OwnersApi), never by cascade.
            key.HasOne(k => k.Owner).WithMany().HasForeignKey(k => k.OwnerId).OnDelete(DeleteBehavior.Restrict)
                .HasConstraintName("fk_api_keys_owners_owner_id");
            key.HasIndex(k => k.OwnerId).HasDatabaseName("ix_api_keys_owner_id");
        });

        modelBuilder.Entity<Owner>(owner =>
        {
            owner.ToTable("owners");
            owner.Property(o => o.Name).HasMaxLength(ColumnLengths.OwnerName);
            owner.Property(o => o.Contact).HasMaxLength(ColumnLengths.OwnerContact);
        });

        modelBuilder.Entity<SettingsRow>(settings =>
        {
            settings.ToTable("settings");
            settings.Property(s => s.Id).ValueGeneratedNever();
            settings.Property(s => s.OllamaUrl).HasMaxLength(ColumnLengths.OllamaUrl);
            settings.Property(s => s.DefaultModel).HasMaxLength(ColumnLengths.Model);
            settings.Property(s => s.NumCtxRules).HasMaxLength(ColumnLengths.NumCtxRules);
            settings.Property(s => s.ModelSlots).HasMaxLength(ColumnLengths.ModelSlots);
        });

        modelBuilder.Entity<UsageEvent>(usage =>
        {
            usage.ToTable("usage_events");
            usage.Property(u => u.Id).ValueGeneratedNever();
            usage.Property(u => u.Model).HasMaxLength(ColumnLengths.Model);
            usage.Property(u => u.Endpoint).HasMaxLength(ColumnLengths.Endpoint);

            // The request log pages newest first by (created_at, id), alone or under one equality filter; each index
            // serves one of them as a backward range scan, and the first also serves retention's deletes.
            usage.HasIndex(u => new { u.CreatedAt, u.Id }).HasDatabaseName("ix_usage_events_created_at_id");
            usage.HasIndex(u => new { u.KeyId, u.CreatedAt, u.Id }).HasDatabaseName("ix_usage_events_key_id_created_at_id");
            usage.HasIndex(u => new { u.Model, u.CreatedAt, u.Id }).HasDatabaseName("ix_usage_events_model_created_at_id");
            usage.HasIndex(u => new { u.Endpoint, u.CreatedAt, u.Id }).HasDatabaseName("ix_usage_events_endpoint_created_at_id");
            usage.HasIndex(u => new { u.StatusCode, u.CreatedAt, u.Id }).HasDatabaseName("ix_usage_events_status_code_created_at_id");
        });

        modelBuilder.Entity<UsageDaily>(daily =>
        {
            daily.ToTable("usage_daily");
            daily.HasKey(d => new { d.KeyId, d.Day, d.Model });
            daily.Property(d => d.Model).HasMaxLength(ColumnLengths.Model);

            // The overview reads a day range across every key.
            daily.HasIndex(d => d.Day).HasDatabaseName("ix_usage_daily_day");
        });

        // The coarser grains the overview reads (UsageRollupGrains): each key leads with the period, so a day or a
        // month range is a range of the primary key.
        modelBuilder.Entity<UsageModelDaily>(modelDaily =>
        {
            modelDaily.ToTable("usage_model_daily");
            modelDaily.HasKey(d => new { d.Day, d.Model });
            modelDaily.Property(d => d.Model).HasMaxLength(ColumnLengths.Model);
        });

        modelBuilder.Entity<UsageKeyMonthly>(keyMonthly =>
        {
            keyMonthly.ToTable("usage_key_monthly");
            keyMonthly.HasKey(m => new { m.Month, m.KeyId });
        });

        modelBuilder.Entity<UsageDeadLetter>(dead =>
        {
            dead.ToTable("usage_dead_letters");
            dead.Property(d => d.Error).HasMaxLength(ColumnLengths.DeadLetterError);
            dead.HasIndex(d => d.EventId).IsUnique().HasDatabaseName("ix_usage_dead_letters_event_id");
        });

        modelBuilder.Entity<InFlightRow>(inFlight =>
        {
            inFlight.ToTable("in_flight");
            inFlight.HasKey(i => i.KeyId);
            inFlight.Property(i => i.KeyId).ValueGeneratedNever();
        });

        modelBuilder.Entity<AuditEvent>(audit =>
        {
            audit.ToTable("audit_events");
            audit.Property(a => a.Actor).HasMaxLength(ColumnLengths.AuditActor);
            audit.Property(a => a.CallerAddress).HasMaxLength(ColumnLengths.CallerAddress);
            audit.Property(a => a.Action).HasMaxLength(ColumnLengths.AuditAction);
            audit.Property(a => a.TargetType).HasMaxLength(ColumnLengths.AuditAction);
            audit.Property(a => a.TargetId).HasMaxLength(ColumnLengths.AuditTargetId);
            audit.Property(a => a.TargetName).HasMaxLength(ColumnLengths.KeyName);

            // Newest first, paged by (occurred_at, id): each filter the API offers has an index in that order, so a
            // page is an index range scan however many rows the log holds.
            audit.HasIndex(a => new { a.OccurredAt, a.Id }).HasDatabaseName("ix_audit_events_occurred_at_id");
            audit.HasIndex(a => new { a.TargetId, a.OccurredAt, a.Id }).HasDatabaseName("ix_audit_events_target_id_occurred_at_id");
            audit.HasIndex(a => new { a.Action, a.OccurredAt, a.Id }).HasDatabaseName("ix_audit_events_action_occurred_at_id");
        });

        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            entity.FindPrimaryKey()?.SetName($"pk_{entity.GetTableName()}");
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase.From(property.Name));
            }
        }
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite hands DateTime back with Kind=Unspecified; every timestamp here is UTC, so say so on the way out.
        // PostgreSQL (timestamptz) already returns Kind=Utc, and the conversion is then a no-op.
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
    }

    private sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
        value => value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime(),
        value => DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
