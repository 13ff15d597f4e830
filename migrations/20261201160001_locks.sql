-- Check-out locks and the release lifecycle (issue 16), projected from
-- DocumentLocked / DocumentUnlocked / DocumentStateChanged. A document
-- without a row here is unlocked and `wip`. The lock's expiry is applied
-- when it is read; an expired lock stays in the row until replaced.
CREATE TABLE document_workflow (
    document_id        uuid        PRIMARY KEY,
    project_id         uuid        NOT NULL,
    lock_holder        text,
    locked_at          timestamptz,
    lock_expires_at    timestamptz,
    lock_note          text,
    state              text        NOT NULL DEFAULT 'wip'
                       CHECK (state IN ('wip', 'in_review', 'released', 'obsolete')),
    released_revision  integer,
    release            text
);
CREATE INDEX document_workflow_state ON document_workflow (project_id, state);

-- Every release: the letter and the revision it froze. Retention keeps
-- these revisions whatever its rule.
CREATE TABLE document_releases (
    document_id  uuid        NOT NULL,
    release      text        NOT NULL,
    revision     integer     NOT NULL,
    project_id   uuid        NOT NULL,
    released_by  text        NOT NULL,
    released_at  timestamptz NOT NULL,
    comment      text,
    PRIMARY KEY (document_id, release)
);
CREATE INDEX document_releases_revision ON document_releases (document_id, revision);
