-- The event log: the one source of truth. Append-only, enforced here.
CREATE TABLE events (
    position        bigint      PRIMARY KEY CHECK (position > 0),
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       uuid        NOT NULL,
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    project_id      uuid        NOT NULL,
    event_type      text        NOT NULL,
    schema_version  integer     NOT NULL,
    payload         jsonb       NOT NULL,
    actor           text        NOT NULL,
    correlation_id  uuid        NOT NULL,
    causation_id    uuid,
    recorded_at     timestamptz NOT NULL,
    prev_hash       bytea       NOT NULL CHECK (octet_length(prev_hash) = 32),
    hash            bytea       NOT NULL CHECK (octet_length(hash) = 32),
    UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_project_position ON events (project_id, position);

CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();

CREATE TRIGGER events_no_truncate
    BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Where each asynchronous projector has got to in the log.
CREATE TABLE projector_checkpoints (
    name        text        PRIMARY KEY,
    position    bigint      NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
