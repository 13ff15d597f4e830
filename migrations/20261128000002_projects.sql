-- Read models of the project aggregate, projected inline with each append.
-- No foreign keys between read models: a rebuild fills copies of these
-- tables in another schema and swaps them in.
CREATE TABLE projects (
    id           uuid        PRIMARY KEY,
    slug         text        NOT NULL UNIQUE,
    title        text        NOT NULL,
    description  text,
    category     text,
    status       text        NOT NULL,
    creator      text        NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);

CREATE TABLE project_team (
    project_id  uuid        NOT NULL,
    user_id     text        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('viewer', 'editor', 'admin', 'owner')),
    joined_at   timestamptz NOT NULL,
    PRIMARY KEY (project_id, user_id)
);

CREATE INDEX project_team_user ON project_team (user_id);
