-- Resumable (tus) uploads in progress: where their bytes are, so that a
-- restart or another node continues them. Operational state, not history:
-- the document events appended at completion are the record (decision 0027).
CREATE TABLE uploads (
    id            uuid        PRIMARY KEY,
    owner         text        NOT NULL,
    project_id    uuid        NOT NULL,
    project_slug  text        NOT NULL,
    document_id   uuid,
    if_match      integer,
    filename      text        NOT NULL,
    title         text,
    tags          text[],
    length        bigint      NOT NULL CHECK (length > 0),
    "offset"      bigint      NOT NULL DEFAULT 0 CHECK ("offset" >= 0 AND "offset" <= length),
    -- S3: the multipart upload and the ETags of its whole 5 MiB parts, in
    -- order; the bytes past the last whole part are in the tail object.
    multipart_id  text,
    parts         text[]      NOT NULL DEFAULT '{}',
    tail          bigint      NOT NULL DEFAULT 0,
    -- All bytes are in one object (S3: the multipart upload is complete).
    assembled     boolean     NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    completed_at  timestamptz,
    result_document uuid,
    result_revision integer
);

CREATE INDEX uploads_expires_at ON uploads (expires_at);
