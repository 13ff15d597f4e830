-- Share links (issue 18). `shares` and `project_sharing` are read models of
-- the shares projector (inline). `share_secrets` is not a read model: it
-- holds what must never be in the log (the token's SHA-256 and the
-- password's argon2id hash), written by the shares service before the
-- ShareCreated event, the way a blob is written before the event naming it.
CREATE TABLE shares (
    id                 uuid        PRIMARY KEY,
    project_id         uuid        NOT NULL,
    document_id        uuid        NOT NULL,
    revision           integer,
    created_by         text        NOT NULL,
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    max_downloads      integer,
    downloads          integer     NOT NULL,
    password_required  boolean     NOT NULL,
    last_download_at   timestamptz,
    revoked_at         timestamptz,
    revoked_by         text
);

CREATE INDEX shares_by_document ON shares (document_id, created_at DESC);

CREATE TABLE project_sharing (
    project_id      uuid        PRIMARY KEY,
    shares_allowed  boolean     NOT NULL,
    changed_by      text        NOT NULL,
    changed_at      timestamptz NOT NULL
);

CREATE TABLE share_secrets (
    share_id       uuid        PRIMARY KEY,
    token_sha256   bytea       NOT NULL UNIQUE,
    password_hash  text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
