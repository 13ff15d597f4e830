-- A runtime role for `stockage serve` that cannot rewrite history: it may
-- only SELECT and INSERT on `events` (so it can neither disable the
-- append-only triggers nor bypass them), read `_sqlx_migrations`, and
-- read and write the read models. Run as the owner of the tables (the
-- role that ran `stockage migrate`), in the Stockage database, after every
-- `stockage migrate` (new tables need their grants). The tests run this
-- file with `stockage_app` replaced by a role of their own.
GRANT USAGE ON SCHEMA public TO stockage_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO stockage_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO stockage_app;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON events FROM stockage_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON _sqlx_migrations FROM stockage_app;
