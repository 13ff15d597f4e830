-- Personal access tokens, projected inline from TokenCreated/TokenRevoked.
-- Only the SHA-256 of a token is kept; the token is shown once.
CREATE TABLE access_tokens (
    id            uuid        PRIMARY KEY,
    owner         text        NOT NULL,
    name          text        NOT NULL,
    scope         text        NOT NULL CHECK (scope IN ('read', 'write')),
    project       text,
    admin         boolean     NOT NULL,
    token_sha256  text        NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX access_tokens_owner ON access_tokens (owner, created_at);

-- Web sign-in sessions (OpenID Connect). Not events: a session is a
-- credential, like the token it replaces, and is kept hashed.
CREATE TABLE sessions (
    id_sha256   text        PRIMARY KEY,
    user_id     text        NOT NULL,
    name        text,
    admin       boolean     NOT NULL,
    csrf_token  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- A sign-in in progress: state, PKCE verifier and nonce, for ten minutes.
CREATE TABLE oidc_logins (
    state          text        PRIMARY KEY,
    pkce_verifier  text        NOT NULL,
    nonce          text        NOT NULL,
    return_to      text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
