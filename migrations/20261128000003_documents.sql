-- ProjectResource: the current state of each document (latest revision).
CREATE TABLE project_resources (
    id            uuid        PRIMARY KEY,
    project_id    uuid        NOT NULL,
    title         text        NOT NULL,
    filename      text        NOT NULL,
    kind          text        NOT NULL,
    content_type  text        NOT NULL,
    size          bigint      NOT NULL,
    sha256        text        NOT NULL,
    revision      integer     NOT NULL,
    tags          text[]      NOT NULL,
    added_by      text        NOT NULL,
    updated_by    text        NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    deleted_at    timestamptz
);

CREATE INDEX project_resources_listing ON project_resources (project_id, created_at DESC, id DESC);

-- Tag: one row per (document, tag), for filtering and listing tags.
CREATE TABLE tags (
    project_id   uuid NOT NULL,
    document_id  uuid NOT NULL,
    name         text NOT NULL,
    PRIMARY KEY (document_id, name)
);

CREATE INDEX tags_by_name ON tags (project_id, name);

-- Blob garbage collection asks the log whether any event references a blob.
CREATE INDEX events_sha256 ON events ((payload ->> 'sha256')) WHERE payload ? 'sha256';
