#!/bin/sh
# Run once by the Postgres image when its data directory is first created: the role the
# service connects as. It owns nothing and cannot bypass row-level security; the service,
# connecting as the owner (DATABASE_OWNER_URL), migrates and grants it what it needs.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$HUB_SERVICE_PASSWORD" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE hub_service LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'password';
SQL
