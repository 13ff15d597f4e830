-- Every revision of every document, numbered 1, 2, 3 … with no gaps.
CREATE TABLE document_revisions (
    document_id    uuid        NOT NULL,
    revision       integer     NOT NULL CHECK (revision > 0),
    project_id     uuid        NOT NULL,
    filename       text        NOT NULL,
    content_type   text        NOT NULL,
    size           bigint      NOT NULL,
    sha256         text        NOT NULL,
    added_by       text        NOT NULL,
    created_at     timestamptz NOT NULL,
    restored_from  integer,
    label          text,
    PRIMARY KEY (document_id, revision)
);
