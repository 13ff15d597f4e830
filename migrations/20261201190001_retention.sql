-- Purged revisions keep their row (the history stays) with when and why.
ALTER TABLE document_revisions ADD COLUMN purged_at timestamptz, ADD COLUMN purge_rule jsonb;

-- The live references to each blob: gc and purge decide from this index,
-- not from the log.
CREATE INDEX document_revisions_live_sha256 ON document_revisions (sha256) WHERE purged_at IS NULL;
CREATE INDEX document_revisions_live_project ON document_revisions (project_id) WHERE purged_at IS NULL;

-- Each project's retention policy, legal hold and quota (one writer: the
-- inline retention projector, which also refuses a purge under hold).
CREATE TABLE project_retention (
    project_id      uuid        PRIMARY KEY,
    keep_revisions  integer,
    keep_days       integer,
    trash_days      integer,
    hold            boolean     NOT NULL DEFAULT false,
    hold_reason     text,
    hold_since      timestamptz,
    quota_mb        bigint
);

-- Documents purged for good.
CREATE TABLE purged_documents (
    document_id  uuid        PRIMARY KEY,
    project_id   uuid        NOT NULL,
    purged_at    timestamptz NOT NULL,
    purged_by    text        NOT NULL,
    rule         jsonb       NOT NULL
);

-- Nothing asks the log about blobs any more.
DROP INDEX events_sha256;
