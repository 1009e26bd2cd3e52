-- +goose Up
-- The sign-in's sessions and its pending authorizations (state, nonce and
-- PKCE verifier), in the database so that they survive a restart and are
-- shared by every ferry serve on it. Times are Unix seconds. Only SHA-256 hashes of the cookie
-- values are stored.
CREATE TABLE IF NOT EXISTS registrar_session (
    token_hash text        PRIMARY KEY,
    subject    text        NOT NULL,
    created_at bigint NOT NULL,
    expires_at bigint NOT NULL
);
CREATE INDEX IF NOT EXISTS registrar_session_expires ON registrar_session (expires_at);

CREATE TABLE IF NOT EXISTS registrar_signin_state (
    state_hash text        PRIMARY KEY,
    nonce      text        NOT NULL,
    verifier   text        NOT NULL,
    expires_at bigint NOT NULL
);

-- +goose Down
DROP TABLE IF EXISTS registrar_signin_state;
DROP TABLE IF EXISTS registrar_session;
