#!/bin/sh
# First start of the compose Postgres: the owner role (owns the tables, runs migrations,
# creates the app login role) and Temporal's role and databases. The app role itself is
# created by `alembic upgrade` (migrations/roles.py) from DATABASE_URL.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres <<SQL
CREATE ROLE practicerunner_owner LOGIN CREATEROLE PASSWORD '${OWNER_DB_PASSWORD}';
CREATE DATABASE practicerunner OWNER practicerunner_owner;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD '${TEMPORAL_DB_PASSWORD}';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
SQL
