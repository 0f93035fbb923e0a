# syntax=docker/dockerfile:1
# OllamaQuota in one image: the public proxy (8000) and the admin API + built Admin UI (8001), started by
# docker-entrypoint.sh after `init-db`. Build: docker build -t ollamaquota .   Run: see docker-compose.yml.

# ---- 1. Admin UI: React + Vite -> dist/ ---------------------------------------------------------------
FROM node:22-bookworm-slim AS ui
WORKDIR /src/src/OllamaQuota.AdminUi
# Manifests first so the npm layer is reused until the dependencies change.
COPY src/OllamaQuota.AdminUi/package.json src/OllamaQuota.AdminUi/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY src/OllamaQuota.AdminUi/ ./
RUN npm run build

# ---- 2. .NET: publish Proxy and Admin ----------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# global.json is left out on purpose: it pins a feature band for developer machines, and the 10.0 SDK image
# can trail it; here the image tag is the SDK pin. Package versions still come from Directory.Packages.props.
COPY Directory.Build.props Directory.Packages.props ./
COPY src/OllamaQuota.Core/OllamaQuota.Core.csproj src/OllamaQuota.Core/
COPY src/OllamaQuota.Migrations/Sqlite/OllamaQuota.Migrations.Sqlite.csproj src/OllamaQuota.Migrations/Sqlite/
COPY src/OllamaQuota.Migrations/PostgreSql/OllamaQuota.Migrations.PostgreSql.csproj src/OllamaQuota.Migrations/PostgreSql/
COPY src/OllamaQuota.ServiceDefaults/OllamaQuota.ServiceDefaults.csproj src/OllamaQuota.ServiceDefaults/
COPY src/OllamaQuota.Proxy/OllamaQuota.Proxy.csproj src/OllamaQuota.Proxy/
COPY src/OllamaQuota.Admin/OllamaQuota.Admin.csproj src/OllamaQuota.Admin/
RUN dotnet restore src/OllamaQuota.Proxy/OllamaQuota.Proxy.csproj \
 && dotnet restore src/OllamaQuota.Admin/OllamaQuota.Admin.csproj
COPY src/OllamaQuota.Core/ src/OllamaQuota.Core/
COPY src/OllamaQuota.Migrations/ src/OllamaQuota.Migrations/
COPY src/OllamaQuota.ServiceDefaults/ src/OllamaQuota.ServiceDefaults/
COPY src/OllamaQuota.Proxy/ src/OllamaQuota.Proxy/
COPY src/OllamaQuota.Admin/ src/OllamaQuota.Admin/
# Separate folders: both hosts ship an appsettings.json, and only the admin has a wwwroot.
RUN dotnet publish src/OllamaQuota.Proxy/OllamaQuota.Proxy.csproj -c Release --no-restore -o /out/proxy \
 && dotnet publish src/OllamaQuota.Admin/OllamaQuota.Admin.csproj -c Release --no-restore -o /out/admin

# ---- 3. Runtime ----------------------------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /out/proxy/ /app/proxy/
COPY --from=build /out/admin/ /app/admin/
# The admin serves the UI from wwwroot under its content root (the working directory it is started in).
COPY --from=ui /src/src/OllamaQuota.AdminUi/dist/ /app/admin/wwwroot/
COPY --chmod=0755 docker-entrypoint.sh /app/docker-entrypoint.sh
# /data holds the SQLite file of embedded mode (the DATABASE_URL default below); mount a volume there to keep it.
RUN mkdir -p /data && chown "$APP_UID" /data

# Both services bind from their own variables, so the base image's port 8080 default is cleared.
# ADMIN_HOST=0.0.0.0: inside the container loopback would be unreachable from the host. The host decides the
# exposure when publishing: `-p 127.0.0.1:8001:8001` (as docker-compose.yml does), never `-p 8001:8001`.
ENV ASPNETCORE_HTTP_PORTS= \
    PROXY_HOST=0.0.0.0 \
    PROXY_PORT=8000 \
    ADMIN_HOST=0.0.0.0 \
    ADMIN_PORT=8001 \
    DATABASE_URL=sqlite:////data/ollamaquota.db

# The non-root user the .NET images provide (uid 1654).
USER $APP_UID
EXPOSE 8000 8001
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["/app/docker-entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/app/docker-entrypoint.sh"]
