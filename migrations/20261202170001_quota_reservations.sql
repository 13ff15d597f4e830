-- Room under a project's quota held for uploads on their way in
-- (decision 0060): a multipart or raw upload from the end of its staging
-- to its event, a resumable upload from its creation to its completion.
-- Every quota check counts the unexpired rows beside the live revisions;
-- a row whose node died lapses at expires_at.
CREATE TABLE quota_reservations (
    id          uuid        PRIMARY KEY,
    project_id  uuid        NOT NULL,
    bytes       bigint      NOT NULL CHECK (bytes >= 0),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX quota_reservations_project ON quota_reservations (project_id, expires_at);
