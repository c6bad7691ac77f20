#!/bin/sh
# Run once by the postgres image when the data volume is new: creates the owner and application roles.
set -eu
psql --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v owner="$KAP_DB_OWNER" -v owner_password="$KAP_DB_OWNER_PASSWORD" \
    -v app="$KAP_DB_APP" -v app_password="$KAP_DB_APP_PASSWORD" \
    -v dbname="$POSTGRES_DB" \
    -f /kap/roles.sql
