-- A SQLite database as the first release (hand-written migration 20261122000000_Initial, EF Core 10.0.14) left it:
-- its init-db, then two keys, usage and a settings change written through its model; dumped with `sqlite3 .dump`.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE IF NOT EXISTS "__EFMigrationsLock" (
    "Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY,
    "Timestamp" TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS "__EFMigrationsHistory" (
    "MigrationId" TEXT NOT NULL CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY,
    "ProductVersion" TEXT NOT NULL
);
INSERT INTO __EFMigrationsHistory VALUES('20261122000000_Initial','10.0.14');
CREATE TABLE IF NOT EXISTS "api_keys" (
    "id" TEXT NOT NULL CONSTRAINT "pk_api_keys" PRIMARY KEY,
    "name" TEXT NOT NULL,
    "key_prefix" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "created_at" TEXT NOT NULL,
    "expires_at" TEXT NULL,
    "is_active" INTEGER NOT NULL,
    "deactivated_at" TEXT NULL,
    "daily_tokens" INTEGER NULL,
    "monthly_tokens" INTEGER NULL,
    "daily_requests" INTEGER NULL,
    "monthly_requests" INTEGER NULL
);
INSERT INTO api_keys VALUES('3F2B8C1E-5D4A-4E6B-9A7C-1B2D3E4F5A6B','alice','sk-AlIcE123','1111111111111111111111111111111111111111111111111111111111111111','2026-11-23 08:15:30.123','2027-06-30 00:00:00',1,NULL,100000,NULL,NULL,10000);
INSERT INTO api_keys VALUES('A1B2C3D4-E5F6-4789-ABCD-EF0123456789','bob (deactivated)','sk-BoB45678','2222222222222222222222222222222222222222222222222222222222222222','2026-11-23 08:20:30.123',NULL,0,'2026-11-24 08:15:30.123',NULL,NULL,NULL,NULL);
CREATE TABLE IF NOT EXISTS "settings" (
    "id" INTEGER NOT NULL CONSTRAINT "pk_settings" PRIMARY KEY,
    "ollama_url" TEXT NOT NULL,
    "default_model" TEXT NOT NULL,
    "revision" INTEGER NOT NULL
);
INSERT INTO settings VALUES(1,'http://gpu-box:11434','llama3',7);
CREATE TABLE IF NOT EXISTS "usage_events" (
    "id" TEXT NOT NULL CONSTRAINT "pk_usage_events" PRIMARY KEY,
    "key_id" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "endpoint" TEXT NOT NULL,
    "prompt_tokens" INTEGER NOT NULL,
    "completion_tokens" INTEGER NOT NULL,
    "status_code" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "created_at" TEXT NOT NULL
);
INSERT INTO usage_events VALUES('0C0C0C0C-0000-4000-8000-000000000001','3F2B8C1E-5D4A-4E6B-9A7C-1B2D3E4F5A6B','llama3','/api/chat',12,34,200,456,'2026-11-23 09:15:30.123');
INSERT INTO usage_events VALUES('0C0C0C0C-0000-4000-8000-000000000002','3F2B8C1E-5D4A-4E6B-9A7C-1B2D3E4F5A6B','llama3','/v1/chat/completions',5,7,200,89,'2026-11-23 10:15:30.123');
INSERT INTO usage_events VALUES('0C0C0C0C-0000-4000-8000-000000000003','A1B2C3D4-E5F6-4789-ABCD-EF0123456789','mistral','/api/generate',3,0,502,10,'2026-11-23 11:15:30.123');
CREATE TABLE IF NOT EXISTS "usage_daily" (
    "key_id" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "requests" INTEGER NOT NULL,
    "prompt_tokens" INTEGER NOT NULL,
    "completion_tokens" INTEGER NOT NULL,
    CONSTRAINT "pk_usage_daily" PRIMARY KEY ("key_id", "day", "model")
);
INSERT INTO usage_daily VALUES('3F2B8C1E-5D4A-4E6B-9A7C-1B2D3E4F5A6B','2026-11-23','llama3',2,17,41);
INSERT INTO usage_daily VALUES('A1B2C3D4-E5F6-4789-ABCD-EF0123456789','2026-11-23','mistral',0,3,0);
CREATE UNIQUE INDEX "ix_api_keys_key_hash" ON "api_keys" ("key_hash");
CREATE INDEX "ix_usage_events_key_id_created_at" ON "usage_events" ("key_id", "created_at");
COMMIT;
